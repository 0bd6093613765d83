"""Each stack's deploy role, checked against what its program plans (issue 12: the role's
permissions derived from the plan, not kept by hand; stacks separated; the smoke test's calls).

The dev and prod programs run offline (the real program under Pulumi's mock monitor). For every
resource they register, tests/ci_access/plan_calls.py lists the calls CloudFormation's handlers
say creating, reading, updating and deleting it take, and an IAM policy evaluator
(@cloud-copilot/iam-simulate, tests/iam) decides each call against the stack's deploy role, with
the request context AWS would send (the resource's tags, its function, the boundary of a role)."""

from __future__ import annotations

import fnmatch
import json

import pytest

from offline.engine import ACCOUNT_ID
from release import smoke as release_smoke
from tests.ci_access import plan_calls
from tests.ci_access.plan_requests import Call, PlanCalls, stack_scope
from tests.ci_access.policies import boundary, deploy, preview, sample
from tests.iam.evaluator import Policy, Request, describe_actions, evaluate
from tests.program.plans import Plan

STACKS = ("dev", "prod")
OTHER = {"dev": "prod", "prod": "dev"}

# Calls the other stack's role may make on this stack's resources too, because AWS offers nothing
# to tell the stacks apart: actions it authorizes on `*` alone (checked against AWS's action
# database), and reads of resources with generated ids and no condition key for their stack.
ACCOUNT_WIDE = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DeleteQueryDefinition",
    "logs:DescribeLogGroups",
    "logs:DescribeQueryDefinitions",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutQueryDefinition",
    "logs:UpdateLogDelivery",
    # The release step stopping its own deployment; IAM has no resource for it.
    "codedeploy:StopDeployment",
)
# Reads of a plan's resources the preview roles refuse: a secret's value.
SECRET_VALUE_READS = ("secretsmanager:GetSecretValue",)
UNSCOPABLE_READS = {
    "lambda:ListTags": "an event source mapping's tags (ListTags has no key for its function)",
    "codedeploy:GetDeploymentConfig": "CodeDeploy's predefined configurations, which belong to AWS, not a stack",
}


# Actions whose resource the evaluator cannot type (see the boundary test): each with its reason.
UNTYPED_ACTIONS = {
    "lambda:GetProvisionedConcurrencyConfig": "takes an alias or a version ARN, which look alike",
}


def policies() -> dict[str, Policy]:
    return {f"deploy-{stack}": deploy(stack) for stack in STACKS}


def plan_calls_of(plans: dict[str, Plan], stack: str, known: set[str]) -> list[Call]:
    calls = PlanCalls(plans[stack], stack_scope(stack)[0])
    smoke = release_smoke.IAM_ACTIONS
    return [
        *calls.calls(f"deploy-{stack}", known),
        *calls.release_calls(f"deploy-{stack}"),
        *calls.smoke_test_calls(f"deploy-{stack}", smoke),
    ]


def test_every_resource_type_of_the_plans_maps_to_a_cloudformation_type(plans: dict[str, Plan]) -> None:
    types = sorted({r["type"] for p in plans.values() for r in PlanCalls(p, stack_scope("dev")[0]).resources()})
    unmapped = []
    for type_ in types:
        try:
            plan_calls.cfn_type(type_)
        except plan_calls.UnmappedType as error:
            unmapped.append(str(error))
    assert unmapped == [], "\n".join(unmapped)


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_deploy_role_allows_every_call_of_its_plan(
    plans: dict[str, Plan], known_actions: set[str], stack: str
) -> None:
    calls = plan_calls_of(plans, stack, known_actions)
    assert len(calls) > 100
    decisions = evaluate(policies(), [c.request for c in calls])
    denied = [
        f"{call.describe()}: the deploy role of {stack} does not allow it ({d.decision} {d.error})".rstrip()
        for call, d in zip(calls, decisions, strict=True)
        if not d.allowed
    ]
    assert denied == [], "\n".join(sorted(set(denied)))


@pytest.mark.parametrize("stack", STACKS)
def test_no_call_on_a_stacks_resources_is_allowed_to_the_other_stacks_role(
    plans: dict[str, Plan], known_actions: set[str], stack: str
) -> None:
    other = OTHER[stack]
    calls = plan_calls_of(plans, stack, known_actions)
    requests = [
        type(c.request)(f"deploy-{other}", c.request.action, c.request.resources, c.request.context) for c in calls
    ]
    decisions = evaluate(policies(), requests)
    allowed = [
        f"{call.describe()}: the deploy role of {other} allows it"
        for call, d in zip(calls, decisions, strict=True)
        if d.allowed and call.request.action not in (*ACCOUNT_WIDE, *UNSCOPABLE_READS)
    ]
    assert allowed == [], "\n".join(sorted(set(allowed)))
    info = describe_actions([*ACCOUNT_WIDE, *UNSCOPABLE_READS])
    assert [a for a in ACCOUNT_WIDE if not info[a].wildcard_only] == []
    # Reads (AWS's database calls GetDeploymentConfig a List action): none of them changes anything.
    assert {a: info[a].access_level for a in UNSCOPABLE_READS} == {
        "lambda:ListTags": "Read",
        "codedeploy:GetDeploymentConfig": "List",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_the_preview_role_allows_every_read_of_the_plans_and_no_write(
    plans: dict[str, Plan], known_actions: set[str], stack: str
) -> None:
    calls = plan_calls_of(plans, stack, known_actions)
    levels = describe_actions(sorted({c.request.action for c in calls}))
    requests = [type(c.request)("preview", c.request.action, c.request.resources, c.request.context) for c in calls]
    decisions = evaluate({"preview": preview(stack)}, requests)
    reads = [(c, d) for c, d in zip(calls, decisions, strict=True) if c.phase == "read"]
    writes = [
        (c, d)
        for c, d in zip(calls, decisions, strict=True)
        if levels[c.request.action].access_level not in ("Read", "List")
    ]
    refused = sorted({c.request.action for c, d in reads if not d.allowed})
    assert refused == list(SECRET_VALUE_READS), [f"{c.describe()}: {d.decision} {d.error}" for c, d in reads]
    assert [c.describe() for c, d in writes if d.allowed] == []
    assert len(reads) > 50 and len(writes) > 50


@pytest.mark.parametrize("stack", STACKS)
def test_every_function_role_of_the_plan_fits_its_stacks_boundary(plans: dict[str, Plan], stack: str) -> None:
    """Each action on each resource of each role policy the program writes stays allowed under
    the boundary the program's roles carry (else the boundary would silently cut it off)."""
    role_policies = [r for r in plans[stack].registrations if r["type"] == "aws:iam/rolePolicy:RolePolicy"]
    assert len(role_policies) >= 5
    scope = stack_scope(stack)[0]
    requests: list[Request] = []
    named: dict[str, Policy] = {}
    for registration in role_policies:
        document = registration["inputs"]["policy"]
        named[registration["name"]] = Policy([document], boundary(stack))
        for statement in json.loads(document)["Statement"]:
            for action in statement["Action"]:
                for resource in statement["Resource"]:
                    requests.append(
                        Request(
                            registration["name"],
                            action,
                            [sample(resource)],
                            # As the function calls it (Lambda adds the function's ARN).
                            {"s3:ResourceAccount": ACCOUNT_ID, "lambda:SourceFunctionArn": scope.functions},
                        )
                    )
    decisions = evaluate(named, requests)
    untyped = [(r, d) for r, d in zip(requests, decisions, strict=True) if d.error == "multiple.resource.types"]
    assert [
        f"{r.policy}: {r.action} on {r.resources[0]}"
        for r, d in zip(requests, decisions, strict=True)
        if not d.allowed and (r, d) not in untyped
    ] == []
    # What the evaluator cannot type (an alias and a version ARN look alike: `function:<name>:<x>`),
    # the boundary must grant in so many words: the same action on a pattern covering the resource.
    granted = [s for s in json.loads(boundary(stack))["Statement"] if s["Effect"] == "Allow"]
    for request, _ in untyped:
        assert request.action in UNTYPED_ACTIONS, f"{request.action}: the evaluator could not type it"
        assert any(
            request.action in s["Action"]
            and any(fnmatch.fnmatchcase(request.resources[0], pattern) for pattern in s["Resource"])
            for s in granted
        ), f"{request.policy}: {request.action} on {request.resources[0]} is not in the boundary"


def test_every_call_the_tables_leave_out_is_one_the_schemas_list() -> None:
    """An exception for a call CloudFormation no longer lists is stale: drop it."""
    stale = [
        f"{cfn_type}: {action}"
        for cfn_type, rules in plan_calls.NOT_CALLED.items()
        for rule in rules
        for action in rule.actions
        if action.lower()
        not in {a.lower() for actions in plan_calls.handler_permissions(cfn_type).values() for a in actions}
    ]
    assert stale == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_of_the_plan_carries_its_stacks_boundary(plans: dict[str, Plan], stack: str) -> None:
    roles = plans[stack].of_type("aws:iam/role:Role")
    # Each function's role, and in prod the capacity provider's operator role (CodeDeploy's is
    # ci_access's).
    assert len(roles) == {"dev": 5, "prod": 6}[stack]
    scope = stack_scope(stack)[0]
    assert {r["inputs"]["name"]: r["inputs"].get("permissionsBoundary") for r in roles} == {
        r["inputs"]["name"]: scope.operator_boundary_arn
        if r["inputs"]["name"] == f"{scope.prefix}-operator"
        else scope.boundary_arn
        for r in roles
    }
