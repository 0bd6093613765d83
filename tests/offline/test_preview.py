"""The offline preview end to end (program under mocks + the real pack over gRPC), and the plan
diff between two previews: one memory setting, one function's source (copies: tests/program/copies.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from model.cost import money
from offline.diff import PropertyChange, diff_costs, diff_plans, format_cost_text, format_markdown, format_text
from tests.program.plans import REPO_ROOT


def preview(stack: str, out: Path, project_dir: Path = REPO_ROOT) -> tuple[int, dict[str, Any], str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "offline.preview",
            "--stack",
            stack,
            "--json",
            str(out),
            "--project-dir",
            str(project_dir),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return result.returncode, json.loads(out.read_text()), result.stdout


@pytest.fixture(scope="module")
def dev_preview(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    return preview("dev", tmp_path_factory.mktemp("preview") / "dev.json")


def test_dev_preview_passes_and_prints_plan_and_report(dev_preview: tuple[int, dict[str, Any], str]) -> None:
    code, report, stdout = dev_preview
    assert code == 0
    assert report["diagnostics"] == []
    assert "Policy report: no violations." in stdout
    assert "  + aws:lambda/function:Function" in stdout
    functions = [r for r in report["resources"] if r["type"] == "aws:lambda/function:Function"]
    assert len(functions) == 5
    assert all(len(f["inputs"]["code"]["sha256"]) == 64 for f in functions)
    # The cost table: every function has traffic in Pulumi.dev.yaml or a schedule.
    assert "Monthly cost estimate (eu-west-1, USD, AWS list prices read 2026-12-01):" in stdout
    assert sorted(report["cost"]["functions"]) == [
        "http-api",
        "lmi-worker",
        "s3-processor",
        "scheduled-job",
        "sqs-processor",
    ]
    assert all(f["monthly"] is not None for f in report["cost"]["functions"].values())
    job = report["cost"]["functions"]["scheduled-job"]
    assert (job["requests_per_month"], job["requests_source"], job["duration_ms"], job["duration_source"]) == (
        730,
        "schedule",
        2000,
        "config",
    )
    assert (money(job["monthly"]), job["recommendation"]) == ("$0.0026", "keep standard Lambda")


def test_prod_preview_passes(tmp_path: Path) -> None:
    code, report, stdout = preview("prod", tmp_path / "prod.json")
    assert (code, report["diagnostics"]) == (0, [])
    # lmi-worker runs on Managed Instances; at Pulumi.prod.yaml's 400 req/s of 10 ms that is cheaper
    # than standard Lambda at its 2048 MB from 295 req/s on.
    worker = report["cost"]["functions"]["lmi-worker"]
    assert (worker["runs_on"], worker["recommendation"], round(worker["break_even_rps"])) == (
        "managed-instances",
        "keep Managed Instances",
        295,
    )
    assert (money(worker["monthly"]), worker["managed_instances"]["instance_type"]) == ("$417.01", "c7g.large")
    assert "  lmi-worker     Managed Instances  2048 MB" in stdout


def functions_of(report: dict[str, Any]) -> dict[str, Any]:
    return {r["name"]: r for r in report["resources"]}


def version_of(report: dict[str, Any], crate: str) -> str:
    (alias,) = (r for r in report["resources"] if r["name"] == f"{crate}-fn-live")
    version: str = alias["inputs"]["functionVersion"]
    return version


def release_changes(before: dict[str, Any], after: dict[str, Any], crate: str) -> list[tuple[str, str, list[str]]]:
    """What a new version of `crate` changes: its alias's version and its release step's trigger."""
    old, new = version_of(before, crate), version_of(after, crate)
    assert old != new, "a change of code or configuration publishes a new version"
    return [
        ("change", f"{crate}-fn-live", ["functionVersion"]),
        ("change", f"{crate}-release-step", ["environment.RELEASE_VERSION", "triggers"]),
    ]


def test_the_diff_shows_a_memory_edit_as_that_property_a_new_version_and_its_release(
    dev_preview: tuple[int, dict[str, Any], str], memory_edited_copy: Path, tmp_path: Path
) -> None:
    _, edited, _ = preview("dev", tmp_path / "memory.json", memory_edited_copy)
    diffs = diff_plans(dev_preview[1], edited)
    assert sorted((d.kind, d.name, [c.path for c in d.changes]) for d in diffs) == sorted(
        [
            ("change", "scheduled-job-fn-function", ["memorySize"]),
            *release_changes(dev_preview[1], edited, "scheduled-job"),
        ],
        key=lambda change: change[1],
    )
    (memory,) = next(d for d in diffs if d.name == "scheduled-job-fn-function").changes
    assert memory == PropertyChange("memorySize", 128.0, 256.0)
    assert "    memorySize: 128 -> 256" in format_text(diffs)
    # Twice the memory, twice the duration charge: 730 x 2 s x 0.125 GB more at $0.0000133334.
    assert format_cost_text(diff_costs(dev_preview[1], edited)).splitlines()[:2] == [
        "Monthly cost (estimate):",
        "    scheduled-job: $0.0026 -> $0.0050 (+$0.0024)",
    ]


def test_the_diff_shows_a_source_edit_as_that_functions_code_a_new_version_and_its_release(
    dev_preview: tuple[int, dict[str, Any], str], source_edited_copy: Path, tmp_path: Path
) -> None:
    _, edited, _ = preview("dev", tmp_path / "code.json", source_edited_copy)
    diffs = diff_plans(dev_preview[1], edited)
    assert sorted((d.kind, d.name, [c.path for c in d.changes]) for d in diffs) == sorted(
        [
            ("change", "sqs-processor-fn-function", ["code.sha256"]),
            *release_changes(dev_preview[1], edited, "sqs-processor"),
        ],
        key=lambda change: change[1],
    )
    assert "| ~ | `sqs-processor-fn-function` (aws:lambda/function:Function) | `code.sha256` |" in format_markdown(
        diffs
    )
