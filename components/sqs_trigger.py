"""SqsTrigger: the event source mapping from a queue to a function, reporting batch item
failures so that only the failed messages are retried. Created after the function, hence after
its role policy grants the queue actions (an ESM is validated against the role when created)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SqsTriggerArgs:
    queue_arn: pulumi.Input[str]
    # The function's ARN, or its published version's on Managed Instances.
    target_arn: pulumi.Input[str]
    batch_size: int
    maximum_batching_window_seconds: int = 0


class SqsTrigger(pulumi.ComponentResource):
    mapping: aws.lambda_.EventSourceMapping

    def __init__(self, name: str, args: SqsTriggerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
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
