"""S3Trigger: a bucket's notification to a function, and the permission that lets S3 invoke it.

The permission names the bucket (source ARN) and the account (source account: bucket ARNs carry
no account id, so another account's bucket of the same name could otherwise invoke the function).
The notification is created after the permission, which S3 checks when the notification is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class S3TriggerArgs:
    bucket_id: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    function_name: pulumi.Input[str]
    target_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    events: Sequence[str]
    filter_prefix: str | None = None
    filter_suffix: str | None = None


class S3Trigger(pulumi.ComponentResource):
    def __init__(self, name: str, args: S3TriggerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:S3Trigger", name, None, opts)
        permission = aws.lambda_.Permission(
            f"{name}-permission",
            action="lambda:InvokeFunction",
            function=args.function_name,
            principal="s3.amazonaws.com",
            source_arn=args.bucket_arn,
            source_account=args.account_id,
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
