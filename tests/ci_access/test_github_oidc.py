"""Who may assume ci_access's roles: exactly one GitHub environment of one repository each."""

from __future__ import annotations

import json

import pytest

from ci_access.github_oidc import environment_subject, github_trust_policy, validate_provider_arn
from offline.engine import ACCOUNT_ID

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"


def test_the_trust_policy_allows_only_the_provider_sts_and_the_subjects() -> None:
    subject = environment_subject("octo-org/rustlambda", "prod")
    assert json.loads(github_trust_policy(PROVIDER_ARN, [subject])) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": ["repo:octo-org/rustlambda:environment:prod"],
                    }
                },
            }
        ],
    }


@pytest.mark.parametrize(
    "repository", ["rustlambda", "octo-org/", "/rustlambda", "octo org/rustlambda", "a/b/c", "-octo/x", "octo/.."]
)
def test_a_repository_not_of_the_form_owner_name_is_refused(repository: str) -> None:
    with pytest.raises(ValueError, match="repository"):
        environment_subject(repository, "dev")


@pytest.mark.parametrize("environment", ["*", "pr?d", " prod", "", "a/b"])
def test_an_environment_that_is_not_an_exact_name_is_refused(environment: str) -> None:
    with pytest.raises(ValueError, match="environment"):
        environment_subject("octo-org/rustlambda", environment)


def test_only_githubs_provider_arn_is_accepted() -> None:
    assert validate_provider_arn(PROVIDER_ARN) == PROVIDER_ARN
    with pytest.raises(ValueError, match="existing_provider_arn"):
        validate_provider_arn(f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/accounts.google.com")
