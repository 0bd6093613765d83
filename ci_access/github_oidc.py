"""GitHub Actions as an OIDC identity provider: who may assume ci_access's roles.

A job that names a GitHub environment gets a token whose `sub` claim is
`repo:<owner>/<name>:environment:<environment>`, whatever its branch or event. Every role here is
trusted by exactly one environment of one repository, so the environment's protection rules
(required reviewers, deployment branches) decide which jobs get it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from model import iam

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"

# GitHub: an owner is 1-39 letters, digits or inner hyphens; a repository name is letters, digits, `.`, `_`, `-`.
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}$")
# GitHub environment names: no wildcards or spaces around (the sub claim is compared exactly).
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
PROVIDER_ARN = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}$")


def validate_repository(repository: str) -> str:
    if not _REPOSITORY.match(repository) or repository.split("/")[1] in (".", ".."):
        raise ValueError(f"repository {repository!r} is invalid: set the GitHub repository as owner/name")
    return repository


def environment_subject(repository: str, environment: str) -> str:
    """The `sub` claim of a job of `repository` that runs in `environment`."""
    validate_repository(repository)
    if not _ENVIRONMENT.match(environment):
        raise ValueError(
            f"environment {environment!r} is invalid: set an exact GitHub environment name "
            "(letters, digits, '.', '_', '-'; no wildcards)"
        )
    return f"repo:{repository}:environment:{environment}"


def validate_provider_arn(arn: str) -> str:
    if not PROVIDER_ARN.match(arn):
        raise ValueError(
            f"existing_provider_arn {arn!r} is invalid: set the ARN of the account's OIDC provider "
            f"for GitHub Actions (arn:aws:iam::<account>:oidc-provider/{GITHUB_OIDC_HOST}), or None to create it"
        )
    return arn


def github_trust_policy(provider_arn: str, allowed_subjects: Sequence[str]) -> str:
    """Only the GitHub OIDC provider, only for STS, only for exactly these subjects (no wildcards)."""
    return iam.document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": sorted(allowed_subjects),
                    }
                },
            }
        ]
    )
