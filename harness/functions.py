"""The function binaries the e2e tests run, and the env each one gets from its contract.

Three flavours: two builds of the same sources, and the Python baselines the benchmarks compare them with:
- `native`: the x86_64 debug binaries `cargo test` already built (fast, for most scenarios);
- `arm64`: the release zips of scripts/build-functions, run under qemu-user (the real artifacts);
- `python`: harness/baselines/<function>/bootstrap, the same handlers in Python on awslambdaric
  (they must pass the same scenarios, so that the benchmarks compare like with like).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

from model.contract import FunctionContract, load_contracts

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = REPO_ROOT / "functions"
CACHE_ROOT = Path(os.environ.get("RUSTLAMBDA_CACHE_ROOT", Path.home() / ".cache" / "rustlambda"))
NATIVE_TARGET_DIR = Path(os.environ.get("RUSTLAMBDA_NATIVE_TARGET_DIR", CACHE_ROOT / "target-native"))
BASELINES = Path(__file__).resolve().parent / "baselines"
FLAVOURS = ("native", "arm64", "python")


def contracts() -> dict[str, FunctionContract]:
    return {c.name: c for c in load_contracts(WORKSPACE)}


def build_native() -> Path:
    """The debug binaries (a no-op when `cargo test` has built them)."""
    subprocess.run(
        ["cargo", "build", "--workspace", "--bins", "--locked", "--quiet"],
        cwd=WORKSPACE,
        env={**os.environ, "CARGO_TARGET_DIR": str(NATIVE_TARGET_DIR)},
        check=True,
    )
    return NATIVE_TARGET_DIR / "debug"


# Builds with a workspace feature (common's `otel`, `otel-lite`) go to a target dir of their own, so that
# the default binaries in NATIVE_TARGET_DIR are never replaced by them (tests/e2e, bench.otel).
FEATURE_TARGET_DIR = CACHE_ROOT / "target-otel"


def build_with_feature(crate: str, feature: str | None, release: bool = False) -> Path:
    """The binary of function `crate` (debug, or release with the artifacts' profile) built with
    its cargo feature `feature` (`otel`, `otel-lite`; None: the default build), copied to
    `<FEATURE_TARGET_DIR>/<profile>-<feature or default>/<crate>` so that builds with other features
    do not replace it; returns that directory."""
    profile = "release" if release else "debug"
    command = ["nice", "-n", "10", "cargo", "build", "-p", crate, "--bin", crate, "--locked", "--quiet"]
    command += [*(["--release"] if release else []), *(["--features", feature] if feature else [])]
    subprocess.run(command, cwd=WORKSPACE, env={**os.environ, "CARGO_TARGET_DIR": str(FEATURE_TARGET_DIR)}, check=True)
    destination = FEATURE_TARGET_DIR / f"{profile}-{feature or 'default'}"
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(FEATURE_TARGET_DIR / profile / crate, destination / crate)
    return destination


def build_arm64(unpack_dir: Path) -> Path:
    """The arm64 release zips (a no-op when the sources are unchanged), unpacked: each function's
    under `<name>/bootstrap`, each layer's under `layers/<name>/` as Lambda unpacks it in /opt."""
    subprocess.run([str(REPO_ROOT / "scripts" / "build-functions")], check=True, stdout=subprocess.DEVNULL)
    for zip_path in sorted((REPO_ROOT / "build" / "lambda").glob("*.zip")):
        unpack(zip_path, unpack_dir / zip_path.stem)
    for zip_path in sorted((REPO_ROOT / "build" / "lambda" / "layers").glob("*.zip")):
        unpack(zip_path, unpack_dir / "layers" / zip_path.stem)
    return unpack_dir


def unpack(zip_path: Path, destination: Path) -> None:
    """Unpacks a zip with the modes it stores (zipfile drops them)."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, destination))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)


def extension_layer(flavour: str, name: str, binaries: Path, layer_dir: Path) -> Path:
    """A directory laid out as Lambda unpacks the extension's layer under /opt
    (`extensions/<name>`): the arm64 layer zip's own content, or the native debug binary."""
    if flavour == "arm64":
        return binaries / "layers" / name
    if flavour != "native":
        raise ValueError(f"extensions are Rust only: no {flavour} flavour")
    target = layer_dir / "extensions" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(binaries / name, target)
    return layer_dir


def extension_command(flavour: str, name: str, binaries: Path) -> list[str]:
    """How to start the extension's binary itself (outside an emulator)."""
    if flavour == "native":
        return [str(binaries / name)]
    return [qemu(), str(binaries / "layers" / name / "extensions" / name)]


def qemu() -> str:
    found = shutil.which("qemu-aarch64-static")
    if found is None:
        raise RuntimeError("qemu-aarch64-static is not installed: run scripts/setup")
    return found


def python_baselines() -> Path:
    """The Python baselines' directory (their bootstraps find the venv's interpreter themselves)."""
    for bootstrap in BASELINES.glob("*/bootstrap"):
        if not os.access(bootstrap, os.X_OK):
            raise RuntimeError(f"{bootstrap} is not executable")
    return BASELINES


def command(flavour: str, name: str, binaries: Path) -> list[str]:
    if flavour == "native":
        return [str(binaries / name)]
    if flavour == "python":
        return [str(binaries / name / "bootstrap")]
    # binfmt_misc is not mounted here, so qemu runs the arm64 binary explicitly.
    return [qemu(), str(binaries / name / "bootstrap")]


def function_env(contract: FunctionContract, references: dict[str, str]) -> dict[str, str]:
    """The contract's settings plus a value for every reference env it declares."""
    missing = set(contract.reference_envs) - set(references)
    if missing:
        raise KeyError(f"{contract.name}: the test sets no value for {sorted(missing)}")
    # Lambda sets AWS_LAMBDA_LOG_LEVEL from the function's logging config (stack config logLevel).
    return {"AWS_LAMBDA_LOG_LEVEL": "INFO", **contract.settings, **references}
