"""The `s3` trigger: a bucket's notification to the function, the permission that lets S3 invoke
it, and the queue its failed events land in (S3 invokes asynchronously).

The permission names the bucket (source ARN) and the account (source account: bucket ARNs carry
no account id, so another account's bucket of the same name could otherwise invoke the function).
The notification is created after the permission, which S3 checks when the notification is set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alias import InvokeTarget
from components.triggers.base import TriggerPlan, TriggerScope, async_failure_queue, known_queue_arn
from model.contract import S3Trigger


@dataclass(frozen=True)
class S3NotificationArgs:
    bucket_id: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    function_name: pulumi.Input[str]
    # What S3 invokes (the live alias's ARN) and the qualifier its permission names.
    target_arn: pulumi.Input[str]
    qualifier: pulumi.Input[str]
    account_id: pulumi.Input[str]
    events: Sequence[str]
    filter_prefix: str | None = None
    filter_suffix: str | None = None


class S3Notification(pulumi.ComponentResource):
    """The permission and the notification (type token from its first name, kept so stacks keep
    their URNs)."""

    def __init__(self, name: str, args: S3NotificationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:S3Trigger", name, None, opts)
        permission = aws.lambda_.Permission(
            f"{name}-permission",
            action="lambda:InvokeFunction",
            function=args.function_name,
            principal="s3.amazonaws.com",
            source_arn=args.bucket_arn,
            source_account=args.account_id,
            qualifier=args.qualifier,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketNotification(
            f"{name}-notification",
            bucket=args.bucket_id,
            lambda_functions=[
                aws.s3.BucketNotificationLambdaFunctionArgs(
                    lambda_function_arn=args.target_arn,
                    events=list(args.events),
                    filter_prefix=args.filter_prefix,
                    filter_suffix=args.filter_suffix,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        self.register_outputs({})


class S3Kind:
    type = "s3"
    # The failure queue, where an operator redrives failed events from.
    exports: tuple[str, ...] = ("queueUrls",)

    def prepare(self, trigger: S3Trigger, scope: TriggerScope) -> TriggerPlan:
        failures = async_failure_queue(scope)
        bucket = scope.shared.buckets[trigger.bucket]

        def attach(target: InvokeTarget) -> Mapping[str, pulumi.Output[str]]:
            S3Notification(
                f"{scope.name}-s3",
                S3NotificationArgs(
                    bucket_id=bucket.id,
                    bucket_arn=bucket.arn,
                    function_name=target.function_name,
                    target_arn=target.arn,
                    qualifier=target.qualifier,
                    account_id=scope.shared.account_id,
                    events=trigger.events,
                    filter_prefix=trigger.filter_prefix,
                    filter_suffix=trigger.filter_suffix,
                ),
                scope.child,
            )
            return {"queueUrls": failures.queue.url}

        return TriggerPlan(
            on_failure_queue_arn=known_queue_arn(scope, failures.queue.name),
            failure_queue_names=[failures.queue.name],
            attach=attach,
        )


KIND = S3Kind()
