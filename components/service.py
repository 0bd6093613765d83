"""LambdaService: everything one function crate's contract asks for, wired together.

Reads the contract and creates, in order: the resources the function's role must name (its work
queue or failure queue), the RustFunction with exactly the statements the contract implies (each
on an exact ARN) and the env vars the contract names, then its trigger (SQS mapping, S3
notification, schedule, HTTP API / Function URL; a Managed Instances function is invoked
directly on its published version), then its alarms. Shared resources (tables, buckets, secrets,
the alarm topic, the capacity provider) are created once by the program and passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import pulumi
import pulumi_aws as aws

from components.alarms import FunctionAlarms, FunctionAlarmsArgs
from components.build import Artifact
from components.function import ManagedInstancesAttachment, RustFunction, RustFunctionArgs
from components.http_api import HttpApi, HttpApiArgs
from components.queues import WorkQueue, WorkQueueArgs
from components.s3_trigger import S3Trigger, S3TriggerArgs
from components.schedule import ScheduleTrigger, ScheduleTriggerArgs
from components.sqs_trigger import SqsTrigger, SqsTriggerArgs
from model import iam
from model.contract import FunctionContract
from model.stack_config import FunctionSettings, StackSettings

# An SQS queue's visibility timeout must cover the function's retries of a batch: AWS recommends
# at least six times the function timeout.
VISIBILITY_TIMEOUT_FACTOR = 6
ASYNC_TRIGGERS = ("s3", "schedule")


@dataclass(frozen=True)
class SharedResources:
    account_id: pulumi.Input[str]
    tables: Mapping[str, aws.dynamodb.Table]
    buckets: Mapping[str, aws.s3.Bucket]
    secrets: Mapping[str, aws.secretsmanager.Secret]
    alarm_topic_arn: pulumi.Input[str]
    capacity_provider_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class LambdaServiceArgs:
    contract: FunctionContract
    function: FunctionSettings
    artifact: Artifact
    stack: StackSettings
    shared: SharedResources


def function_name(stack: StackSettings, crate: str) -> str:
    return f"{stack.project}-{stack.stack}-{crate}"[:64]


class LambdaService(pulumi.ComponentResource):
    function: RustFunction
    queue: WorkQueue | None = None
    http: HttpApi | None = None

    def __init__(self, name: str, args: LambdaServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:LambdaService", name, None, opts)
        contract, stack, shared = args.contract, args.stack, args.shared
        child = pulumi.ResourceOptions(parent=self)
        fn_name = function_name(stack, contract.name)
        trigger = contract.trigger
        statements = self._contract_statements(contract, shared, stack.secret_kms_key_arn)

        on_failure: pulumi.Output[str] | None = None
        if trigger["type"] == "sqs":
            self.queue = WorkQueue(
                f"{name}-queue",
                WorkQueueArgs(
                    queue_name=fn_name,
                    visibility_timeout_seconds=VISIBILITY_TIMEOUT_FACTOR * args.function.timeout,
                    max_receive_count=int(trigger.get("max_receive_count", 5)),
                    tags=stack.tags,
                ),
                child,
            )
            statements.append(self.queue.queue.arn.apply(iam.queue_consumer_statement))
        elif trigger["type"] in ASYNC_TRIGGERS:
            self.queue = WorkQueue(
                f"{name}-failures", WorkQueueArgs(queue_name=f"{fn_name}-failures", tags=stack.tags), child
            )
            on_failure = self.queue.queue.arn

        managed = None
        if trigger["type"] == "managed-instances" and shared.capacity_provider_arn is not None:
            mi = stack.managed_instances
            managed = ManagedInstancesAttachment(
                capacity_provider_arn=shared.capacity_provider_arn,
                memory_gib_per_vcpu=int(trigger["memory_gib_per_vcpu"]),
                max_concurrency=int(trigger["max_concurrency"]),
                min_environments=mi.min_environments,
                max_environments=mi.max_environments,
            )

        self.function = RustFunction(
            f"{name}-fn",
            RustFunctionArgs(
                function_name=fn_name,
                description=contract.description,
                artifact=args.artifact,
                memory=args.function.memory,
                timeout=args.function.timeout,
                account_id=shared.account_id,
                log_retention_days=stack.log_retention_days,
                tracing=stack.xray_tracing and contract.tracing == "active",
                environment=self._environment(contract, shared),
                statements=statements,
                reserved_concurrency=args.function.reserved_concurrency,
                on_failure_queue_arn=on_failure,
                managed_instances=managed,
                tags=stack.tags,
            ),
            child,
        )
        fn = self.function
        if trigger["type"] == "sqs" and self.queue is not None:
            SqsTrigger(
                f"{name}-sqs",
                SqsTriggerArgs(
                    queue_arn=self.queue.queue.arn,
                    target_arn=fn.invoke_target_arn,
                    batch_size=int(trigger["batch_size"]),
                    maximum_batching_window_seconds=int(trigger.get("maximum_batching_window_seconds", 0)),
                ),
                child,
            )
        elif trigger["type"] == "s3":
            bucket = shared.buckets[trigger["bucket"]]
            S3Trigger(
                f"{name}-s3",
                S3TriggerArgs(
                    bucket_id=bucket.id,
                    bucket_arn=bucket.arn,
                    function_name=fn.function_name,
                    target_arn=fn.invoke_target_arn,
                    account_id=shared.account_id,
                    events=trigger["events"],
                    filter_prefix=trigger.get("filter_prefix"),
                    filter_suffix=trigger.get("filter_suffix"),
                ),
                child,
            )
        elif trigger["type"] == "schedule":
            ScheduleTrigger(
                f"{name}-schedule",
                ScheduleTriggerArgs(
                    rule_name=fn_name,
                    expression=trigger["expression"],
                    function_name=fn.function_name,
                    target_arn=fn.invoke_target_arn,
                ),
                child,
            )
        elif trigger["type"] == "http":
            self.http = HttpApi(
                f"{name}-http",
                HttpApiArgs(
                    api_name=fn_name,
                    function_name=fn.function_name,
                    invoke_target_arn=fn.invoke_target_arn,
                    qualifier=None,
                    routes=trigger["routes"],
                    settings=stack.http,
                    function_url=bool(trigger.get("function_url", False)),
                    log_retention_days=stack.log_retention_days,
                    tags=stack.tags,
                ),
                child,
            )

        dead_letter = self.queue.dead_letter if self.queue is not None else None
        FunctionAlarms(
            f"{name}-alarms",
            FunctionAlarmsArgs(
                function_name=fn.function_name,
                timeout_seconds=args.function.timeout,
                settings=stack.alarms,
                topic_arn=shared.alarm_topic_arn,
                dlq_name=dead_letter.name if dead_letter is not None else None,
                tags=stack.tags,
            ),
            child,
        )
        self.register_outputs({"function_name": fn.function_name, "function_arn": fn.function_arn})

    @staticmethod
    def _contract_statements(
        contract: FunctionContract, shared: SharedResources, kms_key_arn: str | None
    ) -> list[pulumi.Input[iam.Statement]]:
        statements: list[pulumi.Input[iam.Statement]] = []
        for table in contract.tables:
            statements.append(
                shared.tables[table.name].arn.apply(partial(iam.table_statement, table.name, actions=table.actions))
            )
        for bucket in contract.buckets:
            statements.append(
                shared.buckets[bucket.name].arn.apply(
                    partial(iam.bucket_statement, bucket.name, actions=bucket.actions)
                )
            )
        for secret in contract.secrets:
            statements.append(shared.secrets[secret.name].arn.apply(partial(iam.secret_statement, secret.name)))
        if contract.secrets and kms_key_arn:
            statements.append(iam.kms_decrypt_statement(kms_key_arn))
        return statements

    @staticmethod
    def _environment(contract: FunctionContract, shared: SharedResources) -> dict[str, pulumi.Input[str]]:
        """The contract's settings plus each reference under the env name the contract gives it."""
        env: dict[str, pulumi.Input[str]] = dict(contract.settings)
        for table in contract.tables:
            env[table.env] = shared.tables[table.name].name
        for bucket in contract.buckets:
            env[bucket.env] = shared.buckets[bucket.name].bucket
        for secret in contract.secrets:
            env[secret.env] = shared.secrets[secret.name].arn
        return env
