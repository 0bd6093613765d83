"""The offline engine runs the program as the CLI would: the project's name from Pulumi.yaml, the
defaults Pulumi.yaml declares, the CLI's check of required keys, and the stack's region (and pinned
account) in every ARN the mock engine computes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from offline.engine import (
    ACCOUNT_ID,
    REPO_ROOT,
    OfflineConfigError,
    World,
    check_required,
    project_file,
    stack_config,
    world_of,
)


def test_the_stack_config_has_pulumi_yamls_defaults_under_the_projects_namespace() -> None:
    config = stack_config(REPO_ROOT, "dev")
    assert config["rustlambda:logRetentionDays"] == 7  # the stack's value wins
    assert config["rustlambda:secretKmsKeyArn"] == ""  # Pulumi.yaml's default
    assert config["rustlambda:tags"] == {}
    assert config["aws:region"] == "eu-west-1"


def test_a_required_key_or_a_region_missing_fails_as_the_cli_would(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\nconfig:\n  size:\n    type: integer\n")
    config = {"aws:region": "eu-west-1"}
    with pytest.raises(OfflineConfigError, match=r"^Stack 'dev' is missing configuration value 'other:size'$"):
        check_required(tmp_path, "dev", config)
    config["other:size"] = "3"
    check_required(tmp_path, "dev", config)
    del config["aws:region"]
    with pytest.raises(OfflineConfigError, match=r"sets no aws:region: set it in Pulumi.dev.yaml"):
        check_required(tmp_path, "dev", config)
    # The project's own Pulumi.yaml requires nothing a stack file does not set.
    check_required(REPO_ROOT, "dev", stack_config(REPO_ROOT, "dev"))


def test_the_world_is_the_stacks_region_and_pinned_account() -> None:
    assert world_of({"aws:region": "eu-west-1"}) == World(ACCOUNT_ID, "eu-west-1")
    assert world_of({"aws:region": "ap-south-1", "aws:allowedAccountIds": ["210987654321"]}) == World(
        "210987654321", "ap-south-1"
    )
    # The CLI hands structured config over as JSON text.
    assert (
        world_of({"aws:region": "us-west-2", "aws:allowedAccountIds": '["111122223333"]'}).account_id == "111122223333"
    )


def test_the_project_name_comes_from_pulumi_yaml(tmp_path: Path) -> None:
    assert project_file(REPO_ROOT)["name"] == yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["name"]
    (tmp_path / "Pulumi.yaml").write_text(
        "name: other\nruntime: python\nconfig:\n  size:\n    type: integer\n    default: 3\n"
    )
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: eu-north-1\n")
    assert stack_config(tmp_path, "test") == {"other:size": 3, "aws:region": "eu-north-1"}
