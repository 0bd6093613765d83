"""GitHub Actions as an OIDC identity provider: who may assume ci_access's roles.

The repository's OIDC subject template is customised to carry the workflow file and ref of the
job (SUBJECT_CLAIMS; docs/ci-access.md says how to set it), so a job of `environment: prod` gets
`repo:<owner>/<name>:environment:prod:job_workflow_ref:<owner>/<name>/<workflow>@<ref>`. Every
role here is trusted by one environment of one repository, and by one workflow file in it: a deploy
role only by DEPLOY_WORKFLOW on the deploy branch, a preview role only by PREVIEW_WORKFLOW. The
environment's protection rules (required reviewers, deployment branches) then decide which runs
of that workflow get it. Without the customisation GitHub sends `repo:...:environment:<name>`,
which matches no trust policy here: every role is refused until the template is set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from model import iam

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"
# The claims the repository's subject template includes, in this order (GitHub's REST API:
# PUT /repos/{owner}/{repo}/actions/oidc/customization/sub).
SUBJECT_CLAIMS = ("repo", "context", "job_workflow_ref")
# The workflow files whose jobs may assume the roles.
DEPLOY_WORKFLOW = ".github/workflows/deploy-stack.yml"
PREVIEW_WORKFLOW = ".github/workflows/ci.yml"
# A subject pattern's ref for "any branch, tag or pull request".
ANY_REF = "*"

# GitHub: an owner is 1-39 letters, digits or inner hyphens; a repository name is letters, digits, `.`, `_`, `-`.
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}$")
# GitHub environment names: no wildcards, spaces or colons (the sub claim is compared exactly).
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
# A branch name without wildcards (IAM's StringLike would read `*` and `?` as patterns).
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")
PROVIDER_ARN = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}$")


def validate_repository(repository: str) -> str:
    if not _REPOSITORY.match(repository) or repository.split("/")[1] in (".", ".."):
        raise ValueError(f"repository {repository!r} is invalid: set the GitHub repository as owner/name")
    return repository


def validate_branch(branch: str) -> str:
    if not _BRANCH.match(branch) or ".." in branch or branch.startswith(("/", "refs/")):
        raise ValueError(
            f"deployBranch {branch!r} is invalid: set the branch deploys run from, e.g. main "
            "(a branch name, without refs/heads/ and without wildcards)"
        )
    return branch


def workflow_subject(repository: str, environment: str, workflow: str, ref: str) -> str:
    """The `sub` claim of a job of `workflow` at `ref` that runs in `environment` (ANY_REF: a
    pattern for every ref)."""
    validate_repository(repository)
    if not _ENVIRONMENT.match(environment):
        raise ValueError(
            f"environment {environment!r} is invalid: set an exact GitHub environment name "
            "(letters, digits, '.', '_', '-'; no wildcards)"
        )
    return f"repo:{repository}:environment:{environment}:job_workflow_ref:{repository}/{workflow}@{ref}"


def branch_ref(branch: str) -> str:
    return f"refs/heads/{validate_branch(branch)}"


def validate_provider_arn(arn: str) -> str:
    if not PROVIDER_ARN.match(arn):
        raise ValueError(
            f"existing_provider_arn {arn!r} is invalid: set the ARN of the account's OIDC provider "
            f"for GitHub Actions (arn:aws:iam::<account>:oidc-provider/{GITHUB_OIDC_HOST}), or None to create it"
        )
    return arn


def github_trust_policy(provider_arn: str, allowed_subjects: Sequence[str]) -> str:
    """Only the GitHub OIDC provider, only for STS, only for these subjects: exact ones compared
    exactly, ANY_REF patterns with StringLike (the ref is the only part a pattern leaves open)."""
    if not allowed_subjects:
        raise ValueError("allowed_subjects is empty: a role no job may assume is no role")
    exact = sorted(s for s in allowed_subjects if not s.endswith(f"@{ANY_REF}"))
    patterns = sorted(s for s in allowed_subjects if s.endswith(f"@{ANY_REF}"))
    equals: dict[str, str | list[str]] = {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE}
    condition: dict[str, dict[str, str | list[str]]] = {"StringEquals": equals}
    if exact and patterns:
        raise ValueError("a trust policy takes exact subjects or ref patterns, not both (one role, one purpose)")
    if exact:
        equals[f"{GITHUB_OIDC_HOST}:sub"] = exact
    else:
        condition["StringLike"] = {f"{GITHUB_OIDC_HOST}:sub": patterns}
    return iam.document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ]
    )
