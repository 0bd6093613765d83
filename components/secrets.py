"""Secrets: a Secrets Manager secret per secret name the function contracts declare.

Each value comes from the stack's secret config (`pulumi config set --secret <key>`, the key being
the camelCase secret name, e.g. manifestSigningKey) and goes only into the SecretVersion, as a
Pulumi secret. Functions receive the secret's ARN in the env var their contract names, never the
value, and may call secretsmanager:GetSecretValue on that ARN only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SecretsArgs:
    name_prefix: str
    # Secret name -> its value; must be a Pulumi secret (config.require_secret gives one).
    values: Mapping[str, pulumi.Output[str]]
    kms_key_arn: str | None = None
    recovery_window_days: int = 7
    tags: Mapping[str, str] = field(default_factory=dict)


class Secrets(pulumi.ComponentResource):
    secrets: dict[str, aws.secretsmanager.Secret]

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:Secrets", name, None, opts)
        self.secrets = {}
        for secret_name, value in sorted(args.values.items()):
            child = pulumi.ResourceOptions(parent=self)
            secret = aws.secretsmanager.Secret(
                f"{name}-{secret_name}",
                name=f"{args.name_prefix}/{secret_name}",
                kms_key_id=args.kms_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                tags=dict(args.tags),
                opts=child,
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-{secret_name}-value",
                secret_id=secret.id,
                secret_string=value,
                opts=child,
            )
            self.secrets[secret_name] = secret
        self.register_outputs({s: secret.arn for s, secret in self.secrets.items()})
