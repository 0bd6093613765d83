"""IAM requests for the calls of a plan: which resources each call may be authorized on, and the
request context AWS would send with it (tags, the function of an event source mapping, the
boundary a role is created with, ...), all taken from the plan's own inputs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ci_access.permissions import OWNER_TAG_KEYS
from ci_access.scope import StackScope
from ci_access.stacks import StackFile, read_stack_file
from offline.engine import ACCOUNT_ID, World, computed_outputs
from release.step import iam_requests
from tests.ci_access import plan_calls
from tests.iam.evaluator import Request
from tests.program.plans import Plan

PROJECT = "rustlambda"
ROLE_TYPE = "aws:iam/role:Role"
FUNCTION_TYPE = "aws:lambda/function:Function"
# The service a resource's calls pass a role to (iam:PassedToService): Lambda's, but for these.
# Keys the deploy roles pin values of: a failure names the value the plan sends.
CONDITIONED_KEYS = (
    "lambda:Principal",
    "lambda:FunctionUrlAuthType",
    "events:TargetArn",
    "ec2:VpceServiceName",
    "lambda:SubnetIds",
    "lambda:SecurityGroupIds",
)
PASSED_TO = {"aws:codedeploy/deploymentGroup:DeploymentGroup": "codedeploy.amazonaws.com"}


def stack_scope(stack: str) -> tuple[StackScope, StackFile]:
    """The stack as the offline engine runs it (the engine's account, the stack file's region) and
    its stack file."""
    stack_file = read_stack_file(stack)
    return StackScope(PROJECT, stack, ACCOUNT_ID, stack_file.region), stack_file


def own_arns(registration: Mapping[str, Any], world: World) -> list[str]:
    """The ARNs of the AWS objects a registration is (the offline engine's, plus the few it does
    not compute)."""
    type_, name, inputs = registration["type"], registration["name"], registration["inputs"]
    at = f"{world.region}:{world.account_id}"
    if type_ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return [f"arn:aws:cloudwatch:{at}:alarm:{inputs['name']}"]
    if type_ == "aws:cloudwatch/dashboard:Dashboard":
        return [f"arn:aws:cloudwatch::{world.account_id}:dashboard/{inputs['dashboardName']}"]
    if type_ == "aws:lambda/layerVersion:LayerVersion":
        # Publishing names the layer; reading and deleting name the version.
        outputs = computed_outputs(world, type_, name, inputs)
        return [str(outputs["arn"]), str(outputs["layerArn"])]
    if type_ == "aws:lambda/eventSourceMapping:EventSourceMapping":
        return [f"arn:aws:lambda:{at}:event-source-mapping:{name}-id"]
    if type_ == "aws:ec2/vpcEndpoint:VpcEndpoint":
        return [
            f"arn:aws:ec2:{at}:vpc-endpoint/{name}-id",
            f"arn:aws:ec2:{at}:vpc/{inputs['vpcId']}",
            *(f"arn:aws:ec2:{at}:route-table/{rtb}" for rtb in inputs.get("routeTableIds") or ()),
        ]
    if type_ == "aws:codedeploy/deploymentGroup:DeploymentGroup":
        # A group's calls also read its application and its (AWS-managed) deployment configuration,
        # and pass its service role (ci_access's, not the plan's).
        return [
            str(computed_outputs(world, type_, name, inputs)["arn"]),
            f"arn:aws:codedeploy:{at}:application:{inputs['appName']}",
            f"arn:aws:codedeploy:{at}:deploymentconfig:{inputs['deploymentConfigName']}",
            str(inputs["serviceRoleArn"]),
        ]
    arn = computed_outputs(world, type_, name, inputs).get("arn")
    return [str(arn)] if arn else []


def collection(arn: str) -> str:
    """`arn:aws:apigateway:r::/apis/abc` -> `arn:aws:apigateway:r::/apis`; other ARNs unchanged."""
    return arn.rsplit("/", 1)[0] if arn.startswith("arn:aws:apigateway:") else arn


def request_values(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The condition keys whose values the request carries from the resource's own inputs: the
    principal of an invoke permission and the auth type of a function URL or its permission, the
    target of an EventBridge rule, the service of a VPC endpoint, the network of a capacity
    provider. Absent inputs send no key (as AWS would not)."""
    values: dict[str, Any] = {}
    if "principal" in inputs:
        values["lambda:Principal"] = inputs["principal"]
    auth = inputs.get("authorizationType") or inputs.get("functionUrlAuthType")
    if isinstance(auth, str) and auth in ("AWS_IAM", "NONE"):
        values["lambda:FunctionUrlAuthType"] = auth
    if "rule" in inputs and "arn" in inputs:
        values["events:TargetArn"] = [inputs["arn"]]
    if "serviceName" in inputs:
        values["ec2:VpceServiceName"] = inputs["serviceName"]
    network = inputs.get("vpcConfig") or {}
    if "subnetIds" in network:
        values["lambda:SubnetIds"] = list(network["subnetIds"])
    if "securityGroupIds" in network:
        values["lambda:SecurityGroupIds"] = list(network["securityGroupIds"])
    return values


@dataclass(frozen=True)
class Call:
    """One call a phase of one resource takes, as an IAM request."""

    type: str
    resource: str  # the pulumi name
    phase: str
    request: Request

    def describe(self) -> str:
        kind = f"{self.type} ({plan_calls.CFN_TYPES[self.type]})" if self.type in plan_calls.CFN_TYPES else self.type
        pinned = {k: v for k, v in self.request.context.items() if k in CONDITIONED_KEYS}
        values = f" with {json.dumps(pinned, sort_keys=True)}" if pinned else ""
        return (
            f"{kind} {self.resource}: {self.phase} calls {self.request.action} on {self.request.resources[0]}{values}"
        )


class PlanCalls:
    def __init__(self, plan: Plan, scope: StackScope) -> None:
        self.plan = plan
        self.scope = scope
        self.world = World(scope.account_id, scope.region)
        self.by_urn = {r["urn"]: r for r in plan.registrations}

    def resources(self) -> list[dict[str, Any]]:
        """The AWS resources: not providers, and not pulumi-command's commands, which run on the
        deploying machine (the release step's own AWS calls are `release_calls`)."""
        return [
            r
            for r in self.plan.registrations
            if r["custom"] and not r["type"].startswith(("pulumi:providers:", "command:"))
        ]

    def dependencies(self, registration: Mapping[str, Any]) -> list[dict[str, Any]]:
        urns = [u for urns in registration["property_dependencies"].values() for u in urns]
        urns += registration["dependencies"]
        seen: list[dict[str, Any]] = []
        for urn in urns:
            found = self.by_urn.get(urn)
            if found is not None and found["custom"] and found not in seen:
                seen.append(found)
        return seen

    def candidates(self, registration: Mapping[str, Any]) -> list[str]:
        """Its own ARNs, then those of the resources it references and theirs (a function's
        scaling config is checked for the function's calls, which pass the function's role)."""
        arns = own_arns(registration, self.world)
        for dependency in self.dependencies(registration):
            for related in [dependency, *self.dependencies(dependency)]:
                arns += [a for a in own_arns(related, self.world) if a not in arns]
        return [*arns, "*"]

    def boundary_of(self, registration: Mapping[str, Any]) -> str:
        """A role's permissions boundary; for a role's policy or attachment, its role's."""
        roles = [d for d in [registration, *self.dependencies(registration)] if d["type"] == ROLE_TYPE]
        return str(roles[0]["inputs"].get("permissionsBoundary", "")) if roles else ""

    def context(self, registration: Mapping[str, Any], phase: str, actions: list[str]) -> dict[str, Any]:
        inputs = registration["inputs"]
        own_tags: dict[str, str] = inputs.get("tags") or {}
        # A resource without tags of its own (a route, an integration) is authorized with the tags
        # of the resource it belongs to, which exists before it.
        inherited: dict[str, str] = next(
            (d["inputs"]["tags"] for d in self.dependencies(registration) if d["inputs"].get("tags")), {}
        )
        tags = own_tags or inherited
        context: dict[str, Any] = {
            "aws:ResourceAccount": ACCOUNT_ID,
            "s3:ResourceAccount": ACCOUNT_ID,
            # The boundary of the role the call changes, as the program sets it (a role without one
            # is refused by the deploy role, which the evaluator then reports).
            "iam:PermissionsBoundary": self.boundary_of(registration),
            "iam:PassedToService": PASSED_TO.get(registration["type"], "lambda.amazonaws.com"),
            **request_values(inputs),
        }
        request_tags = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
        resource_tags = {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
        if phase == "create":
            # The create call carries the tags; the handler's later calls see them on the resource
            # (and a child's calls, its parent's).
            context.update({f"aws:ResourceTag/{k}": v for k, v in tags.items()})
            context.update({f"aws:RequestTag/{k}": v for k, v in own_tags.items()})
            creates = [a.split(":")[1] for a in actions if a.startswith("ec2:Create") and a != "ec2:CreateTags"]
            if creates:
                context["ec2:CreateAction"] = creates[0]
        else:
            context.update(resource_tags)
            if phase == "update":
                context.update(request_tags)
        if tags and phase in ("create", "update"):
            context["aws:TagKeys"] = sorted(tags)
        if "policyArn" in inputs:
            context["iam:PolicyARN"] = inputs["policyArn"]
        named = inputs.get("functionName")
        functions = [d for d in [registration, *self.dependencies(registration)] if d["type"] == FUNCTION_TYPE]
        if isinstance(named, str) and named.startswith("arn:aws:lambda:"):
            # The request names the function as the resource gives it (an event source mapping
            # names the live alias's ARN): that is the condition key's value.
            context["lambda:FunctionArn"] = named
        elif functions:
            context["lambda:FunctionArn"] = own_arns(functions[0], self.world)[0]
        return context

    def calls(self, policy: str, known_actions: set[str]) -> Iterator[Call]:
        for registration in self.resources():
            by_phase = plan_calls.calls(registration["type"], registration["inputs"], known_actions)
            for phase, actions in by_phase.items():
                candidates = self.candidates(registration)
                if phase == "create":
                    # API Gateway authorizes a create on the collection it adds to (`/apis`).
                    candidates = [collection(a) for a in own_arns(registration, self.world)] + candidates
                context = self.context(registration, phase, actions)
                for action in actions:
                    request_context = context
                    if action.split(":")[1].startswith(("DeleteTags", "Untag")) and "aws:TagKeys" in context:
                        # The program removes only tags a user drops from `tags`, never the owner tags.
                        others = [k for k in context["aws:TagKeys"] if k not in OWNER_TAG_KEYS]
                        request_context = {**context, "aws:TagKeys": others}
                    yield Call(
                        registration["type"],
                        registration["name"],
                        phase,
                        Request(policy, action, candidates, request_context),
                    )

    def release_calls(self, policy: str) -> Iterator[Call]:
        """The release step's calls (release.step.iam_requests) for each function of the plan, as
        `pulumi up` runs it with the stack's deploy role."""
        for step in self.plan.of_type("command:local:Command"):
            for action, resources in iam_requests(step["inputs"]["environment"], self.world.account_id):
                yield Call("scripts/release", step["name"], "release", Request(policy, action, resources))

    def smoke_test_calls(self, policy: str, actions: tuple[str, ...]) -> Iterator[Call]:
        """The smoke test's calls on each function the stack exports (`functionArns`)."""
        for name, arn in sorted(self.plan.outputs["functionArns"].items()):
            for action in actions:
                yield Call("scripts/smoke-test", name, "smoke test", Request(policy, action, [arn]))
