"""LambdaService: everything one function crate's contract asks for, wired together.

In order: the trigger kind's preparations (components/triggers: a work queue, a failure queue), the
RustFunction with its settings (placement included: on the stack's capacity provider or not) and
exactly the statements the contract implies (each on an exact ARN), the env vars the contract
names, the stack's log level and layers (the telemetry extension where the settings attach it), the
trigger's event source on the function's `live` alias, the function's alarms (on the alias's
traffic, on the new version's, and on every queue its failed events land in), and its Release (how
a new version takes the alias's traffic, with the alarms as rollback triggers). Shared resources
(tables, buckets, secrets, the alarm topic, the capacity provider, the extension's layer) are created
once by the program and passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import pulumi

from components.alarms import FunctionAlarms, FunctionAlarmsArgs
from components.alias import LIVE_ALIAS, read_alias_state
from components.build import Artifact
from components.dashboard import FunctionPanel
from components.function import RustFunction, RustFunctionArgs
from components.release import Release, ReleaseArgs
from components.triggers import trigger_kind
from components.triggers.base import SharedResources, TriggerScope
from model import arns, iam
from model.contract import FunctionContract
from model.naming import function_name
from model.stack_config import FunctionSettings, StackSettings


@dataclass(frozen=True)
class LambdaServiceArgs:
    contract: FunctionContract
    function: FunctionSettings
    artifact: Artifact
    stack: StackSettings
    shared: SharedResources


class LambdaService(pulumi.ComponentResource):
    function: RustFunction
    # Stack outputs the trigger adds for this function (export name -> value).
    exports: Mapping[str, pulumi.Output[str]]
    # The function's row of the stack's dashboard.
    panel: FunctionPanel

    def __init__(self, name: str, args: LambdaServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:LambdaService", name, None, opts)
        contract, stack, shared = args.contract, args.stack, args.shared
        fn_name = function_name(stack.project, stack.stack, contract.name)
        scope = TriggerScope(name, self, fn_name, args.function, stack, shared)
        plan = trigger_kind(contract.trigger.type).prepare(contract.trigger, scope)
        # The layer and the dashboard's extension graphs follow the same answer.
        extension_layer_arn = shared.extension_layer_arn if args.function.telemetry_extension else None
        tracing = stack.xray_tracing and contract.tracing == "active"

        self.function = RustFunction(
            f"{name}-fn",
            RustFunctionArgs(
                function_name=fn_name,
                description=contract.description,
                artifact=args.artifact,
                settings=args.function,
                account_id=shared.account_id,
                region=shared.region,
                permissions_boundary=shared.permissions_boundary,
                log_retention_days=stack.log_retention_days,
                tracing=tracing,
                alias_state=read_alias_state(fn_name, LIVE_ALIAS, stack.region, self),
                environment={**contract_environment(contract, shared), **stack.open_telemetry.environment},
                statements=[
                    *contract_statements(contract, shared, stack.secret_kms_key_arn),
                    *plan.statements,
                    *collector_statements(stack, tracing),
                ],
                on_failure_queue_arn=plan.on_failure_queue_arn,
                capacity_provider_arn=shared.capacity_provider_arn,
                layers=function_layers(extension_layer_arn, stack),
                tags=stack.tags,
            ),
            scope.child,
        )
        fn = self.function
        self.exports = plan.attach(fn.target)
        alarms = FunctionAlarms(
            f"{name}-alarms",
            FunctionAlarmsArgs(
                function_name=fn.function_name,
                alias_name=fn.target.qualifier,
                version=fn.version,
                timeout_seconds=args.function.timeout,
                interval_minutes=args.function.deployment.interval_minutes,
                settings=stack.alarms,
                topic_arn=shared.alarm_topic_arn,
                failure_queue_names=plan.failure_queue_names,
                tags=stack.tags,
            ),
            scope.child,
        )
        Release(
            f"{name}-release",
            ReleaseArgs(
                crate=contract.name,
                function_name=fn.function_name,
                alias_name=fn.target.qualifier,
                version=fn.version,
                settings=args.function,
                region=shared.region,
                alarm_names=[alarm.name for alarm in alarms.function_alarms],
                codedeploy=shared.codedeploy,
            ),
            scope.child,
        )
        self.panel = FunctionPanel(
            crate=contract.name,
            function_name=fn.function_name,
            queue_names=[*plan.source_queue_names, *plan.failure_queue_names],
            extension=extension_layer_arn is not None,
        )
        self.register_outputs({"function_name": fn.function_name, "function_arn": fn.function_arn})


def function_layers(extension_layer_arn: pulumi.Input[str] | None, stack: StackSettings) -> list[pulumi.Input[str]]:
    """The layer versions the settings attach, in order: the telemetry extension's (when on for the
    function), then the stack's OpenTelemetry collector (when its spans go to the collector)."""
    layers: list[pulumi.Input[str]] = []
    if extension_layer_arn is not None:
        layers.append(extension_layer_arn)
    if stack.open_telemetry.collector_layer is not None:
        layers.append(stack.open_telemetry.collector_layer)
    return layers


def collector_statements(stack: StackSettings, tracing: bool) -> list[pulumi.Input[iam.Statement]]:
    """X-Ray's write actions for the ADOT collector, whose default config exports the spans to X-Ray;
    none when active tracing already grants them (one statement, one Sid)."""
    if stack.open_telemetry.collector_layer is None or tracing:
        return []
    return [iam.xray_statement()]


def contract_statements(
    contract: FunctionContract, shared: SharedResources, kms_key_arn: str | None
) -> list[pulumi.Input[iam.Statement]]:
    """The statements the contract's tables, buckets and secrets imply, each on an exact ARN, built
    from the resource's name, account and region (model.arns), which a preview knows."""
    statements: list[pulumi.Input[iam.Statement]] = []
    for table in contract.tables:
        arn = shared_arn(shared, shared.tables[table.name].name, arns.table_arn)
        statements.append(arn.apply(partial(iam.table_statement, table.name, actions=table.actions)))
    for bucket in contract.buckets:
        arn = shared_arn(
            shared, shared.buckets[bucket.name].bucket, lambda region, _, name: arns.bucket_arn(region, name)
        )
        statements.append(
            arn.apply(partial(iam.bucket_statement, bucket.name, actions=bucket.actions, prefix=bucket.prefix))
        )
    for secret in contract.secrets:
        arn = shared_arn(shared, shared.secrets[secret.name].name, arns.secret_arn)
        statements.append(arn.apply(partial(iam.secret_statement, secret.name)))
    if contract.secrets and kms_key_arn:
        statements.append(
            pulumi.Output.from_input(shared.region).apply(partial(iam.kms_decrypt_statement, kms_key_arn))
        )
    return statements


def shared_arn(
    shared: SharedResources, name: pulumi.Input[str], build: Callable[[str, str, str], str]
) -> pulumi.Output[str]:
    """An ARN from a resource's name and the stack's region and account: `build(region, account, name)`."""
    return pulumi.Output.all(shared.region, shared.account_id, name).apply(
        lambda v: build(str(v[0]), str(v[1]), str(v[2]))
    )


def contract_environment(contract: FunctionContract, shared: SharedResources) -> dict[str, pulumi.Input[str]]:
    """The contract's settings plus each reference under the env name the contract gives it."""
    env: dict[str, pulumi.Input[str]] = dict(contract.settings)
    for table in contract.tables:
        env[table.env] = shared.tables[table.name].name
    for bucket in contract.buckets:
        env[bucket.env] = shared.buckets[bucket.name].bucket
    for secret in contract.secrets:
        env[secret.env] = shared.secrets[secret.name].arn
    return env
