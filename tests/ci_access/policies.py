"""ci_access's policy documents for the example account, as the tests evaluate them."""

from __future__ import annotations

import json

from ci_access.permissions import (
    StateBackend,
    codedeploy_role_policy,
    deploy_policy,
    operator_boundary,
    permissions_boundary,
    preview_policy,
    split_policy,
)
from ci_access.scope import StackScope
from tests.ci_access.plan_requests import stack_scope
from tests.iam.evaluator import Policy

STACKS = ("dev", "prod")
STATE = StateBackend(
    "arn:aws:s3:::rustlambda-pulumi-state-20261201",
    "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555",
    "eu-west-1",
    {
        "dev": "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
        "prod": "arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000",
    },
)


def scope(stack: str) -> StackScope:
    return stack_scope(stack)[0]


def deploy(stack: str, state: StateBackend | None = None) -> Policy:
    return Policy(split_policy(deploy_policy(*stack_scope(stack), state)))


def preview(stack: str, state: StateBackend | None = None) -> Policy:
    return Policy(split_policy(preview_policy(*stack_scope(stack), state)))


def bootstrap_roles(state: StateBackend | None = None) -> dict[str, Policy]:
    """Every role ci_access creates, by name."""
    return {
        **{f"deploy-{s}": deploy(s, state) for s in STACKS},
        **{f"preview-{s}": preview(s, state) for s in STACKS},
        **{f"codedeploy-{s}": Policy([codedeploy_role_policy(scope(s))]) for s in STACKS},
    }


def boundary(stack: str) -> str:
    return permissions_boundary(scope(stack))


def operator(stack: str) -> str:
    return operator_boundary(*stack_scope(stack))


def sample(resource: str) -> str:
    """A resource a statement's pattern covers: `*` itself, a log stream for `<log group>:*`."""
    if resource == "*":
        return resource
    if resource.startswith("arn:aws:logs:") and resource.endswith(":*"):
        return f"{resource[:-2]}:log-stream:2026/01/01/abc"
    return resource.replace("*", "x")


def granted(document: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every (action, candidate resources) an Allow statement of `document` names: the pattern's
    sample, and in case the pattern also covers what lies under it (a bucket's objects, a log
    group's streams), a sample of that (the evaluator takes the first the action takes)."""
    pairs: list[tuple[str, tuple[str, ...]]] = []
    for statement in json.loads(document)["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            for resource in resources:
                example = sample(resource)
                pairs.append((action, (example, f"{example}/incoming/a.json", f"{example}:log-stream:abc")))
    return pairs
