"""PulumiStateBackend: a self-managed Pulumi backend, the documented alternative to Pulumi Cloud.

Owns: the S3 bucket that holds the state (versioned, encrypted, public access blocked, owner-
enforced, TLS only) and one KMS key per stack for the stack's secrets (`awskms://` secrets
provider), each with an alias `alias/<project>-pulumi-<stack>`. Separate keys keep the stacks'
secrets apart: the dev deploy role can decrypt nothing of prod. The roles' access to both is in
ci_access.permissions.state_grants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from model import iam


def secrets_key_alias(project: str, stack: str) -> str:
    return f"alias/{project}-pulumi-{stack}"


def tls_only_policy(bucket_arn: str) -> str:
    return iam.document(
        [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )


@dataclass(frozen=True)
class PulumiStateBackendArgs:
    project: str
    stacks: Sequence[str]
    region: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class PulumiStateBackend(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    bucket_arn: pulumi.Output[str]
    key_arns: dict[str, pulumi.Output[str]]
    backend_url: pulumi.Output[str]
    secrets_providers: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: PulumiStateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:PulumiStateBackend", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket_prefix=f"{args.project}-pulumi-state-", tags=tags, opts=child
        )
        bucket_child = pulumi.ResourceOptions(parent=self, depends_on=[self.bucket])
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=bucket_child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=bucket_child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=bucket_child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=bucket_child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only", bucket=self.bucket.id, policy=self.bucket.arn.apply(tls_only_policy), opts=bucket_child
        )
        self.bucket_arn = self.bucket.arn
        self.key_arns = {}
        self.secrets_providers = {}
        for stack in args.stacks:
            key = aws.kms.Key(
                f"{name}-key-{stack}",
                description=f"Pulumi secrets of the {args.project} stack {stack}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags=tags,
                opts=child,
            )
            alias = secrets_key_alias(args.project, stack)
            aws.kms.Alias(f"{name}-key-{stack}-alias", name=alias, target_key_id=key.key_id, opts=child)
            self.key_arns[stack] = key.arn
            self.secrets_providers[stack] = pulumi.Output.concat("awskms://", alias, "?region=", args.region)
        self.backend_url = pulumi.Output.concat("s3://", self.bucket.bucket, "?region=", args.region)
        self.register_outputs(
            {
                "bucket_arn": self.bucket_arn,
                "key_arns": self.key_arns,
                "backend_url": self.backend_url,
                "secrets_providers": self.secrets_providers,
            }
        )
