"""The supply chain: every Python package pinned with its hashes and installed in hash-checking mode,
the tools of the workflows at fixed versions checked against checksums before they run, npm without
install scripts, the audits part of CI. The attacks: a package, a Pulumi CLI or a Go toolchain whose
bytes differ from the pinned ones is refused before anything of it runs."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.engine import REPO_ROOT

GITHUB = REPO_ROOT / ".github"
LOCKFILES = ("requirements.txt", "requirements-dev.txt", "requirements-audit.txt", "requirements-uv.txt")
PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==([^ ;\\]+)")


def locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """Each package a lockfile pins: name -> (version, its sha256 hashes)."""
    packages: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = match.group(1).lower().split("[")[0]
            packages[current] = (match.group(2), [])
        elif line.strip().startswith("--hash=sha256:"):
            packages[current][1].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
    return packages


def direct_pins(path: Path) -> dict[str, str]:
    """The name==version lines of a requirements .in file, following -r includes."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("-r "):
            pins.update(direct_pins(path.parent / line.removeprefix("-r ").strip()))
        elif match := PIN.match(line):
            pins[match.group(1).lower().split("[")[0]] = match.group(2)
    return pins


@pytest.mark.parametrize("lockfile", LOCKFILES)
def test_every_locked_package_is_pinned_with_hashes_and_nothing_is_left_unlocked(lockfile: str) -> None:
    text = (REPO_ROOT / lockfile).read_text()
    packages = locked(REPO_ROOT / lockfile)
    assert packages, lockfile
    assert {name: version for name, (version, hashes) in packages.items() if not hashes} == {}
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for _, hashes in packages.values() for h in hashes)
    # No editable, URL or path requirement: pip's hash-checking mode could not check those.
    assert not [line for line in text.splitlines() if line.startswith(("-e", "git+", "http", "file:", "."))]


@pytest.mark.parametrize(
    ("source", "lockfile"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt"),
     ("requirements-audit.in", "requirements-audit.txt")],
)  # fmt: skip
def test_the_lockfiles_follow_what_a_person_edits(source: str, lockfile: str) -> None:
    """After an edit of a .in file, scripts/lock must run: every direct pin is in the lockfile."""
    packages = locked(REPO_ROOT / lockfile)
    assert {name: (version, packages.get(name, ("missing",))[0]) for name, version in direct_pins(
        REPO_ROOT / source).items() if packages.get(name, ("missing",))[0] != version} == {}  # fmt: skip


def test_tests_run_exactly_the_packages_a_deploy_installs() -> None:
    runtime, dev = locked(REPO_ROOT / "requirements.txt"), locked(REPO_ROOT / "requirements-dev.txt")
    assert {name: (pin, dev.get(name)) for name, pin in runtime.items() if dev.get(name) != pin} == {}


def test_the_language_host_finds_pip_and_the_editable_install_its_build_backend_in_the_lockfile() -> None:
    runtime = locked(REPO_ROOT / "requirements.txt")
    assert {"pip", "setuptools"} <= set(runtime)


def test_scripts_install_in_hash_checking_mode_and_npm_runs_no_install_scripts() -> None:
    setup = (REPO_ROOT / "scripts" / "setup").read_text()
    assert '"$TOOLS_BIN/uv" pip sync --quiet --python "$venv/bin/python" --require-hashes requirements-dev.txt' in setup
    assert "--no-deps --no-build-isolation -e ." in setup
    assert 'npm ci --prefix "$iam_dir" --cache "$CACHE_ROOT/npm" --ignore-scripts' in setup
    lib = (REPO_ROOT / "scripts" / "lib.sh").read_text()
    assert '--require-hashes --no-deps \\\n      -r "$REPO_ROOT/requirements-uv.txt"' in lib


def test_dependabot_keeps_the_lockfiles_and_every_action_directory_current() -> None:
    updates = {u["package-ecosystem"]: u for u in yaml.safe_load((GITHUB / "dependabot.yml").read_text())["updates"]}
    assert updates["pip"]["directory"] == "/"  # requirements*.in and their compiled, hashed lockfiles
    assert updates["github-actions"]["directories"] == ["/", "/.github/actions/*"]
    actions = sorted(p.parent.name for p in (GITHUB / "actions").glob("*/action.yml"))
    assert actions == ["pulumi-cli", "pulumi-login", "toolchain"]


# The tools the workflows download: fixed versions, checked before they run.


def action_step(action: str, starts: str) -> dict[str, Any]:
    steps = yaml.safe_load((GITHUB / "actions" / action / "action.yml").read_text())["runs"]["steps"]
    step: dict[str, Any] = next(s for s in steps if s.get("name", "").startswith(starts))
    return step


def fake_curl(bin_dir: Path, served: Path) -> Path:
    """A `curl` that answers every URL with the file of the same name in `served` and logs the URL."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "curl"
    script.write_text(
        "#!/usr/bin/env bash\n"
        'out=""; url=""\n'
        'while [ $# -gt 0 ]; do\n'
        '  case "$1" in -o) out="$2"; shift 2;; --proto) shift 2;; -*) shift;; *) url="$1"; shift;; esac\n'
        "done\n"
        f'echo "$url" >>"{served}/requests.log"\n'
        f'cp "{served}/${{url##*/}}" "$out"\n'
    )  # fmt: skip
    script.chmod(0o755)
    return bin_dir


def run_step(step: dict[str, Any], tmp_path: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **step.get("env", {}),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_PATH": str(tmp_path / "github_path"),
        "GITHUB_ENV": str(tmp_path / "github_env"),
    }
    (tmp_path / "runner").mkdir(exist_ok=True)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def pulumi_tarball(version_line: str) -> bytes:
    """A stand-in release tarball: `pulumi/pulumi` printing `version_line`."""
    data = f"#!/bin/sh\necho {version_line}\n".encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("pulumi/pulumi")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_the_pulumi_cli_is_the_sdks_version_everywhere() -> None:
    sdk = direct_pins(REPO_ROOT / "requirements.in")["pulumi"]
    assert action_step("pulumi-cli", "Pulumi CLI")["env"]["PULUMI_VERSION"] == sdk
    ci = yaml.safe_load((GITHUB / "workflows" / "ci.yml").read_text())
    preview = next(s for s in ci["jobs"]["pulumi-preview"]["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert preview["with"]["pulumi-version"] == sdk


@pytest.mark.parametrize("tampered", [False, True], ids=["published-bytes", "tampered-tarball"])
def test_the_pulumi_cli_runs_only_if_its_tarball_has_the_published_sha256(tmp_path: Path, tampered: bool) -> None:
    step = action_step("pulumi-cli", "Pulumi CLI")
    version = step["env"]["PULUMI_VERSION"]
    served = tmp_path / "served"
    served.mkdir()
    genuine = pulumi_tarball(f"v{version}")
    tarball = f"pulumi-v{version}-linux-x64.tar.gz"
    (served / tarball).write_bytes(pulumi_tarball("owned") if tampered else genuine)
    (served / f"pulumi-{version}-checksums.txt").write_text(
        f"{hashlib.sha256(b'other').hexdigest()}  pulumi-v{version}-darwin-x64.tar.gz\n"
        f"{hashlib.sha256(genuine).hexdigest()}  {tarball}\n"
    )
    result = run_step(step, tmp_path, fake_curl(tmp_path / "bin", served))
    requests = (served / "requests.log").read_text().splitlines()
    assert requests == [
        f"https://get.pulumi.com/releases/sdk/{tarball}",
        f"https://github.com/pulumi/pulumi/releases/download/v{version}/pulumi-{version}-checksums.txt",
    ]
    cli_dir = tmp_path / "runner" / "pulumi-cli" / "pulumi"
    if tampered:
        assert result.returncode == 1
        assert f"{tarball}: FAILED" in result.stdout
        assert not cli_dir.exists() and not (tmp_path / "github_path").exists()
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == f"v{version}"
        assert (tmp_path / "github_path").read_text() == f"{cli_dir}\n"


def test_a_go_toolchain_without_the_pinned_sha256_is_refused(tmp_path: Path) -> None:
    step = action_step("toolchain", "Go ")
    toolchain = step["env"]["GO_TOOLCHAIN"]
    assert re.fullmatch(r"v0\.0\.1-go\d+\.\d+\.\d+\.linux-amd64", toolchain)
    assert re.fullmatch(r"[0-9a-f]{64}", step["env"]["GO_TOOLCHAIN_SHA256"])
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / f"{toolchain}.zip", "w") as archive:
        archive.writestr(f"golang.org/toolchain@{toolchain}/bin/go", "#!/bin/sh\necho owned\n")
    result = run_step(step, tmp_path, fake_curl(tmp_path / "bin", served))
    assert (served / "requests.log").read_text() == (
        f"https://proxy.golang.org/golang.org/toolchain/@v/{toolchain}.zip\n"
    )
    assert result.returncode == 1
    assert "go-toolchain.zip: FAILED" in result.stdout
    assert not (tmp_path / "runner" / "go").exists() and not (tmp_path / "github_path").exists()


# A compromised release of a locked package: the deploy's install refuses it.


def wheel(content: str) -> bytes:
    """A minimal wheel of `tinypkg` 1.0 whose module holds `content`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tinypkg/__init__.py", content)
        archive.writestr("tinypkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n")
        archive.writestr(
            "tinypkg-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr("tinypkg-1.0.dist-info/RECORD", "")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("requirement", "refusal"),
    [
        ("tinypkg==1.0 --hash=sha256:{genuine}", "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE"),
        ("tinypkg==1.0", "Hashes are required in --require-hashes mode, but they are missing from some requirements"),
    ],
    ids=["replaced-release", "unhashed-entry"],
)
def test_the_deploy_install_refuses_a_package_whose_bytes_are_not_the_locked_ones(
    tmp_path: Path, requirement: str, refusal: str
) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for script in ("setup-runtime", "lib.sh"):
        shutil.copy2(REPO_ROOT / "scripts" / script, project / "scripts" / script)
    genuine = hashlib.sha256(wheel("GENUINE = True\n")).hexdigest()
    (project / "requirements.txt").write_text(requirement.format(genuine=genuine) + "\n")
    index = tmp_path / "index"
    index.mkdir()
    (index / "tinypkg-1.0-py3-none-any.whl").write_bytes(wheel("import os  # a compromised release\n"))
    result = subprocess.run(
        [str(project / "scripts" / "setup-runtime")],
        env={**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index), "RUSTLAMBDA_CACHE": str(tmp_path)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert refusal in result.stderr
    installed = subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", "import tinypkg"], capture_output=True)
    assert installed.returncode == 1


def test_the_audits_run_in_ci_and_gate_deploys() -> None:
    workflows = GITHUB / "workflows"
    ci = yaml.safe_load((workflows / "ci.yml").read_text())
    assert ci["jobs"]["audit"] == {
        "name": "audits",
        "uses": "./.github/workflows/security.yml",
        "permissions": {"contents": "read"},
    }
    # deploy.yml runs only for a CI run that succeeded, audits included.
    deploy = yaml.safe_load((workflows / "deploy.yml").read_text())
    assert "github.event.workflow_run.conclusion == 'success'" in deploy["jobs"]["build"]["if"]
    security = yaml.safe_load((workflows / "security.yml").read_text())
    assert set(security.get("on") or security[True]) == {"workflow_call", "schedule", "workflow_dispatch"}
    runs = {name: [s.get("run", "") for s in job["steps"]][-1] for name, job in security["jobs"].items()}
    assert runs["cargo-audit"] == "cargo audit --deny warnings"
    assert runs["cargo-deny"] == "cargo deny --locked check advisories licenses sources bans"
    assert security["jobs"]["cargo-deny"]["steps"][-1]["working-directory"] == "functions"  # its deny.toml
    assert runs["pip-audit"].replace("\\\n", " ").split() == [
        '"$RUNNER_TEMP/pip-audit/bin/pip-audit"', "--require-hashes", "--disable-pip",
        "-r", "requirements.txt", "-r", "requirements-dev.txt",
    ]  # fmt: skip
    assert (REPO_ROOT / "functions" / "deny.toml").is_file()
