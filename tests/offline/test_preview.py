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


def preview(
    stack: str, out: Path, project_dir: Path = REPO_ROOT, state: Path | None = None, mode: str = "preview"
) -> tuple[int, dict[str, Any], str]:
    deployed = ["--state", str(state), "--mode", mode] if state is not None else []
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
            *deployed,
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


@pytest.fixture(scope="module")
def deployed_dev(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The dev stack after its first `up` (what AWS holds: versions 1, aliases on them), and a
    preview of the unchanged repository against it: the base of the diffs below."""
    work = tmp_path_factory.mktemp("deployed")
    state = work / "state.json"
    code, _, _ = preview("dev", work / "up.json", state=state, mode="up")
    assert code == 0
    code, base, _ = preview("dev", work / "base.json", state=state)
    assert code == 0
    return state, base


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return sorted((d.kind, d.name, [c.path for c in d.changes]) for d in diff_plans(before, after))


def release_changes(crate: str) -> list[tuple[str, str, list[str]]]:
    """What a new version of `crate` changes besides the function: the version its release step
    releases and its new-version alarms watch. Its alias does not change: the release step moves it,
    after its checks; Pulumi never does."""
    return [
        ("change", f"{crate}-alarms-new-version-duration-p99", ["dimensions.ExecutedVersion"]),
        ("change", f"{crate}-alarms-new-version-errors", ["dimensions.ExecutedVersion"]),
        ("change", f"{crate}-release-step", ["environment.RELEASE_VERSION"]),
    ]


def test_the_diff_shows_a_memory_edit_as_that_property_a_new_version_and_its_release(
    deployed_dev: tuple[Path, dict[str, Any]], memory_edited_copy: Path, tmp_path: Path
) -> None:
    state, base = deployed_dev
    _, edited, _ = preview("dev", tmp_path / "memory.json", memory_edited_copy, state=state)
    assert changes(base, edited) == sorted(
        [("change", "scheduled-job-fn-function", ["memorySize"]), *release_changes("scheduled-job")]
    )
    diffs = diff_plans(base, edited)
    (memory,) = next(d for d in diffs if d.name == "scheduled-job-fn-function").changes
    assert memory == PropertyChange("memorySize", 128.0, 256.0)
    text = format_text(diffs)
    assert "    memorySize: 128 -> 256" in text
    # At preview the provider cannot know the number Lambda will give the new version.
    assert "    environment.RELEASE_VERSION: 1 -> (known after apply)" in text
    # Twice the memory, twice the duration charge: 730 x 2 s x 0.125 GB more at $0.0000133334.
    assert format_cost_text(diff_costs(base, edited)).splitlines()[:2] == [
        "Monthly cost (estimate):",
        "    scheduled-job: $0.0026 -> $0.0050 (+$0.0024)",
    ]


def test_the_diff_shows_a_source_edit_of_lmi_worker_as_its_code_its_new_version_and_its_release(
    deployed_dev: tuple[Path, dict[str, Any]], source_edited_copy: Path, tmp_path: Path
) -> None:
    state, base = deployed_dev
    _, edited, _ = preview("dev", tmp_path / "code.json", source_edited_copy, state=state)
    assert changes(base, edited) == sorted(
        [("change", "lmi-worker-fn-function", ["code.sha256"]), *release_changes("lmi-worker")]
    )
    assert "| ~ | `lmi-worker-fn-function` (aws:lambda/function:Function) | `code.sha256` |" in format_markdown(
        diff_plans(base, edited)
    )
    # The update itself publishes version 2, which the release step releases and the canary alarms watch.
    up_state = tmp_path / "state.json"
    up_state.write_text(state.read_text())
    _, updated, _ = preview("dev", tmp_path / "up.json", source_edited_copy, state=up_state, mode="up")
    text = format_text(diff_plans(base, updated))
    assert "    environment.RELEASE_VERSION: 1 -> 2" in text
    assert "    dimensions.ExecutedVersion: 1 -> 2" in text
    alias = next(r for r in updated["resources"] if r["name"] == "lmi-worker-fn-live-alias")
    assert alias["inputs"]["functionVersion"] == "1", "the alias stays where AWS has it until the release moves it"
