"""Attacks the deploy roles' IAM conditions stop, by IAM alone (the policy pack aside): a capacity
provider or a function in another stack's network, a public function URL or an invoke permission
for anyone, EventBridge forwarding to a foreign bus, a VPC endpoint to another service
(docs/security.md, "A leaked CI token" and "A dev-stack operator")."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest

from ci_access.permissions import deploy_policy, split_policy
from ci_access.stacks import StackFile
from offline.engine import ACCOUNT_ID
from tests.ci_access.plan_requests import stack_scope
from tests.ci_access.policies import bootstrap_roles
from tests.iam.evaluator import Policy, Request, evaluate

REGION = stack_scope("dev")[0].region
AT = f"{REGION}:{ACCOUNT_ID}"
OTHER_ACCOUNT = "210987654321"
PROD = stack_scope("prod")[1]
# dev as it would be with Managed Instances in a network of its own.
DEV_SUBNETS = ("subnet-0d0d0d0d0d0d0d001", "subnet-0d0d0d0d0d0d0d002")
DEV_GROUPS = ("sg-0d0d0d0d0d0d0d003",)
DEV_NETWORK: dict[str, Any] = {
    "vpc_id": "vpc-0d0d0d0d0d0d0d0d0",
    "subnet_ids": DEV_SUBNETS,
    "security_group_ids": DEV_GROUPS,
    "route_table_ids": ("rtb-0d0d0d0d0d0d0d004",),
}


def deploy_role_with(stack: str, **settings: Any) -> Policy:
    scope, stack_file = stack_scope(stack)
    return Policy(split_policy(deploy_policy(scope, dataclasses.replace(stack_file, **settings))))


def decide(policy: Policy, cases: list[tuple[str, str, dict[str, Any], bool]]) -> tuple[list[bool], list[bool]]:
    """What `policy` decides for each (action, resource, context) case, and what the case expects."""
    decisions = evaluate({"p": policy}, [Request("p", a, [r], c) for a, r, c, _ in cases])
    return [d.allowed for d in decisions], [c[3] for c in cases]


def network(subnets: Sequence[str], groups: Sequence[str]) -> dict[str, Any]:
    return {"lambda:SubnetIds": list(subnets), "lambda:SecurityGroupIds": list(groups)}


# Capacity providers: only in a stack with Managed Instances, only in its own network.


def test_dev_without_managed_instances_creates_no_capacity_provider_anywhere() -> None:
    provider = f"arn:aws:lambda:{AT}:capacity-provider:rustlambda-dev"
    cases = [
        ("lambda:CreateCapacityProvider", provider, network(PROD.subnet_ids, PROD.security_group_ids), False),
        ("lambda:CreateCapacityProvider", provider, network(DEV_SUBNETS, ()), False),
        ("lambda:PassCapacityProvider", f"arn:aws:lambda:{AT}:capacity-provider:rustlambda-prod", {}, False),
    ]
    assert decide(bootstrap_roles()["deploy-dev"], cases)[0] == [c[3] for c in cases]


def test_dev_with_managed_instances_creates_its_capacity_provider_in_its_own_network_only() -> None:
    """Attack: dev creating a capacity provider in prod's network (whole, or one subnet or
    security group of it mixed in with dev's)."""
    role = deploy_role_with("dev", **DEV_NETWORK)
    provider = f"arn:aws:lambda:{AT}:capacity-provider:rustlambda-dev"
    own_subnets, own_groups = DEV_SUBNETS, DEV_GROUPS
    cases = [
        ("lambda:CreateCapacityProvider", provider, network(own_subnets, own_groups), True),
        ("lambda:CreateCapacityProvider", provider, network(PROD.subnet_ids, PROD.security_group_ids), False),
        ("lambda:CreateCapacityProvider", provider, network((*own_subnets, PROD.subnet_ids[0]), own_groups), False),
        ("lambda:CreateCapacityProvider", provider, network(own_subnets, PROD.security_group_ids), False),
        # Without the keys (no network named): refused, not waved through.
        ("lambda:CreateCapacityProvider", provider, {}, False),
        # prod's provider is not dev's to create, pass or change.
        (
            "lambda:CreateCapacityProvider",
            f"arn:aws:lambda:{AT}:capacity-provider:rustlambda-prod",
            network(own_subnets, own_groups),
            False,
        ),
        ("lambda:PassCapacityProvider", f"arn:aws:lambda:{AT}:capacity-provider:rustlambda-prod", {}, False),
        ("lambda:UpdateCapacityProvider", f"arn:aws:lambda:{AT}:capacity-provider:rustlambda-prod", {}, False),
    ]
    assert decide(role, cases)[0] == [c[3] for c in cases]


def test_prod_creates_its_capacity_provider_in_its_own_network_only() -> None:
    provider = f"arn:aws:lambda:{AT}:capacity-provider:rustlambda-prod"
    cases = [
        ("lambda:CreateCapacityProvider", provider, network(PROD.subnet_ids, PROD.security_group_ids), True),
        ("lambda:CreateCapacityProvider", provider, network(DEV_SUBNETS, PROD.security_group_ids), False),
    ]
    assert decide(bootstrap_roles()["deploy-prod"], cases)[0] == [c[3] for c in cases]


@pytest.mark.parametrize("action", ["lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"])
def test_no_function_is_put_in_a_vpc(action: str) -> None:
    """Attack: a function of dev attached to prod's VPC, where it reaches prod's network."""
    function = f"arn:aws:lambda:{AT}:function:rustlambda-dev-http-api"
    cases = [
        (action, function, {}, True),
        (action, function, {"lambda:VpcIds": PROD.vpc_id, **network(PROD.subnet_ids, PROD.security_group_ids)}, False),
    ]
    assert decide(bootstrap_roles()["deploy-dev"], cases)[0] == [c[3] for c in cases]


# Invoke permissions and function URLs: the program's principals, AWS_IAM URLs.


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_public_function_url_or_invoke_permission_for_anyone(stack: str) -> None:
    function = f"arn:aws:lambda:{AT}:function:rustlambda-{stack}-http-api"
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("lambda:AddPermission", function, {"lambda:Principal": "apigateway.amazonaws.com"}, True),
        ("lambda:AddPermission", function, {"lambda:Principal": "events.amazonaws.com"}, True),
        ("lambda:AddPermission", function, {"lambda:Principal": "s3.amazonaws.com"}, True),
        # Anyone; another account; a service the program never grants; no principal named.
        ("lambda:AddPermission", function, {"lambda:Principal": "*"}, False),
        ("lambda:AddPermission", function, {"lambda:Principal": OTHER_ACCOUNT}, False),
        ("lambda:AddPermission", function, {"lambda:Principal": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, False),
        ("lambda:AddPermission", function, {"lambda:Principal": "sns.amazonaws.com"}, False),
        ("lambda:AddPermission", function, {}, False),
        # A URL permission without auth, even for a service principal.
        (
            "lambda:AddPermission",
            function,
            {"lambda:Principal": "*", "lambda:FunctionUrlAuthType": "NONE"},
            False,
        ),
        (
            "lambda:AddPermission",
            function,
            {"lambda:Principal": "apigateway.amazonaws.com", "lambda:FunctionUrlAuthType": "NONE"},
            False,
        ),
        ("lambda:CreateFunctionUrlConfig", function, {"lambda:FunctionUrlAuthType": "AWS_IAM"}, True),
        ("lambda:CreateFunctionUrlConfig", function, {"lambda:FunctionUrlAuthType": "NONE"}, False),
        ("lambda:UpdateFunctionUrlConfig", function, {"lambda:FunctionUrlAuthType": "NONE"}, False),
    ]
    assert decide(bootstrap_roles()[f"deploy-{stack}"], cases)[0] == [c[3] for c in cases]


def test_a_stack_file_that_opts_in_to_public_urls_lets_its_deploy_role_make_them() -> None:
    role = deploy_role_with("dev", public_function_urls=True)
    function = f"arn:aws:lambda:{AT}:function:rustlambda-dev-http-api"
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("lambda:AddPermission", function, {"lambda:Principal": "*", "lambda:FunctionUrlAuthType": "NONE"}, True),
        ("lambda:CreateFunctionUrlConfig", function, {"lambda:FunctionUrlAuthType": "NONE"}, True),
        # Still only the program's principals or anyone: not another account by name.
        ("lambda:AddPermission", function, {"lambda:Principal": OTHER_ACCOUNT}, False),
    ]
    assert decide(role, cases)[0] == [c[3] for c in cases]
    assert StackFile("dev", REGION).public_function_urls is False


# EventBridge: targets are the stack's functions only.


def test_eventbridge_targets_only_the_stacks_functions() -> None:
    rule = f"arn:aws:events:{AT}:rule/rustlambda-dev-scheduled-job"
    own = f"arn:aws:lambda:{AT}:function:rustlambda-dev-scheduled-job:live"
    foreign_bus = f"arn:aws:events:{REGION}:{OTHER_ACCOUNT}:event-bus/default"
    cases: list[tuple[str, str, dict[str, Any], bool]] = [
        ("events:PutTargets", rule, {"events:TargetArn": [own]}, True),
        # Attack: forward the rule's events to another account's bus, alone or beside the function.
        ("events:PutTargets", rule, {"events:TargetArn": [foreign_bus]}, False),
        ("events:PutTargets", rule, {"events:TargetArn": [own, foreign_bus]}, False),
        ("events:PutTargets", rule, {"events:TargetArn": [f"arn:aws:sqs:{REGION}:{OTHER_ACCOUNT}:inbox"]}, False),
        ("events:PutTargets", rule, {"events:TargetArn": [f"arn:aws:lambda:{AT}:function:rustlambda-prod-x"]}, False),
        ("events:PutTargets", rule, {}, False),
    ]
    assert decide(bootstrap_roles()["deploy-dev"], cases)[0] == [c[3] for c in cases]


# VPC endpoints: the services the program uses only.


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (f"com.amazonaws.{REGION}.dynamodb", True),
        (f"com.amazonaws.{REGION}.s3", False),
        (f"com.amazonaws.{REGION}.secretsmanager", False),
        # Another account's endpoint service (PrivateLink), where traffic would leave the stack.
        (f"com.amazonaws.vpce.{REGION}.vpce-svc-0123456789abcdef0", False),
    ],
)
def test_vpc_endpoints_only_for_the_services_the_program_uses(service: str, expected: bool) -> None:
    tags = {"aws:RequestTag/project": "rustlambda", "aws:RequestTag/stack": "prod"}
    endpoint = f"arn:aws:ec2:{AT}:vpc-endpoint/vpce-1"
    cases = [("ec2:CreateVpcEndpoint", endpoint, {**tags, "ec2:VpceServiceName": service}, expected)]
    assert decide(bootstrap_roles()["deploy-prod"], cases)[0] == [expected]
