"""PulumiStateBackend: a self-managed Pulumi backend, the documented alternative to Pulumi Cloud.

Owns: the S3 bucket that holds the state (versioned, public access blocked, owner-enforced,
encrypted with a KMS key of its own (SSE-KMS, S3 Bucket Keys on), TLS only, and a bucket policy
that lets no principal but the CI roles and the named administrators read, write or delete a
state object, nor change the bucket's policy or encryption), and one KMS key per stack for the
stack's secrets (`awskms://` secrets provider), each with an alias `alias/<project>-pulumi-<stack>`.
Separate keys keep the stacks' secrets apart: the dev deploy role can decrypt nothing of prod. The
roles' access to both is in ci_access.permissions.state_grants.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from model import iam

# An IAM role or user, or a pattern of them (aws:PrincipalArn: an assumed role's session is its role).
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/*-]+$")
# Object actions on the state: reading, writing, deleting it (and its versions).
STATE_OBJECT_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAttributes",
    "s3:PutObject",
    "s3:RestoreObject",
)
# What would undo the two statements below: the bucket's policy and its encryption.
BUCKET_CONTROL_ACTIONS = ("s3:DeleteBucketPolicy", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration")


def secrets_key_alias(project: str, stack: str) -> str:
    return f"alias/{project}-pulumi-{stack}"


def bucket_key_alias(project: str) -> str:
    return f"alias/{project}-pulumi-state"


def validate_principals(key: str, arns: Sequence[str]) -> tuple[str, ...]:
    if not arns:
        raise ValueError(
            f"{key} is empty: list the IAM roles or users (besides CI's) that may read and change the state, "
            "e.g. your administrators' role; the one running ci_access must be among them, or it locks itself out"
        )
    for arn in arns:
        if not _PRINCIPAL.match(arn):
            raise ValueError(
                f"{key} entry {arn!r} is invalid: set an IAM role or user ARN "
                "(arn:aws:iam::<account>:role/<name>; `*` may stand for a part, e.g. an SSO role's suffix)"
            )
    return tuple(arns)


def state_bucket_policy(bucket_arn: str, ci_principals: Sequence[str], administrators: Sequence[str]) -> str:
    """TLS only; state objects only for the CI roles and the administrators (the CI roles' own
    policies then keep each to its stack); the bucket's policy and encryption only for the
    administrators. A principal of the account with `s3:*` on `*` reads nothing."""
    everyone = sorted({*ci_principals, *administrators})
    return iam.document(
        [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "StateOnlyForCiAndAdministrators",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(STATE_OBJECT_ACTIONS),
                "Resource": f"{bucket_arn}/*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": everyone}},
            },
            {
                "Sid": "BucketControlOnlyForAdministrators",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(BUCKET_CONTROL_ACTIONS),
                "Resource": bucket_arn,
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": sorted(administrators)}},
            },
        ]
    )


@dataclass(frozen=True)
class PulumiStateBackendArgs:
    project: str
    stacks: Sequence[str]
    region: pulumi.Input[str]
    # The CI roles that use the state (their ARNs are known from their names, before they exist).
    ci_principals: pulumi.Input[Sequence[str]]
    # IAM roles or users, besides CI's, that may read and change the state (validate_principals).
    administrators: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)


def _bucket_policy(administrators: Sequence[str], values: list[Any]) -> str:
    bucket_arn, ci_principals = values
    return state_bucket_policy(str(bucket_arn), [str(p) for p in ci_principals], administrators)


class PulumiStateBackend(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    bucket_arn: pulumi.Output[str]
    bucket_key_arn: pulumi.Output[str]
    key_arns: dict[str, pulumi.Output[str]]
    backend_url: pulumi.Output[str]
    secrets_providers: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: PulumiStateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:PulumiStateBackend", name, None, opts)
        administrators = validate_principals("stateAdministrators", args.administrators)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        bucket_key = self._key(
            f"{name}-bucket-key",
            bucket_key_alias(args.project),
            f"Encryption of the {args.project} Pulumi state bucket",
            tags,
        )
        self.bucket_key_arn = bucket_key.arn
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
                        sse_algorithm="aws:kms", kms_master_key_id=bucket_key.arn
                    ),
                    # One data key per bucket and period instead of one KMS call per object.
                    bucket_key_enabled=True,
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
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, args.ci_principals).apply(
                functools.partial(_bucket_policy, administrators)
            ),
            # Was the TLS-only policy: the same bucket policy, updated in place.
            opts=pulumi.ResourceOptions.merge(
                bucket_child, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=f"{name}-tls-only")])
            ),
        )
        self.bucket_arn = self.bucket.arn
        self.key_arns = {}
        self.secrets_providers = {}
        for stack in args.stacks:
            alias = secrets_key_alias(args.project, stack)
            key = self._key(f"{name}-key-{stack}", alias, f"Pulumi secrets of the {args.project} stack {stack}", tags)
            self.key_arns[stack] = key.arn
            self.secrets_providers[stack] = pulumi.Output.concat("awskms://", alias, "?region=", args.region)
        self.backend_url = pulumi.Output.concat("s3://", self.bucket.bucket, "?region=", args.region)
        self.register_outputs(
            {
                "bucket_arn": self.bucket_arn,
                "bucket_key_arn": self.bucket_key_arn,
                "key_arns": self.key_arns,
                "backend_url": self.backend_url,
                "secrets_providers": self.secrets_providers,
            }
        )

    def _key(self, name: str, alias: str, description: str, tags: dict[str, str]) -> aws.kms.Key:
        """A KMS key that rotates yearly, with an alias (`<name>-alias`)."""
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            name, description=description, enable_key_rotation=True, deletion_window_in_days=30, tags=tags, opts=child
        )
        aws.kms.Alias(f"{name}-alias", name=alias, target_key_id=key.key_id, opts=child)
        return key
