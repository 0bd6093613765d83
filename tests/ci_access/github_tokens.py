"""GitHub's OIDC tokens against the trust policies ci_access's program creates (run under the
mocks), judged by the IAM evaluator: which job may assume which role."""

from __future__ import annotations

from functools import cache

from ci_access.github_oidc import GITHUB_OIDC_HOST
from offline.engine import ACCOUNT_ID
from tests.ci_access.test_ci_access import PROVIDER_ARN, REPOSITORY, run
from tests.iam.evaluator import Policy, Request, evaluate

__all__ = ["CI", "DEPLOY", "GITHUB_ROLES", "PROVIDER_ARN", "REPOSITORY", "assumes", "sub", "trust_policies"]

DEPLOY = ".github/workflows/deploy-stack.yml"
CI = ".github/workflows/ci.yml"
GITHUB_ROLES = ("deploy-dev", "deploy-prod", "preview-dev", "preview-prod")


def sub(environment: str, workflow: str, ref: str, repository: str = REPOSITORY) -> str:
    """The claim GitHub sends for a job of `workflow` at `ref` in `environment`, with the
    repository's subject template customised (docs/ci-access.md)."""
    return f"repo:{repository}:environment:{environment}:job_workflow_ref:{repository}/{workflow}@{ref}"


@cache
def trust_policies() -> dict[str, str]:
    resources, _ = run({"githubRepository": REPOSITORY})
    return {role: resources[f"github-{role}"].inputs["assumeRolePolicy"] for role in GITHUB_ROLES}


def assumes(role: str, claims: list[str], audience: str = "sts.amazonaws.com") -> list[bool]:
    """Whether a job whose token carries each `sub` claim may assume `role`."""
    requests = [
        Request(
            "web-identity",
            "sts:AssumeRoleWithWebIdentity",
            [f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"],
            {f"{GITHUB_OIDC_HOST}:aud": audience, f"{GITHUB_OIDC_HOST}:sub": claim},
            principal=PROVIDER_ARN,
            resource_policy=trust_policies()[role],
        )
        for claim in claims
    ]
    return [d.allowed for d in evaluate({"web-identity": Policy([])}, requests)]
