"""RustFunction: one Rust Lambda function with its own execution role and log group.

Owns: the role (trusted by lambda.amazonaws.com for this account only), the log group (retention
set, wired through the function's `logging_config`), the role policy (logs on that group only,
X-Ray, and the statements the caller derives from the function's contract and trigger, each on an
exact ARN), the function (`provided.al2023`, `arm64`, handler `bootstrap`, JSON logs at the stack's
log level, its layers), a numbered version per change of code or configuration (on either
placement), and its `live` alias (components/alias.py), which it hands to the triggers.

Where it runs is its settings' `managed_instances`: on the stack's capacity provider the function is
attached to it (`capacity_provider_config`) and still publishes numbered versions, so every release
is a canary-able version behind the weighted alias (AWS's Managed Instances deployment guide: blue/
green and canary through numbered versions); the release step sets each version's scaling config
and retires old versions (the provider holds at most 100). Rolling updates through
`$LATEST.PUBLISHED` are not used: they bypass the alias, the pre-traffic check and the rollback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.alias import InvokeTarget, LiveAlias, LiveAliasArgs
from components.build import Artifact
from model import arns, iam
from model.naming import role_name
from model.stack_config import FunctionSettings
from release.alias_state import AliasState

RUNTIME = "provided.al2023"
ARCHITECTURE = "arm64"
HANDLER = "bootstrap"
# Lambda's own lines at INFO: the platform.start and platform.report line of each invocation, which
# the saved Logs Insights queries read (components/queries.py).
SYSTEM_LOG_LEVEL = "INFO"


@dataclass(frozen=True)
class RustFunctionArgs:
    function_name: str
    description: str
    artifact: Artifact
    # Memory, timeout, concurrency, log level, placement: the contract with the stack's overrides.
    settings: FunctionSettings
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    # The stack's permissions boundary (ci_access/): every role the stack creates carries it.
    permissions_boundary: pulumi.Input[str]
    log_retention_days: int
    tracing: bool
    # The live alias as AWS has it now (components/alias.py read_alias_state).
    alias_state: AliasState
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Statements the contract and the trigger imply (tables, buckets, secrets, queues), each on an exact ARN.
    statements: Sequence[pulumi.Input[iam.Statement]] = ()
    # Async triggers (S3, EventBridge): failed events go to this queue after Lambda's retries.
    on_failure_queue_arn: pulumi.Input[str] | None = None
    # The stack's capacity provider: required when the settings place the function on it.
    capacity_provider_arn: pulumi.Input[str] | None = None
    # Layer version ARNs (the telemetry extension, an OpenTelemetry collector), in order.
    layers: Sequence[pulumi.Input[str]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


def capacity_provider_config(
    settings: FunctionSettings, capacity_provider_arn: pulumi.Input[str] | None
) -> aws.lambda_.FunctionCapacityProviderConfigArgs | None:
    """The function's attachment to the capacity provider, when its settings place it there."""
    placement = settings.managed_instances
    if placement is None:
        return None
    if capacity_provider_arn is None:
        raise ValueError("the settings place the function on Managed Instances, but the stack has no capacity provider")
    return aws.lambda_.FunctionCapacityProviderConfigArgs(
        lambda_managed_instances_capacity_provider_config=aws.lambda_.FunctionCapacityProviderConfigLambdaManagedInstancesCapacityProviderConfigArgs(
            capacity_provider_arn=capacity_provider_arn,
            execution_environment_memory_gib_per_vcpu=placement.memory_gib_per_vcpu,
            per_execution_environment_max_concurrency=placement.max_concurrency,
        )
    )


class RustFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    # The version this update publishes (a new number only when code or configuration changed).
    version: pulumi.Output[str]
    live: LiveAlias
    # What triggers invoke: the live alias.
    target: InvokeTarget
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: RustFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:RustFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        self.role = aws.iam.Role(
            f"{name}-role",
            # Named under the project prefix, which the CI deploy role may manage.
            name=role_name(args.function_name),
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(iam.lambda_trust_policy),
            description=f"Execution role of {args.function_name}",
            permissions_boundary=args.permissions_boundary,
            tags=dict(args.tags),
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{args.function_name}",
            retention_in_days=args.log_retention_days,
            tags=dict(args.tags),
            opts=child,
        )
        # Built from the group's name (known at preview), not its ARN output (known once it exists), so that
        # a preview's policy pack judges the document.
        log_group_arn = pulumi.Output.all(args.region, args.account_id, self.log_group.name).apply(
            lambda v: arns.log_group_arn(str(v[0]), str(v[1]), str(v[2]))
        )
        statements: list[pulumi.Input[iam.Statement]] = [
            log_group_arn.apply(iam.log_statement),
            *args.statements,
        ]
        if args.tracing:
            statements.append(iam.xray_statement())
        if args.on_failure_queue_arn is not None:
            statements.append(
                pulumi.Output.from_input(args.on_failure_queue_arn).apply(
                    lambda arn: iam.send_message_statement("SendFailedEvents", arn)
                )
            )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.name,
            policy=pulumi.Output.all(*statements).apply(iam.document),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            description=args.description,
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=HANDLER,
            code=args.artifact.archive(),
            memory_size=settings.memory,
            timeout=settings.timeout,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level=settings.log_level,
                system_log_level=SYSTEM_LOG_LEVEL,
            ),
            layers=list(args.layers) or None,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active" if args.tracing else "PassThrough"),
            reserved_concurrent_executions=settings.reserved_concurrency,
            capacity_provider_config=capacity_provider_config(settings, args.capacity_provider_arn),
            # A numbered version per change of code or configuration, on either placement: the live
            # alias points at one, and the release moves it (components/release.py). Reproducible
            # zips make "changed" exact.
            publish=True,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.role_policy, self.log_group],
                # A capacity provider cannot be attached to or detached from an existing
                # function: turning Managed Instances on or off replaces the function.
                replace_on_changes=["capacityProviderConfig"],
            ),
        )
        self.function_name = self.function.name
        self.function_arn = self.function.arn
        self.version = self.function.version
        self.live = LiveAlias(
            f"{name}-live",
            LiveAliasArgs(
                function_name=self.function.name,
                newest_version=self.function.version,
                current=args.alias_state,
                on_failure_queue_arn=args.on_failure_queue_arn,
            ),
            child,
        )
        self.target = self.live.target
        self.register_outputs(
            {
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "role_arn": self.role.arn,
                "log_group_name": self.log_group.name,
                "alias_arn": self.target.arn,
            }
        )
