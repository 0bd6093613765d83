"""The managed project's stack files, read by ci_access and by the workflows.

Each stack's `Pulumi.<stack>.yaml` is the one place its region is set (`aws:region`): ci_access
scopes the stack's roles to it and the workflows pass it to aws-actions/configure-aws-credentials
(`python -m ci_access.stacks region --stack dev`), with the stack's fully qualified name
(`python -m ci_access.stacks qualified-name --stack dev --organization my-org`). ci_access
also reads the network of a stack's Managed Instances (its deploy role may create the capacity
provider in those subnets and security groups, and add a DynamoDB endpoint to that VPC's route
tables, and nowhere else), the stack's own KMS key for secrets if it names one, whether its HTTP
functions may have public URLs (`http.functionUrlAuth: NONE`), and the accounts the stack may be
deployed to (`aws:allowedAccountIds`, which the AWS provider enforces too).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # PyYAML comes with the Pulumi SDK

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackFile:
    """What ci_access needs from one stack's file."""

    stack: str
    region: str
    # Managed Instances (None and empty when the stack does not use them).
    vpc_id: str | None = None
    route_table_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    secret_kms_key_arn: str | None = None
    # The OpenTelemetry collector layer (another account's), when the stack turns it on: functions
    # are created with it, which reads it.
    collector_layer_arn: str | None = None
    # `http.functionUrlAuth: NONE` (with the stack config's explicit opt-out): public function URLs.
    public_function_urls: bool = False
    # `aws:allowedAccountIds`: the only accounts the stack may be deployed to (empty: any).
    allowed_account_ids: tuple[str, ...] = ()

    @property
    def managed_instances(self) -> bool:
        return self.vpc_id is not None


def project_name(project_dir: Path = REPO_ROOT) -> str:
    return str(yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"])


def read_stack_file(stack: str, project_dir: Path = REPO_ROOT) -> StackFile:
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"no stack file {path.name}: create it (with aws:region) or remove {stack!r} from stacks"
        )
    config: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    region = config.get("aws:region")
    if not isinstance(region, str) or not region:
        raise ValueError(
            f"{path.name} sets no aws:region: set it with `pulumi config set aws:region <region> -s {stack}`"
        )
    project = project_name(project_dir)
    managed: dict[str, Any] = config.get(f"{project}:managedInstances") or {}
    enabled = bool(managed.get("enabled"))
    key = config.get(f"{project}:secretKmsKeyArn") or None
    telemetry: dict[str, Any] = config.get(f"{project}:openTelemetry") or {}
    collector = telemetry.get("collectorLayerArn") if telemetry.get("enabled") else None
    http: dict[str, Any] = config.get(f"{project}:http") or {}

    def ids(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in managed.get(key) or ()) if enabled else ()

    return StackFile(
        stack=stack,
        region=region,
        vpc_id=str(managed["vpcId"]) if enabled and managed.get("vpcId") else None,
        route_table_ids=ids("routeTableIds"),
        subnet_ids=ids("subnetIds"),
        security_group_ids=ids("securityGroupIds"),
        secret_kms_key_arn=str(key) if key else None,
        collector_layer_arn=str(collector) if collector else None,
        public_function_urls=http.get("functionUrlAuth") == "NONE",
        allowed_account_ids=_account_ids(path.name, config.get("aws:allowedAccountIds")),
    )


def _account_ids(file_name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    accounts = [value] if isinstance(value, str) else value
    if not isinstance(accounts, list) or not all(isinstance(a, str) and re.fullmatch(r"\d{12}", a) for a in accounts):
        raise ValueError(
            f"{file_name} sets aws:allowedAccountIds={value!r}: set a list of 12-digit AWS account ids as "
            "quoted strings (YAML reads an unquoted id as a number and drops its leading zeros)"
        )
    return tuple(accounts)


# A self-managed (DIY) backend accepts only this organization name in a stack reference.
DIY_ORGANIZATION = "organization"


def qualified_stack_name(stack: str, organization: str | None, project_dir: Path = REPO_ROOT) -> str:
    """`<organization>/<project>/<stack>`: the organization on Pulumi Cloud, `organization` on a
    self-managed backend (organization None)."""
    return f"{organization or DIY_ORGANIZATION}/{project_name(project_dir)}/{stack}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Read a setting of the managed project's stack file")
    parser.add_argument("setting", choices=["region", "qualified-name"])
    parser.add_argument("--stack", required=True)
    parser.add_argument(
        "--organization", default="", help="the Pulumi Cloud organization; empty for a self-managed backend"
    )
    args = parser.parse_args(argv)
    try:
        if args.setting == "region":
            print(read_stack_file(args.stack).region)
        else:
            read_stack_file(args.stack)
            print(qualified_stack_name(args.stack, args.organization or None))
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
