"""Buckets: the S3 buckets the function contracts declare, one per bucket name, all private.

Each bucket blocks every kind of public access, enforces bucket-owner object ownership (no ACLs),
and encrypts objects at rest (SSE-S3). Each is named `<project>-<stack>-<bucket>-<account id>`
(model.naming.bucket_name): globally unique, and known at preview, so the statements and documents
built from it are too (an AWS-generated suffix would be known only once the bucket exists).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import pulumi
import pulumi_aws as aws

from model import naming
from model.contract import FunctionContract, declared_buckets


@dataclass(frozen=True)
class BucketsArgs:
    name_prefix: str
    account_id: pulumi.Input[str]
    contracts: Sequence[FunctionContract]
    tags: Mapping[str, str] = field(default_factory=dict)


class Buckets(pulumi.ComponentResource):
    buckets: dict[str, aws.s3.Bucket]

    def __init__(self, name: str, args: BucketsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:Buckets", name, None, opts)
        self.buckets = {}
        for bucket_name in declared_buckets(args.contracts):
            logical = f"{name}-{bucket_name}"
            child = pulumi.ResourceOptions(parent=self)
            physical = pulumi.Output.from_input(args.account_id).apply(
                partial(naming.bucket_name, args.name_prefix, bucket_name)
            )
            bucket = aws.s3.Bucket(logical, bucket=physical, tags=dict(args.tags), opts=child)
            aws.s3.BucketPublicAccessBlock(
                f"{logical}-public-access",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )
            aws.s3.BucketOwnershipControls(
                f"{logical}-ownership",
                bucket=bucket.id,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
                opts=child,
            )
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{logical}-encryption",
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                            sse_algorithm="AES256",
                        ),
                    )
                ],
                opts=child,
            )
            self.buckets[bucket_name] = bucket
        self.register_outputs({b: bucket.bucket for b, bucket in self.buckets.items()})
