"""The stack files as ci_access and the workflows read them: one region setting per stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ci_access.permissions import stack_grants
from ci_access.scope import StackScope
from ci_access.stacks import StackFile, qualified_stack_name, read_stack_file
from offline.engine import REPO_ROOT


def test_the_stack_files_give_region_network_and_accounts() -> None:
    assert read_stack_file("dev") == StackFile("dev", "eu-west-1", allowed_account_ids=("123456789012",))
    assert read_stack_file("prod") == StackFile(
        "prod",
        "eu-west-1",
        vpc_id="vpc-0a1b2c3d4e5f60718",
        route_table_ids=("rtb-0a1b2c3d4e5f60004", "rtb-0a1b2c3d4e5f60005", "rtb-0a1b2c3d4e5f60007"),
        subnet_ids=("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60006"),
        security_group_ids=("sg-0a1b2c3d4e5f60003",),
        allowed_account_ids=("123456789012",),
    )
    assert (read_stack_file("dev").managed_instances, read_stack_file("prod").managed_instances) == (False, True)


def test_a_stack_file_that_opts_in_to_public_function_urls_says_so(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.qa.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  demo:http:\n"
        "    functionUrlAuth: NONE\n    allowUnauthenticatedWrites: true\n"
    )
    assert read_stack_file("qa", tmp_path).public_function_urls is True
    assert read_stack_file("dev").public_function_urls is False


def test_a_stack_with_open_telemetry_lets_its_deploy_role_read_the_collector_layer(tmp_path: Path) -> None:
    collector = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1"
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    stack_file = "config:\n  aws:region: eu-west-1\n  demo:openTelemetry:\n    enabled: {}\n    collectorLayerArn: {}\n"
    (tmp_path / "Pulumi.qa.yaml").write_text(stack_file.format("true", collector))
    settings = read_stack_file("qa", tmp_path)
    assert settings == StackFile("qa", "eu-west-1", collector_layer_arn=collector)
    scope = StackScope("demo", "qa", "123456789012", "eu-west-1")
    (grant,) = [g for g in stack_grants(scope, settings) if g.sid == "CollectorLayer"]
    assert (grant.resources, grant.read, grant.write) == ((collector,), ("lambda:GetLayerVersion",), ())
    # Turned off, the layer is not attached and not readable.
    (tmp_path / "Pulumi.qa.yaml").write_text(stack_file.format("false", collector))
    assert read_stack_file("qa", tmp_path).collector_layer_arn is None


def test_a_stack_file_without_a_region_is_refused_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  demo:logRetentionDays: 7\n")
    with pytest.raises(ValueError, match=r"Pulumi\.qa\.yaml sets no aws:region: set it with"):
        read_stack_file("qa", tmp_path)


def test_stack_names_are_qualified_by_organization() -> None:
    assert qualified_stack_name("dev", "my-org") == "my-org/rustlambda/dev"
    assert qualified_stack_name("prod", None) == "organization/rustlambda/prod"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ci_access.stacks", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def test_the_workflows_read_the_region_and_the_name_from_the_command_line() -> None:
    assert run("region", "--stack", "prod").stdout == "eu-west-1\n"
    assert run("qualified-name", "--stack", "dev", "--organization", "my-org").stdout == "my-org/rustlambda/dev\n"
    assert run("qualified-name", "--stack", "dev").stdout == "organization/rustlambda/dev\n"
    missing = run("region", "--stack", "qa")
    assert (missing.returncode, missing.stderr) == (
        1,
        "error: no stack file Pulumi.qa.yaml: create it (with aws:region) or remove 'qa' from stacks\n",
    )
