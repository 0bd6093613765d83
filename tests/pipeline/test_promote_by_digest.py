"""Build once, promote by digest: with RUSTLAMBDA_PREBUILT_MANIFEST the program deploys the build's
zips without building (components/build.py), and a zip changed by one byte between the build and the
deploy fails the deploy with the digest mismatch. Through the program's real path under the offline
engine, in a copy of the project whose build script fails if it is ever called."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model.artifacts import ArtifactError, file_sha256, load_manifest, parse_manifest
from tests.program import copies
from tests.program.plans import REPO_ROOT, run_plan

COMMIT = "5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b"
PREBUILT = {"RUSTLAMBDA_PREBUILT_MANIFEST": "build/lambda/manifest.json"}


@pytest.fixture(scope="module")
def built() -> Path:
    """The repository's arm64 build (a no-op when scripts/test built it already)."""
    subprocess.run([str(REPO_ROOT / "scripts" / "build-functions")], check=True, stdout=subprocess.DEVNULL)
    return REPO_ROOT / "build" / "lambda"


def promoted_copy(destination: Path, build: Path) -> Path:
    """The project with the build's artifact downloaded into build/lambda (its manifest stamped with
    the commit the build job built) and a build script that fails: a deploy must not build."""
    copy = copies.copy_tree(destination)
    shutil.copytree(build, copy / "build" / "lambda")
    manifest = copy / "build" / "lambda" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "commit": COMMIT}, indent=2))
    (copy / "scripts" / "build-functions").write_text(
        "#!/usr/bin/env bash\necho 'the program built although a prebuilt manifest was given' >&2\nexit 1\n"
    )
    return copy


def offline_up(project: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The program for the dev stack under the offline engine, as a deploy job runs it."""
    return subprocess.run(
        [sys.executable, "-m", "offline.engine", "--stack", "dev", "--project-dir", str(project),
         "--out", str(tmp_path / "plan.json")],
        cwd=REPO_ROOT, env={**os.environ, **PREBUILT}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_a_zip_changed_by_one_byte_between_build_and_deploy_fails_the_deploy(built: Path, tmp_path: Path) -> None:
    project = promoted_copy(tmp_path / "repo", built)
    listed = load_manifest(project / "build" / "lambda" / "manifest.json").functions["sqs-processor"]
    zip_file = project / listed.zip_path
    data = bytearray(zip_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    zip_file.write_bytes(bytes(data))

    result = offline_up(project, tmp_path)

    assert result.returncode != 0
    assert (
        "the build's artifacts differ from its manifest, so this is not the build that was tested: "
        "deploy the build's artifact unchanged\n"
        f"  build/lambda/sqs-processor.zip: sha256 {file_sha256(zip_file)}, the manifest lists {listed.sha256} "
        f"({listed.size} bytes, listed {listed.size})"
    ) in result.stderr
    assert "the program built" not in result.stderr
    assert not (tmp_path / "plan.json").exists()


def test_a_promoted_build_deploys_exactly_its_bytes_and_records_its_commit(built: Path, tmp_path: Path) -> None:
    project = promoted_copy(tmp_path / "repo", built)
    manifest = load_manifest(project / "build" / "lambda" / "manifest.json")

    plan = run_plan("dev", tmp_path, project_dir=project, env=PREBUILT)

    deployed = {
        fn["name"].removesuffix("-fn-function"): file_sha256(project / fn["inputs"]["code"]["path"])
        for fn in plan.of_type("aws:lambda/function:Function")
    }
    assert deployed == {name: a.sha256 for name, a in manifest.functions.items()}
    (layer,) = plan.of_type("aws:lambda/layerVersion:LayerVersion")
    assert file_sha256(project / layer["inputs"]["code"]["path"]) == manifest.layers["telemetry-extension"].sha256
    assert plan.outputs["deployedCommit"] == COMMIT


def test_a_missing_zip_fails_the_deploy_naming_it(built: Path, tmp_path: Path) -> None:
    project = promoted_copy(tmp_path / "repo", built)
    (project / "build" / "lambda" / "layers" / "telemetry-extension.zip").unlink()
    result = offline_up(project, tmp_path)
    assert result.returncode != 0
    assert (
        "  build/lambda/layers/telemetry-extension.zip: missing, the manifest lists it for telemetry-extension"
        in result.stderr
    )


def test_a_manifest_cannot_point_outside_the_project() -> None:
    entry = {"zip": "../../etc/passwd", "sha256": "0" * 64, "zip_bytes": 1}
    with pytest.raises(ArtifactError) as error:
        parse_manifest({"functions": {"http-api": entry}})
    assert str(error.value) == (
        "functions.http-api.zip='../../etc/passwd' leaves the project: set a path relative to the project"
    )


def test_the_workflow_check_refuses_the_artifact_of_another_commit(built: Path, tmp_path: Path) -> None:
    project = promoted_copy(tmp_path / "repo", built)
    other = "0" * 40
    result = subprocess.run(
        [sys.executable, "-m", "model.artifacts", "verify", "build/lambda/manifest.json", "--commit", other],
        cwd=project, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        1,
        f"error: build/lambda/manifest.json: built from commit {COMMIT}, not {other}: "
        "deploy the artifact of this commit's build\n",
    )
    verified = subprocess.run(
        [sys.executable, "-m", "model.artifacts", "verify", "build/lambda/manifest.json", "--commit", COMMIT],
        cwd=project, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    manifest = project / "build" / "lambda" / "manifest.json"
    count = len(load_manifest(manifest).artifacts())
    assert (verified.returncode, verified.stdout) == (
        0,
        f"{count} zips match build/lambda/manifest.json (sha256 {file_sha256(manifest)}, commit {COMMIT})\n",
    )
