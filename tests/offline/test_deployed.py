"""The offline engine's model of what AWS holds between runs: Lambda's version numbering, the
provider's publish modes, aliases, and the persisted state."""

from __future__ import annotations

from pathlib import Path

from offline.deployed import LATEST, LATEST_PUBLISHED, UNKNOWN, Deployed
from release.alias_state import AliasState

PUBLISHING = {"publish": True, "memorySize": 128.0}


def test_lambda_numbers_a_version_per_change_and_none_for_an_unchanged_function() -> None:
    aws = Deployed()
    assert aws.version("f", PUBLISHING, "code-a", preview=False) == "1"
    assert aws.version("f", PUBLISHING, "code-a", preview=False) == "1", "nothing changed: no new version"
    assert aws.version("f", PUBLISHING, "code-b", preview=False) == "2"
    # Back to earlier bytes is still a change from the last published version: a new number.
    assert aws.version("f", PUBLISHING, "code-a", preview=False) == "3"
    assert aws.version("g", PUBLISHING, "code-a", preview=False) == "1", "numbers are per function"


def test_a_preview_cannot_know_the_number_of_a_version_not_yet_published() -> None:
    aws = Deployed()
    assert aws.version("f", PUBLISHING, "code-a", preview=True) == UNKNOWN
    aws.version("f", PUBLISHING, "code-a", preview=False)
    assert aws.version("f", PUBLISHING, "code-a", preview=True) == "1"
    assert aws.version("f", PUBLISHING, "code-b", preview=True) == UNKNOWN
    assert aws.functions["f"].latest == 1, "a preview publishes nothing"


def test_latest_published_and_unpublished_functions_create_no_numbered_version() -> None:
    aws = Deployed()
    republishing = {**PUBLISHING, "publishTo": "LATEST_PUBLISHED"}
    assert aws.version("f", republishing, "code-a", preview=False) == LATEST_PUBLISHED
    assert aws.version("f", republishing, "code-b", preview=False) == LATEST_PUBLISHED
    assert aws.version("f", {"memorySize": 128.0}, "code-b", preview=False) == LATEST
    assert "f" not in aws.functions


def test_an_update_records_where_aliases_point_and_the_state_round_trips(tmp_path: Path) -> None:
    aws = Deployed()
    assert aws.alias("f", "live") == AliasState(False)
    aws.record_alias({"name": "live", "functionName": "f", "functionVersion": "1"})
    aws.record_alias({"name": "live", "functionName": "g", "functionVersion": UNKNOWN})
    aws.version("f", PUBLISHING, "code-a", preview=False)
    aws.set_alias("h", "live", "4", {"5": 0.1})
    assert aws.alias("f", "live") == AliasState(True, "1", {})
    assert aws.alias("g", "live") == AliasState(False)
    assert aws.subnet_zone("subnet-1", "eu-west-1") == "eu-west-1a"
    assert aws.subnet_zone("subnet-2", "eu-west-1") == "eu-west-1b"
    assert aws.subnet_zone("subnet-1", "eu-west-1") == "eu-west-1a"
    path = tmp_path / "state.json"
    aws.write(path)
    again = Deployed.read(path)
    assert again.to_json() == aws.to_json()
    assert again.alias("h", "live") == AliasState(True, "4", {"5": 0.1})
    assert Deployed.read(tmp_path / "missing.json").to_json() == Deployed().to_json()
