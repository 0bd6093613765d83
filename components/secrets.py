"""Secrets: a Secrets Manager secret per secret name the function contracts declare, without its value.

The value is seeded outside Pulumi, once per stack, by someone allowed to (docs/pipeline.md):

    aws secretsmanager put-secret-value --secret-id rustlambda-<stack>/<name> --secret-string ...

so no value is ever in the stack's config or state: a preview has nothing to decrypt, a refresh
nothing to read, and neither the preview role nor the deploy role needs secretsmanager:GetSecretValue
or PutSecretValue. Functions receive the secret's ARN in the env var their contract names, never the
value, and may call secretsmanager:GetSecretValue on that ARN only; until the value is seeded, a
function's read fails with its own error (s3-processor: SigningKeyUnavailable), never cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SecretsArgs:
    name_prefix: str
    # The secret names the contracts declare (model.contract.declared_secrets).
    names: Sequence[str]
    kms_key_arn: str | None = None
    recovery_window_days: int = 7
    tags: Mapping[str, str] = field(default_factory=dict)


class Secrets(pulumi.ComponentResource):
    secrets: dict[str, aws.secretsmanager.Secret]

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:Secrets", name, None, opts)
        self.secrets = {
            secret_name: aws.secretsmanager.Secret(
                f"{name}-{secret_name}",
                name=f"{args.name_prefix}/{secret_name}",
                description=(
                    "Seeded outside Pulumi: aws secretsmanager put-secret-value "
                    f"--secret-id {args.name_prefix}/{secret_name} --secret-string <value>"
                ),
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for secret_name in sorted(args.names)
        }
        self.register_outputs({s: secret.arn for s, secret in self.secrets.items()})
