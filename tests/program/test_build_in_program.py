"""The build is real: the program's `local.run` invoke runs scripts/build-functions, which skips
an unchanged workspace, and a preview shows changes exactly where the bytes or settings changed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.program.plans import REPO_ROOT, SECRET_CONFIG, Plan, run_plan

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


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree's tracked and new files, in another directory, sharing the venv and caches."""
    copy = tmp_path_factory.mktemp("project") / "repo"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = REPO_ROOT / relative
        if source.is_file():
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / relative)
    (copy / ".venv").symlink_to((REPO_ROOT / ".venv").resolve())
    return copy


def test_editing_a_memory_setting_changes_only_that_memory(dev: Plan, project_copy: Path, tmp_path: Path) -> None:
    manifest = project_copy / "functions" / "scheduled-job" / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace("memory = 128", "memory = 256", 1))
    edited = run_plan("dev", tmp_path, project_dir=project_copy)
    expected = {**memories(dev), "scheduled-job": 256.0}
    assert memories(edited) == expected
    assert zip_hashes(edited, project_copy) == zip_hashes(dev, REPO_ROOT), "deploy settings do not change binaries"


def test_editing_one_functions_source_changes_only_its_archive(dev: Plan, project_copy: Path, tmp_path: Path) -> None:
    main_rs = project_copy / "functions" / "sqs-processor" / "src" / "main.rs"
    main_rs.write_text(main_rs.read_text().replace('"the name of the orders table"', '"the orders table name"', 1))
    edited = run_plan("dev", tmp_path, project_dir=project_copy)
    before, after = zip_hashes(dev, REPO_ROOT), zip_hashes(edited, project_copy)
    assert [name for name in before if before[name] != after[name]] == ["sqs-processor"]


def test_a_build_failure_fails_the_program_with_cargos_message(project_copy: Path, tmp_path: Path) -> None:
    main_rs = project_copy / "functions" / "sqs-processor" / "src" / "main.rs"
    original = main_rs.read_text()
    main_rs.write_text(original + "\nfn broken( {}\n")
    try:
        with pytest.raises(subprocess.CalledProcessError) as failure:
            subprocess.run(
                [sys.executable, "-m", "offline.engine", "--stack", "dev", "--project-dir", str(project_copy),
                 "--config-json", json.dumps(SECRET_CONFIG), "--out", str(tmp_path / "plan.json")],
                cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=1800,
            )  # fmt: skip
    finally:
        main_rs.write_text(original)
    stderr = failure.value.stderr
    assert "local.run './scripts/build-functions' failed with exit code 1" in stderr
    assert "error: cargo lambda build failed" in stderr
    assert "sqs-processor/src/main.rs" in stderr
