"""ci_access's policy documents for the example account, as the tests evaluate them."""

from __future__ import annotations

from ci_access.permissions import StateBackend, deploy_policy, permissions_boundary, preview_policy, split_policy
from ci_access.scope import StackScope
from tests.ci_access.plan_requests import stack_scope
from tests.iam.evaluator import Policy

STACKS = ("dev", "prod")
STATE = StateBackend(
    "arn:aws:s3:::rustlambda-pulumi-state-20261201",
    {
        "dev": "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
        "prod": "arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000",
    },
)


def scope(stack: str) -> StackScope:
    return stack_scope(stack)[0]


def deploy(stack: str, state: StateBackend | None = None) -> Policy:
    stack_scope_, settings = stack_scope(stack)
    return Policy(split_policy(deploy_policy(stack_scope_, settings, state)))


def preview(state: StateBackend | None = None) -> Policy:
    return Policy(split_policy(preview_policy([stack_scope(s) for s in STACKS], state)))


def bootstrap_roles(state: StateBackend | None = None) -> dict[str, Policy]:
    """Every role ci_access creates, by name."""
    return {"deploy-dev": deploy("dev", state), "deploy-prod": deploy("prod", state), "preview": preview(state)}


def boundary(stack: str) -> str:
    return permissions_boundary(scope(stack))
