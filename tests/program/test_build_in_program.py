"""The build is real: the program's `local.run` invoke runs scripts/build-functions, which skips
an unchanged workspace, and a preview shows changes exactly where the bytes or settings changed."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.program import copies
from tests.program.plans import REPO_ROOT, Plan, run_plan

MANIFEST = REPO_ROOT / "build" / "lambda" / "manifest.json"


def zip_hashes(plan: Plan, project_dir: Path) -> dict[str, str]:
    return {
        fn["name"].removesuffix("-fn-function"): hashlib.sha256(
            (project_dir / fn["inputs"]["code"]["path"]).read_bytes()
        ).hexdigest()
        for fn in plan.of_type("aws:lambda/function:Function")
    }


def memories(plan: Plan) -> dict[str, float]:
    return {
        fn["name"].removesuffix("-fn-function"): fn["inputs"]["memorySize"]
        for fn in plan.of_type("aws:lambda/function:Function")
    }


def test_two_runs_register_identical_resources_and_the_second_builds_nothing(dev: Plan, tmp_path: Path) -> None:
    built_at = MANIFEST.stat().st_mtime_ns
    again = run_plan("dev", tmp_path)

    # Registration order follows Pulumi's async scheduling; the resources and inputs must match.
    def by_urn(plan: Plan) -> str:
        return json.dumps(sorted(plan.registrations, key=lambda r: str(r["urn"])), sort_keys=True)

    assert by_urn(again) == by_urn(dev)
    assert again.outputs == dev.outputs
    assert MANIFEST.stat().st_mtime_ns == built_at, "an unchanged workspace was rebuilt"


def test_editing_a_memory_setting_changes_only_that_memory(dev: Plan, memory_edited_copy: Path, tmp_path: Path) -> None:
    edited = run_plan("dev", tmp_path, project_dir=memory_edited_copy)
    assert memories(edited) == {**memories(dev), "scheduled-job": 256.0}
    assert zip_hashes(edited, memory_edited_copy) == zip_hashes(dev, REPO_ROOT), (
        "deploy settings do not change binaries"
    )


def test_editing_one_functions_source_changes_only_its_archive(
    dev: Plan, source_edited_copy: Path, tmp_path: Path
) -> None:
    edited = run_plan("dev", tmp_path, project_dir=source_edited_copy)
    before, after = zip_hashes(dev, REPO_ROOT), zip_hashes(edited, source_edited_copy)
    assert [name for name in before if before[name] != after[name]] == ["lmi-worker"]


def test_a_build_failure_fails_the_program_with_cargos_message(tmp_path: Path) -> None:
    broken = copies.copy_with_edit(tmp_path / "repo", copies.BROKEN_EDIT)
    with pytest.raises(subprocess.CalledProcessError) as failure:
        subprocess.run(
            [sys.executable, "-m", "offline.engine", "--stack", "dev", "--project-dir", str(broken),
             "--out", str(tmp_path / "plan.json")],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=1800,
        )  # fmt: skip
    stderr = failure.value.stderr
    assert "local.run './scripts/build-functions' failed with exit code 1" in stderr
    assert "error: cargo lambda build failed" in stderr
    assert "sqs-processor/src/main.rs" in stderr
