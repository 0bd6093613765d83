"""Attack: a role the deploy role creates, used outside the stack (docs/security.md, "A leaked CI
token"). No IAM condition limits what a trust policy says, so whoever holds a deploy role can
create a role of the stack trusted by any account. Such a role must be useless there: a function
role carries the function boundary, which denies every call no function of the stack makes; the
operator role carries the operator boundary, whose grants act only through Lambda's scaler; and
CodeDeploy's role is ci_access's, which no deploy role can create, trust or change.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ci_access.permissions import (
    LAMBDA_SERVICE_CALLS,
    OPERATOR_DESCRIBES,
    codedeploy_role_policy,
    codedeploy_trust_policy,
)
from model.naming import codedeploy_role_name
from offline.engine import ACCOUNT_ID
from tests.ci_access.plan_requests import stack_scope
from tests.ci_access.policies import STACKS, bootstrap_roles, boundary, granted, operator, scope
from tests.iam.evaluator import Policy, Request, evaluate

REGION = stack_scope("dev")[0].region
AT = f"{REGION}:{ACCOUNT_ID}"
OTHER_ACCOUNT = "210987654321"
# What a backdoor writes into the role it creates: everything, which only the boundary limits.
EVERYTHING = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
HERE = {"s3:ResourceAccount": ACCOUNT_ID}


def function_arn(stack: str, crate: str = "sqs-processor") -> str:
    return f"arn:aws:lambda:{AT}:function:rustlambda-{stack}-{crate}"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


Call = tuple[str, tuple[str, ...], dict[str, Any]]


def decide(policy: Policy, calls: list[Call]) -> tuple[list[tuple[str, str]], int]:
    """The calls `policy` allows, as (action, the resource evaluated), and how many calls there
    are: a boundary's statement may name an action with a resource type it does not take (AWS's
    managed operator policy does), which is no call."""
    decisions = evaluate({"p": policy}, [Request("p", a, r, c) for a, r, c in calls])
    errors = [d.error for d in decisions if d.decision == "Error"]
    assert [e for e in errors if not e.startswith("no candidate is a resource of")] == []
    allowed = sorted({(a, d.resource) for (a, _, _), d in zip(calls, decisions, strict=True) if d.allowed})
    return allowed, len(calls) - len(errors)


def legitimate(action: str, stack: str) -> dict[str, Any]:
    """The context of the call as one of the stack's functions makes it (Secrets Manager decrypts
    on the function's behalf in a forward access session, naming itself)."""
    if action == "kms:Decrypt":
        return {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com", "aws:ViaAWSService": "true"}
    return {**HERE, "lambda:SourceFunctionArn": function_arn(stack)}


@pytest.mark.parametrize("stack", STACKS)
def test_the_deploy_role_may_create_a_function_role_only_with_the_function_boundary(stack: str) -> None:
    backdoor = role_arn(f"rustlambda-{stack}-backdoor-role")
    requests = [
        Request(f"deploy-{stack}", "iam:CreateRole", [backdoor], {"iam:PermissionsBoundary": arn})
        for arn in (scope(stack).boundary_arn, scope(stack).operator_boundary_arn, "")
    ]
    assert [d.allowed for d in evaluate(bootstrap_roles(), requests)] == [True, False, False]


@pytest.mark.parametrize("stack", STACKS)
def test_a_function_role_used_outside_the_stacks_functions_can_only_do_what_lambda_does_without_the_key(
    stack: str,
) -> None:
    """The role, with everything granted inline, assumed from another account (its credentials
    carry no lambda:SourceFunctionArn) or attached to another stack's function: denied every call
    the boundary grants, but the SQS calls Lambda makes for a function without the key."""
    role = Policy([EVERYTHING], boundary(stack))
    pairs = granted(boundary(stack))
    other = "prod" if stack == "dev" else "dev"
    from_the_stack, calls = decide(role, [(a, r, legitimate(a, stack)) for a, r in pairs])
    assumed_elsewhere, _ = decide(role, [(a, r, HERE) for a, r in pairs])
    in_another_stack, _ = decide(
        role, [(a, r, {**HERE, "lambda:SourceFunctionArn": function_arn(other)}) for a, r in pairs]
    )
    print(json.dumps({"allowed from the stack": len(from_the_stack), "elsewhere": assumed_elsewhere}, indent=1))
    assert (len(from_the_stack), calls) == (len(pairs), len(pairs))
    queues = f"arn:aws:sqs:{AT}:rustlambda-{stack}-x"
    assert assumed_elsewhere == [(action, queues) for action in sorted(LAMBDA_SERVICE_CALLS)]
    assert in_another_stack == assumed_elsewhere


@pytest.mark.parametrize("action", ["secretsmanager:GetSecretValue", "dynamodb:Scan", "s3:GetObject"])
def test_a_backdoor_role_assumed_from_another_account_reads_no_data_of_the_stack(action: str) -> None:
    resources = {
        "secretsmanager:GetSecretValue": f"arn:aws:secretsmanager:{AT}:secret:rustlambda-prod/signing-AbCdEf",
        "dynamodb:Scan": f"arn:aws:dynamodb:{AT}:table/rustlambda-prod-items",
        "s3:GetObject": "arn:aws:s3:::rustlambda-prod-uploads-abc/incoming/a.json",
    }
    (decision,) = evaluate(
        {"backdoor": Policy([EVERYTHING], boundary("prod"))},
        [Request("backdoor", action, [resources[action]], {**HERE, "aws:ViaAWSService": "false"})],
    )
    assert decision.decision == "ExplicitlyDenied"


def operator_calls(subnet: str, security_group: str) -> dict[str, list[str]]:
    """The calls AWSLambdaManagedEC2ResourceOperator grants, each with the resources EC2 authorizes
    it on (a call is allowed only if each of them is)."""
    ec2 = f"arn:aws:ec2:{AT}"
    instance, interface, volume = f"{ec2}:instance/i-1", f"{ec2}:network-interface/eni-1", f"{ec2}:volume/vol-1"
    network = [f"{ec2}:subnet/{subnet}", f"{ec2}:security-group/{security_group}"]
    return {
        "ec2:RunInstances": [instance, interface, volume, *network, f"arn:aws:ec2:{REGION}::image/ami-1"],
        "ec2:CreateNetworkInterface": [interface, *network],
        "ec2:AttachNetworkInterface": [instance, interface],
        "ec2:CreateTags": [instance],
        **{action: ["*"] for action in OPERATOR_DESCRIBES},
    }


def allowed_calls(policy: Policy, calls: dict[str, list[str]], context: dict[str, Any]) -> list[str]:
    requests = [Request("p", action, [r], context) for action, resources in calls.items() for r in resources]
    decisions = iter(evaluate({"p": policy}, requests))
    verdicts = {action: [next(decisions).allowed for _ in resources] for action, resources in calls.items()}
    return sorted(action for action, allowed in verdicts.items() if all(allowed))


def test_the_operator_role_outside_lambdas_scaler_can_only_describe_ec2() -> None:
    settings = stack_scope("prod")[1]
    role = Policy([EVERYTHING], operator("prod"))
    calls = operator_calls(settings.subnet_ids[0], settings.security_group_ids[0])
    scaler = {"ec2:ManagedResourceOperator": "scaler.lambda.amazonaws.com", "ec2:Owner": "amazon"}
    # CreateNetworkInterface: AWS's policy grants it on the subnet and security group, not on the
    # interface EC2 authorizes it on too; the scaler's interfaces come with RunInstances.
    assert allowed_calls(role, calls, scaler) == sorted(set(calls) - {"ec2:CreateNetworkInterface"})
    # Outside the scaler: EC2's reads, which describe the account's EC2, and nothing else.
    assert allowed_calls(role, calls, {"ec2:Owner": "amazon"}) == sorted(OPERATOR_DESCRIBES)


def test_the_operator_launches_only_in_the_stacks_own_subnets_and_security_groups() -> None:
    """Attack: the stack's operator role launching into another network, even through Lambda's
    scaler (the deploy role's side: test_conditions.py)."""
    settings = stack_scope("prod")[1]
    role = Policy([EVERYTHING], operator("prod"))
    scaler = {"ec2:ManagedResourceOperator": "scaler.lambda.amazonaws.com", "ec2:Owner": "amazon"}
    networks = [
        (settings.subnet_ids[0], settings.security_group_ids[0]),
        ("subnet-0ffffffffffffffff", settings.security_group_ids[0]),
        (settings.subnet_ids[0], "sg-0ffffffffffffffff"),
    ]
    launches = ["ec2:RunInstances" in allowed_calls(role, operator_calls(*n), scaler) for n in networks]
    assert launches == [True, False, False]


@pytest.mark.parametrize("stack", STACKS)
def test_codedeploys_role_is_assumed_by_codedeploy_of_this_account_only(stack: str) -> None:
    trust = codedeploy_trust_policy(scope(stack))
    role = role_arn(codedeploy_role_name("rustlambda", stack))
    everything = {"attacker": Policy([EVERYTHING])}
    cases = [
        ("codedeploy.amazonaws.com", {"aws:SourceAccount": ACCOUNT_ID}, True),
        ("codedeploy.amazonaws.com", {"aws:SourceAccount": OTHER_ACCOUNT}, False),
        ("lambda.amazonaws.com", {"aws:SourceAccount": ACCOUNT_ID}, False),
        (f"arn:aws:iam::{OTHER_ACCOUNT}:role/attacker", {}, False),
        (f"arn:aws:iam::{ACCOUNT_ID}:role/github-deploy-rustlambda-{stack}", {}, False),
    ]
    requests = [
        Request("attacker", "sts:AssumeRole", [role], c, principal=p, resource_policy=trust) for p, c, _ in cases
    ]
    assert [d.allowed for d in evaluate(everything, requests)] == [c[2] for c in cases]


def test_no_deploy_role_can_create_trust_or_change_codedeploys_role() -> None:
    roles = bootstrap_roles()
    changes = (
        "iam:CreateRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:DeleteRole",
    )
    requests = [
        Request(
            f"deploy-{stack}",
            action,
            [role_arn(codedeploy_role_name("rustlambda", target))],
            {
                "iam:PermissionsBoundary": scope(stack).boundary_arn,
                "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        )
        for stack in STACKS
        for target in STACKS
        for action in changes
    ]
    assert [r.action for r, d in zip(requests, evaluate(roles, requests), strict=True) if d.allowed] == []


def test_codedeploys_role_may_only_shift_the_stacks_aliases_and_read_its_alarms() -> None:
    functions = f"arn:aws:lambda:{AT}:function:rustlambda-prod-*"
    assert json.loads(codedeploy_role_policy(scope("prod")))["Statement"] == [
        {
            "Sid": "ShiftLiveAliases",
            "Effect": "Allow",
            "Action": ["lambda:GetAlias", "lambda:UpdateAlias"],
            "Resource": [functions, f"{functions}:*"],
        },
        {
            "Sid": "ReadProvisionedConcurrency",
            "Effect": "Allow",
            "Action": ["lambda:GetProvisionedConcurrencyConfig"],
            "Resource": [f"{functions}:*"],
        },
        {
            "Sid": "ReadRollbackAlarms",
            "Effect": "Allow",
            "Action": ["cloudwatch:DescribeAlarms"],
            "Resource": [f"arn:aws:cloudwatch:{AT}:alarm:rustlambda-prod-*"],
        },
    ]
