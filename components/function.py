"""RustFunction: one Rust Lambda function with its own execution role and log group.

Owns: the role (trusted by lambda.amazonaws.com for this account only), the log group (retention
set, wired through the function's `logging_config`), the role policy (logs on that group only,
X-Ray, and the statements the caller derives from the function's contract, each on an exact
ARN), the function (`provided.al2023`, `arm64`, handler `bootstrap`, JSON logs at the stack's
log level, its layers), a version per change, the `live` alias every trigger invokes (with its
provisioned concurrency, when asked for), and, for async triggers, the alias's on-failure
destination. With Managed Instances, the function is attached to the capacity provider, published
to LATEST_PUBLISHED, and given a scaling config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.build import Artifact
from model import arns, iam
from model.naming import role_name

RUNTIME = "provided.al2023"
ARCHITECTURE = "arm64"
HANDLER = "bootstrap"
LIVE_ALIAS = "live"
# Lambda's own lines at INFO: the platform.start and platform.report line of each invocation, which
# the saved Logs Insights queries read (components/queries.py).
SYSTEM_LOG_LEVEL = "INFO"


@dataclass(frozen=True)
class ManagedInstancesAttachment:
    """How the function runs on a capacity provider (validated in model.stack_config)."""

    capacity_provider_arn: pulumi.Input[str]
    memory_gib_per_vcpu: int
    max_concurrency: int
    min_environments: int
    max_environments: int


@dataclass(frozen=True)
class RustFunctionArgs:
    function_name: str
    description: str
    artifact: Artifact
    memory: int
    timeout: int
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    # The stack's permissions boundary (ci_access/): every role the stack creates carries it.
    permissions_boundary: pulumi.Input[str]
    log_retention_days: int
    tracing: bool
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Statements the contract implies (tables, buckets, secrets, queues), each on an exact ARN.
    statements: Sequence[pulumi.Input[iam.Statement]] = ()
    reserved_concurrency: int | None = None
    # Async triggers (S3, EventBridge): failed events go to this queue after Lambda's retries.
    on_failure_queue_arn: pulumi.Input[str] | None = None
    managed_instances: ManagedInstancesAttachment | None = None
    # Execution environments kept initialized on the live alias.
    provisioned_concurrency: int | None = None
    # Lambda's application log level (the function reads it as AWS_LAMBDA_LOG_LEVEL).
    log_level: str = "INFO"
    # Layer version ARNs (the telemetry extension, an OpenTelemetry collector), in order.
    layers: Sequence[pulumi.Input[str]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class RustFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    # The version this update publishes (a new one only when code or configuration changed).
    version: pulumi.Output[str]
    alias: aws.lambda_.Alias
    # What triggers invoke: the live alias.
    invoke_target_arn: pulumi.Output[str]
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: RustFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:RustFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

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

        mi = args.managed_instances
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            description=args.description,
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=HANDLER,
            code=args.artifact.archive(),
            memory_size=args.memory,
            timeout=args.timeout,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment))
            if args.environment
            else None,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level=args.log_level,
                system_log_level=SYSTEM_LOG_LEVEL,
            ),
            layers=list(args.layers) or None,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active" if args.tracing else "PassThrough"),
            reserved_concurrent_executions=args.reserved_concurrency,
            capacity_provider_config=None
            if mi is None
            else aws.lambda_.FunctionCapacityProviderConfigArgs(
                lambda_managed_instances_capacity_provider_config=aws.lambda_.FunctionCapacityProviderConfigLambdaManagedInstancesCapacityProviderConfigArgs(
                    capacity_provider_arn=mi.capacity_provider_arn,
                    execution_environment_memory_gib_per_vcpu=mi.memory_gib_per_vcpu,
                    per_execution_environment_max_concurrency=mi.max_concurrency,
                )
            ),
            # A version per change of code or configuration: the live alias points at one, and the
            # release moves it (components/release.py). Reproducible zips make "changed" exact.
            publish=True,
            publish_to="LATEST_PUBLISHED" if mi is not None else None,
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
        # Every trigger invokes the alias. It starts at the first version; after that, the release
        # (components/release.py) owns which version it points at and with what weights, so
        # `pulumi up` never moves it behind the release's back.
        self.alias = aws.lambda_.Alias(
            f"{name}-live",
            name=LIVE_ALIAS,
            function_name=self.function.name,
            function_version=self.function.version,
            description="The version triggers invoke; moved by the release step.",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["functionVersion", "routingConfig"]),
        )
        self.invoke_target_arn = self.alias.arn
        if args.provisioned_concurrency is not None:
            aws.lambda_.ProvisionedConcurrencyConfig(
                f"{name}-provisioned",
                function_name=self.function.name,
                qualifier=self.alias.name,
                provisioned_concurrent_executions=args.provisioned_concurrency,
                opts=child,
            )

        if mi is not None:
            aws.lambda_.FunctionScalingConfig(
                f"{name}-scaling",
                function_name=self.function.name,
                qualifier="$LATEST.PUBLISHED",
                function_scaling_config=aws.lambda_.FunctionScalingConfigFunctionScalingConfigArgs(
                    min_execution_environments=mi.min_environments,
                    max_execution_environments=mi.max_environments,
                ),
                opts=child,
            )
        if args.on_failure_queue_arn is not None:
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-async",
                function_name=self.function.name,
                # Async event sources invoke the alias: the destination is configured for it.
                qualifier=self.alias.name,
                maximum_retry_attempts=2,
                destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                    on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                        destination=args.on_failure_queue_arn
                    )
                ),
                opts=child,
            )
        self.register_outputs(
            {
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "role_arn": self.role.arn,
                "log_group_name": self.log_group.name,
                "alias_arn": self.alias.arn,
            }
        )
