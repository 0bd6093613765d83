"""The managed project's stack files, read by ci_access and by the workflows.

Each stack's `Pulumi.<stack>.yaml` is the one place its region is set (`aws:region`): ci_access
scopes the stack's roles to it and the workflows pass it to aws-actions/configure-aws-credentials
(`python -m ci_access.stacks region --stack dev`), with the stack's fully qualified name
(`python -m ci_access.stacks qualified-name --stack dev --organization my-org`). ci_access
also reads the VPC and route tables of a stack's Managed Instances (its deploy role may add a
DynamoDB endpoint there and nowhere else) and the stack's own KMS key for secrets, if it names one.
"""

from __future__ import annotations

import argparse
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
    vpc_id: str | None = None
    route_table_ids: tuple[str, ...] = ()
    secret_kms_key_arn: str | None = None
    # The OpenTelemetry collector layer (another account's), when the stack turns it on: functions
    # are created with it, which reads it.
    collector_layer_arn: str | None = None


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
    return StackFile(
        stack=stack,
        region=region,
        vpc_id=str(managed["vpcId"]) if enabled and managed.get("vpcId") else None,
        route_table_ids=tuple(str(r) for r in managed.get("routeTableIds") or ()) if enabled else (),
        secret_kms_key_arn=str(key) if key else None,
        collector_layer_arn=str(collector) if collector else None,
    )


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
