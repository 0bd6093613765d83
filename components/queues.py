"""WorkQueue: an SQS queue with server-side encryption and, optionally, a dead-letter queue that
receives a message after `max_receive_count` failed receives. Also used alone (no DLQ) as the
on-failure destination of async invocations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

FOURTEEN_DAYS = 14 * 24 * 3600


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count})


@dataclass(frozen=True)
class WorkQueueArgs:
    queue_name: str
    visibility_timeout_seconds: int = 30
    # None: no dead-letter queue.
    max_receive_count: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class WorkQueue(pulumi.ComponentResource):
    queue: aws.sqs.Queue
    dead_letter: aws.sqs.Queue | None

    def __init__(self, name: str, args: WorkQueueArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:WorkQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.dead_letter = None
        redrive: pulumi.Output[str] | None = None
        if args.max_receive_count is not None:
            self.dead_letter = aws.sqs.Queue(
                f"{name}-dlq",
                name=f"{args.queue_name}-dlq",
                message_retention_seconds=FOURTEEN_DAYS,
                sqs_managed_sse_enabled=True,
                tags=dict(args.tags),
                opts=child,
            )
            count = args.max_receive_count
            redrive = self.dead_letter.arn.apply(lambda arn: redrive_policy(arn, count))
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            message_retention_seconds=FOURTEEN_DAYS,
            redrive_policy=redrive,
            sqs_managed_sse_enabled=True,
            tags=dict(args.tags),
            opts=child,
        )
        self.register_outputs(
            {
                "queue_url": self.queue.url,
                "queue_arn": self.queue.arn,
                "dead_letter_arn": self.dead_letter.arn if self.dead_letter else None,
            }
        )
