"""Separate AWS accounts for dev and prod, supported and recommended (docs/ci-access.md): each
stack file names its accounts (`aws:allowedAccountIds`), ci_access runs once per account for the
stacks there, and what a stack would change account-wide is ci_access's (docs/security.md, "A
dev-stack operator")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_access.account import log_delivery_policy
from ci_access.permissions import deploy_policy, split_policy
from ci_access.roles import scope_in
from ci_access.scope import StackScope
from ci_access.stacks import StackFile, read_stack_file
from offline.engine import ACCOUNT_ID
from tests.ci_access.plan_requests import PlanCalls, stack_scope
from tests.ci_access.policies import STACKS, deploy
from tests.ci_access.test_ci_access import REPOSITORY, run
from tests.iam.evaluator import Policy, describe_actions, evaluate
from tests.program.plans import Plan

DEV_ACCOUNT = "210987654321"
REGION = stack_scope("dev")[0].region


def stack_file(tmp_path: Path, stack: str, body: str) -> StackFile:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(f"config:\n  aws:region: eu-west-1\n{body}")
    return read_stack_file(stack, tmp_path)


def test_the_example_stacks_name_their_account() -> None:
    assert [read_stack_file(s).allowed_account_ids for s in STACKS] == [(ACCOUNT_ID,), (ACCOUNT_ID,)]


def test_a_stack_file_names_its_accounts_as_quoted_ids(tmp_path: Path) -> None:
    one = stack_file(tmp_path, "qa", '  aws:allowedAccountIds:\n    - "012345678901"\n')
    assert one.allowed_account_ids == ("012345678901",)
    # YAML reads an unquoted id as a number (and an id with a leading 0 and no 8 or 9 as octal).
    with pytest.raises(ValueError, match=r"Pulumi\.qa\.yaml sets aws:allowedAccountIds=\[112345678901\]: set a list"):
        stack_file(tmp_path, "qa", "  aws:allowedAccountIds:\n    - 112345678901\n")


def test_ci_access_refuses_a_stack_whose_file_allows_other_accounts(tmp_path: Path) -> None:
    settings = stack_file(tmp_path, "prod", '  aws:allowedAccountIds:\n    - "111122223333"\n')
    with pytest.raises(
        ValueError,
        match=r"Pulumi\.prod\.yaml allows the accounts \['111122223333'\] \(aws:allowedAccountIds\), not "
        rf"{ACCOUNT_ID}: run ci_access for 'prod' in one of them",
    ):
        scope_in("demo", settings, ACCOUNT_ID)
    assert scope_in("demo", settings, "111122223333") == StackScope("demo", "prod", "111122223333", "eu-west-1")


def test_in_separate_accounts_devs_deploy_role_reaches_nothing_of_prod(prod: Plan, known_actions: set[str]) -> None:
    """Attack: dev's deploy role (in dev's account) on every resource prod's plan creates (in
    prod's). The calls AWS authorizes on `*` alone act in the caller's own account, so in
    separate accounts dev's account-wide grants no longer touch prod's log deliveries or queries."""
    dev_scope = StackScope("rustlambda", "dev", DEV_ACCOUNT, REGION)
    dev_role = Policy(split_policy(deploy_policy(dev_scope, read_stack_file("dev"))))
    calls = list(PlanCalls(prod, stack_scope("prod")[0]).calls("dev", known_actions))
    actions = describe_actions(sorted({c.request.action for c in calls}))
    requests = [c.request for c in calls if not actions[c.request.action].wildcard_only]
    decisions = evaluate({"dev": dev_role}, requests)
    assert len(requests) > 100
    assert [f"{r.action} on {r.resources[0]}" for r, d in zip(requests, decisions, strict=True) if d.allowed] == []


def test_no_deploy_role_may_rewrite_the_accounts_log_resource_policies() -> None:
    for stack in STACKS:
        actions = {a for d in deploy(stack).identity for s in json.loads(d)["Statement"] for a in s["Action"]}
        assert "logs:PutResourcePolicy" not in actions


def test_ci_access_lets_cloudwatch_logs_deliver_to_the_projects_access_logs_only() -> None:
    resources, _ = run({"githubRepository": REPOSITORY})
    policy = resources["account-log-delivery-eu-west-1"].inputs
    assert policy["policyName"] == "rustlambda-access-log-delivery"
    assert json.loads(policy["policyDocument"]) == json.loads(
        log_delivery_policy("rustlambda", ACCOUNT_ID, region=REGION)
    )
    assert json.loads(policy["policyDocument"])["Statement"] == [
        {
            "Sid": "AccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/apigateway/rustlambda-*:log-stream:*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:*"},
            },
        }
    ]
