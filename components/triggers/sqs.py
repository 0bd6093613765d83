"""The `sqs` trigger: a work queue the stack creates (with a dead-letter queue) and the event source
mapping that feeds it to the function, reporting batch item failures so that only the failed
messages are retried.

Before the function: the queue, and the statement that lets the function's role consume it (an
event source mapping is validated against the role when it is created, so the mapping comes after
the function and its policy). After: the mapping, on the function's invoke target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alias import InvokeTarget
from components.queues import WorkQueue, WorkQueueArgs
from components.triggers.base import TriggerPlan, TriggerScope, known_queue_arn
from model import iam
from model.contract import SqsTrigger

# An SQS queue's visibility timeout must cover the function's retries of a batch: AWS recommends
# at least six times the function timeout.
VISIBILITY_TIMEOUT_FACTOR = 6


@dataclass(frozen=True)
class SqsEventSourceArgs:
    queue_arn: pulumi.Input[str]
    # What the mapping invokes: the live alias.
    target_arn: pulumi.Input[str]
    batch_size: int
    maximum_batching_window_seconds: int = 0


class SqsEventSource(pulumi.ComponentResource):
    """The event source mapping (type token from its first name, kept so stacks keep their URNs)."""

    mapping: aws.lambda_.EventSourceMapping

    def __init__(self, name: str, args: SqsEventSourceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:SqsTrigger", name, None, opts)
        self.mapping = aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=args.queue_arn,
            function_name=args.target_arn,
            batch_size=args.batch_size,
            maximum_batching_window_in_seconds=args.maximum_batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"uuid": self.mapping.uuid})


class SqsKind:
    type: str = "sqs"
    exports: tuple[str, ...] = ("queueUrls",)

    def prepare(self, trigger: SqsTrigger, scope: TriggerScope) -> TriggerPlan:
        queue = WorkQueue(
            f"{scope.name}-queue",
            WorkQueueArgs(
                queue_name=scope.function_name,
                visibility_timeout_seconds=VISIBILITY_TIMEOUT_FACTOR * scope.function.timeout,
                max_receive_count=trigger.max_receive_count,
                tags=scope.stack.tags,
            ),
            scope.child,
        )

        # From the queue's name (known at preview), so that a preview's policy pack judges the statement
        # and the mapping.
        queue_arn = known_queue_arn(scope, queue.queue.name)

        def attach(target: InvokeTarget) -> Mapping[str, pulumi.Output[str]]:
            SqsEventSource(
                f"{scope.name}-sqs",
                SqsEventSourceArgs(
                    queue_arn=queue_arn,
                    target_arn=target.arn,
                    batch_size=trigger.batch_size,
                    maximum_batching_window_seconds=trigger.maximum_batching_window_seconds,
                ),
                scope.child,
            )
            return {"queueUrls": queue.queue.url}

        return TriggerPlan(
            statements=[queue_arn.apply(iam.queue_consumer_statement)],
            failure_queue_names=[queue.dead_letter.name] if queue.dead_letter is not None else [],
            source_queue_names=[queue.queue.name],
            attach=attach,
        )


KIND = SqsKind()
