"""Attacks on the preview path (docs/security.md, "Anyone who can push a branch"): a branch push
reading a prod secret, a preview writing anything.

A job of a branch or a pull request can get one role only, dev's preview role (its environment
`preview-dev` has no branch rule); prod's preview role accepts ci.yml on the deploy branch only,
and the deploy roles deploy-stack.yml on the deploy branch only. No preview role reads a secret
value, and each reads only its own stack's state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ci_access.permissions import stack_grants
from offline.engine import ACCOUNT_ID
from tests.ci_access.github_tokens import CI, DEPLOY, GITHUB_ROLES, assumes, sub
from tests.ci_access.plan_requests import stack_scope
from tests.ci_access.policies import STACKS, STATE, bootstrap_roles, preview, sample
from tests.iam.evaluator import Request, describe_actions, evaluate

REGION = stack_scope("dev")[0].region
AT = f"{REGION}:{ACCOUNT_ID}"
# What a branch push or a pull request can put in a token: any environment, any workflow file it
# edits in its branch, its own ref.
BRANCH_REFS = ("refs/heads/feature", "refs/pull/7/merge")
ENVIRONMENTS = ("dev", "prod", "preview-dev", "preview-prod")
WORKFLOWS = (CI, DEPLOY, ".github/workflows/anything.yml")


def branch_tokens() -> list[str]:
    return [sub(e, w, r) for e in ENVIRONMENTS for w in WORKFLOWS for r in BRANCH_REFS]


def test_a_branch_push_gets_devs_preview_role_and_no_other() -> None:
    tokens = branch_tokens()
    assumable = sorted(role for role in GITHUB_ROLES if any(assumes(role, tokens)))
    assert assumable == ["preview-dev"]


def test_a_branch_push_reads_no_prod_secret_state_or_config_secret() -> None:
    """With dev's preview role, the only one a branch gets: prod's secret values, prod's state and
    the key of prod's config secrets are out of reach."""
    on_behalf = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{AT}:secret:rustlambda-prod/signing-AbCdEf", {}),
        ("s3:GetObject", f"{STATE.bucket_arn}/.pulumi/stacks/rustlambda/prod.json", {}),
        ("s3:GetObject", f"{STATE.bucket_arn}/.pulumi/history/rustlambda/prod/prod-1.checkpoint.json", {}),
        ("kms:Decrypt", STATE.key_arns["prod"], {}),
        ("kms:Decrypt", STATE.key_arns["prod"], on_behalf),
    ]
    decisions = evaluate(bootstrap_roles(STATE), [Request("preview-dev", a, [r], c) for a, r, c in cases])
    assert [d.allowed for d in decisions] == [False] * len(cases)


@pytest.mark.parametrize("stack", STACKS)
def test_no_preview_role_reads_a_secret_value_even_its_own_stacks(stack: str) -> None:
    secret = f"arn:aws:secretsmanager:{AT}:secret:rustlambda-{stack}/signing-AbCdEf"
    (decision,) = evaluate(bootstrap_roles(), [Request(f"preview-{stack}", "secretsmanager:GetSecretValue", [secret])])
    assert not decision.allowed


def test_prod_previews_only_from_ci_yml_on_main() -> None:
    assert assumes("preview-prod", [sub("preview-prod", CI, "refs/heads/main"), *branch_tokens()]) == [True] + [
        False
    ] * len(branch_tokens())


@pytest.mark.parametrize("stack", STACKS)
def test_a_preview_writes_nothing_its_deploy_role_may_write(stack: str) -> None:
    """Every write the stack's deploy role may make, on the stack's own resources, with the context
    a deploy would send: denied to the stack's preview role."""
    scope, settings = stack_scope(stack)
    tags = {f"aws:{kind}Tag/{k}": v for kind in ("Resource", "Request") for k, v in scope.tags.items()}
    context = {**tags, "s3:ResourceAccount": ACCOUNT_ID, "iam:PermissionsBoundary": scope.boundary_arn}
    writes = [
        (action, sample(resource))
        for grant in stack_grants(scope, settings)
        for action in grant.write
        for resource in grant.resources
    ]
    decisions = evaluate(
        {"preview": preview(stack, STATE)},
        [Request("preview", a, [r, f"{r}/x", "*"], context) for a, r in writes],
    )
    assert len(writes) > 100
    assert [(a, r) for (a, r), d in zip(writes, decisions, strict=True) if d.allowed] == []


@pytest.mark.parametrize("stack", STACKS)
def test_a_preview_roles_only_non_read_action_is_kms_decrypt_of_its_own_state(stack: str) -> None:
    """AWS's action database classes every action of the role; the one it calls a write is
    kms:Decrypt, which the preview needs for its own stack's state and config secrets."""
    statements = [s for document in preview(stack, STATE).identity for s in json.loads(document)["Statement"]]
    levels = describe_actions(sorted({a for s in statements for a in s["Action"]}))
    assert {a for a, info in levels.items() if info.access_level not in ("Read", "List")} == {"kms:Decrypt"}
    decrypted = sorted({r for s in statements if "kms:Decrypt" in s["Action"] for r in s["Resource"]})
    assert decrypted == sorted([STATE.bucket_key_arn, STATE.key_arns[stack]])
