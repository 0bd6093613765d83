"""The program and the policy pack start under the real Pulumi CLI: the venv scripts/setup makes is
the one Pulumi.yaml and PulumiPolicy.yaml name for the `pip` toolchain, the language host's
dependency discovery (`python -m pip list --format json` in it, then the plugin files) succeeds and
finds exactly the providers the lockfile pins, and the program and the pack run as the language host
starts them (tests/pipeline/language_host.py says how, from its source)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from offline.analyzer import PolicyPackClient
from offline.engine import REPO_ROOT
from tests.pipeline.language_host import activated, required_plugins, runtime_options, venv_of
from tests.pipeline.test_supply_chain import locked

PROGRAM = REPO_ROOT / "Pulumi.yaml"
PACK = REPO_ROOT / "policies" / "PulumiPolicy.yaml"


def test_the_program_and_the_pack_name_the_pip_toolchain_and_the_venv_setup_makes() -> None:
    assert runtime_options(PROGRAM) == {"toolchain": "pip", "virtualenv": ".venv"}
    assert runtime_options(PACK) == {"toolchain": "pip", "virtualenv": "../.venv"}
    assert venv_of(PROGRAM).resolve() == venv_of(PACK).resolve() == (REPO_ROOT / ".venv").resolve()
    assert (venv_of(PROGRAM) / "bin" / "python").is_file()  # what the language host calls a venv


@pytest.mark.parametrize("project_file", [PROGRAM, PACK], ids=["program", "policy-pack"])
def test_dependency_discovery_succeeds_and_finds_the_locked_providers(project_file: Path) -> None:
    plugins = required_plugins(venv_of(project_file), project_file.parent)
    runtime = locked(REPO_ROOT / "requirements.txt")
    assert plugins == {"aws": f"v{runtime['pulumi-aws'][0]}", "command": f"v{runtime['pulumi-command'][0]}"}


def test_the_pip_the_language_host_calls_is_the_locked_one() -> None:
    venv = venv_of(PROGRAM)
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--version"],
        env=activated({"PATH": "/usr/bin:/bin"}, venv), capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert version.startswith(f"pip {locked(REPO_ROOT / 'requirements.txt')['pip'][0]} from {venv.resolve()}/")


@pytest.fixture(scope="module")
def program_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`pulumi up` of the dev stack as the deploy job runs it: the language host starts the program,
    which deploys the build's zips (RUSTLAMBDA_PREBUILT_MANIFEST) instead of building."""
    subprocess.run([str(REPO_ROOT / "scripts" / "build-functions")], check=True, stdout=subprocess.DEVNULL)
    out = tmp_path_factory.mktemp("language-host") / "run.json"
    subprocess.run(
        [sys.executable, "-m", "tests.pipeline.language_host", "--stack", "dev", "--update", "--out", str(out)],
        cwd=REPO_ROOT, env={**os.environ, "RUSTLAMBDA_PREBUILT_MANIFEST": "build/lambda/manifest.json"},
        check=True, timeout=1200,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def test_the_program_runs_as_the_language_host_starts_it(program_run: dict[str, Any]) -> None:
    assert program_run["exit_code"] == 0, program_run["stderr"] + "\n".join(program_run["logs"])
    assert program_run["command"][:2] == [str(REPO_ROOT / ".venv" / "bin" / "python"), str(
        REPO_ROOT / "tests" / "pipeline" / "program_exec.py")]  # fmt: skip
    functions = [r for r in program_run["registrations"] if r["type"] == "aws:lambda/function:Function"]
    assert sorted(f["name"] for f in functions) == [
        "http-api-fn-function", "lmi-worker-fn-function", "s3-processor-fn-function",
        "scheduled-job-fn-function", "sqs-processor-fn-function",
    ]  # fmt: skip
    assert {(f["inputs"]["runtime"], tuple(f["inputs"]["architectures"])) for f in functions} == {
        ("provided.al2023", ("arm64",))
    }
    stack = next(r for r in program_run["registrations"] if r["type"] == "pulumi:pulumi:Stack")
    assert stack["urn"] == "urn:pulumi:dev::rustlambda::pulumi:pulumi:Stack::rustlambda-dev"
    # A local build records no commit, and the SDK exports no None: deployedCommit is absent, which
    # pipeline.deploy_order reads as "no deployed commit".
    assert sorted(program_run["outputs"]) == [
        "bucketNames", "functionArns", "functionNames", "functionUrls", "httpApiUrls", "queueUrls", "tableNames",
    ]  # fmt: skip
    # The build's zips, checked against its manifest, are what the functions deploy.
    manifest = json.loads((REPO_ROOT / "build" / "lambda" / "manifest.json").read_text())
    assert {f["name"].removesuffix("-fn-function"): f["inputs"]["code"] for f in functions} == {
        name: {"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7", "path": entry["zip"]}
        for name, entry in manifest["functions"].items()
    }


def test_the_policy_pack_starts_as_the_language_host_starts_it() -> None:
    venv, pack_dir = venv_of(PACK), PACK.parent
    env = activated(os.environ, venv)
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pulumi.run.plugin"],
        cwd=pack_dir, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    stack_env = {**env, "PULUMI_PROJECT": "rustlambda", "PULUMI_STACK": "dev", "PULUMI_DRY_RUN": "true",
                 "PULUMI_CONFIG": "{}"}  # fmt: skip
    with PolicyPackClient(pack_dir, cwd=pack_dir, python=str(venv / "bin" / "python"), env=stack_env) as pack:
        info = pack.info()
    assert info.name == "rustlambda-guardrails"
    assert len(info.policies) > 10
