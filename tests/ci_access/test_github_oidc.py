"""Who may assume ci_access's roles: one GitHub environment of one repository, and one workflow
file in it, on the deploy branch for deploys (docs/security.md, "Anyone who can push a branch").

The trust policies are the ones ci_access's program creates (run under the mocks), judged by the
IAM evaluator against the `sub` claims GitHub would send with the repository's subject template
customised to SUBJECT_CLAIMS (docs/ci-access.md)."""

from __future__ import annotations

import json
import re

import pytest

from ci_access.github_oidc import (
    ANY_REF,
    SUBJECT_CLAIMS,
    github_trust_policy,
    validate_branch,
    validate_provider_arn,
    workflow_subject,
)
from offline.engine import ACCOUNT_ID, REPO_ROOT
from tests.ci_access.github_tokens import CI, DEPLOY, PROVIDER_ARN, REPOSITORY, assumes, sub, trust_policies


def test_only_deploy_stack_yml_on_main_in_the_stacks_environment_gets_its_deploy_role() -> None:
    claims = {
        sub("prod", DEPLOY, "refs/heads/main"): True,
        # Attack: another workflow on main naming the environment.
        sub("prod", CI, "refs/heads/main"): False,
        sub("prod", ".github/workflows/release.yml", "refs/heads/main"): False,
        # Attack: the deploy workflow from another branch, a tag or a pull request.
        sub("prod", DEPLOY, "refs/heads/feature"): False,
        sub("prod", DEPLOY, "refs/heads/main-copy"): False,
        sub("prod", DEPLOY, "refs/tags/v1.0.0"): False,
        sub("prod", DEPLOY, "refs/pull/7/merge"): False,
        # dev's environment, another repository, a reusable workflow of another repository.
        sub("dev", DEPLOY, "refs/heads/main"): False,
        sub("prod", DEPLOY, "refs/heads/main", repository="octo-org/fork"): False,
        f"repo:{REPOSITORY}:environment:prod:job_workflow_ref:evil/x/{DEPLOY}@refs/heads/main": False,
        # GitHub's default template: the repository's subject is not customised.
        f"repo:{REPOSITORY}:environment:prod": False,
    }
    assert assumes("deploy-prod", list(claims)) == list(claims.values())


def test_the_token_must_be_for_sts() -> None:
    claim = sub("dev", DEPLOY, "refs/heads/main")
    assert assumes("deploy-dev", [claim]) == [True]
    assert assumes("deploy-dev", [claim], audience="https://github.com/octo-org") == [False]


def test_pull_requests_preview_dev_from_ci_yml_and_prod_only_from_main() -> None:
    assert assumes(
        "preview-dev",
        [
            sub("preview-dev", CI, "refs/pull/7/merge"),
            sub("preview-dev", CI, "refs/heads/feature"),
            sub("preview-dev", DEPLOY, "refs/heads/main"),
            sub("preview-prod", CI, "refs/pull/7/merge"),
        ],
    ) == [True, True, False, False]
    # Attack: a branch push or a pull request previewing prod.
    assert assumes(
        "preview-prod",
        [
            sub("preview-prod", CI, "refs/heads/main"),
            sub("preview-prod", CI, "refs/pull/7/merge"),
            sub("preview-prod", CI, "refs/heads/feature"),
            sub("preview-dev", CI, "refs/heads/main"),
        ],
    ) == [True, False, False, False]


def test_the_trust_policies_name_the_provider_and_the_exact_subjects() -> None:
    deploy = json.loads(trust_policies()["deploy-prod"])["Statement"]
    assert deploy == [
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": [sub("prod", DEPLOY, "refs/heads/main")],
                }
            },
        }
    ]
    preview = json.loads(trust_policies()["preview-dev"])["Statement"][0]["Condition"]
    assert preview == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": [sub("preview-dev", CI, ANY_REF)]},
    }


def test_the_workflow_files_the_roles_name_exist() -> None:
    assert (REPO_ROOT / DEPLOY).is_file() and (REPO_ROOT / CI).is_file()


def test_the_docs_set_the_subject_template_the_trust_policies_expect() -> None:
    docs = (REPO_ROOT / "docs" / "ci-access.md").read_text()
    body = json.dumps({"use_default": False, "include_claim_keys": list(SUBJECT_CLAIMS)})
    assert body in docs
    assert "gh api --method PUT repos/OWNER/REPO/actions/oidc/customization/sub" in docs


@pytest.mark.parametrize(
    "repository", ["rustlambda", "octo-org/", "/rustlambda", "octo org/rustlambda", "a/b/c", "-octo/x", "octo/.."]
)
def test_a_repository_not_of_the_form_owner_name_is_refused(repository: str) -> None:
    with pytest.raises(ValueError, match="repository"):
        workflow_subject(repository, "dev", DEPLOY, "refs/heads/main")


@pytest.mark.parametrize("environment", ["*", "pr?d", " prod", "", "a/b", "prod:job_workflow_ref:x"])
def test_an_environment_that_is_not_an_exact_name_is_refused(environment: str) -> None:
    with pytest.raises(ValueError, match="environment"):
        workflow_subject("octo-org/rustlambda", environment, DEPLOY, "refs/heads/main")


@pytest.mark.parametrize("branch", ["*", "ma?n", "refs/heads/main", "a..b", "/main", "", "main branch"])
def test_a_deploy_branch_that_is_not_a_plain_branch_name_is_refused(branch: str) -> None:
    with pytest.raises(
        ValueError, match=re.escape(f"deployBranch {branch!r} is invalid: set the branch deploys run from")
    ):
        validate_branch(branch)


def test_a_trust_policy_takes_subjects_of_one_kind() -> None:
    with pytest.raises(ValueError, match="exact subjects or ref patterns, not both"):
        github_trust_policy(PROVIDER_ARN, [sub("dev", CI, "refs/heads/main"), sub("dev", CI, ANY_REF)])
    with pytest.raises(ValueError, match="allowed_subjects is empty"):
        github_trust_policy(PROVIDER_ARN, [])


def test_only_githubs_provider_arn_is_accepted() -> None:
    assert validate_provider_arn(PROVIDER_ARN) == PROVIDER_ARN
    with pytest.raises(ValueError, match="existing_provider_arn"):
        validate_provider_arn(f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/accounts.google.com")
