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


def build_arm64(unpack_dir: Path) -> Path:
    """The arm64 release zips (a no-op when the sources are unchanged), unpacked."""
    subprocess.run([str(REPO_ROOT / "scripts" / "build-functions")], check=True, stdout=subprocess.DEVNULL)
    for zip_path in sorted((REPO_ROOT / "build" / "lambda").glob("*.zip")):
        destination = unpack_dir / zip_path.stem
        destination.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extract("bootstrap", destination)
        (destination / "bootstrap").chmod(0o755)
    return unpack_dir


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
    qemu = shutil.which("qemu-aarch64-static")
    if qemu is None:
        raise RuntimeError("qemu-aarch64-static is not installed: run scripts/setup")
    # binfmt_misc is not mounted here, so qemu runs the arm64 binary explicitly.
    return [qemu, str(binaries / name / "bootstrap")]


def function_env(contract: FunctionContract, references: dict[str, str]) -> dict[str, str]:
    """The contract's settings plus a value for every reference env it declares."""
    missing = set(contract.reference_envs) - set(references)
    if missing:
        raise KeyError(f"{contract.name}: the test sets no value for {sorted(missing)}")
    return {**contract.settings, **references, "RUST_LOG": "info"}
