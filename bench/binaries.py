"""What the benchmarks run: the functions' x86_64 release binaries (and bench/hello) against their
Python baselines, built how and started how.

The release binaries use the arm64 artifacts' profile but keep their symbols, so that `nm` can
attribute .text to crates (symbols are not loaded: no effect on RSS); the arm64 zips are built too,
for their sizes.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

from bench.limits import INVOKE_TIMEOUT_S
from bench.pinning import on_function_cpu
from harness import functions
from harness.emulator import Emulator, Invocation

BENCH_DIR = Path(__file__).resolve().parent
HELLO_DIR = BENCH_DIR / "hello"
NATIVE_RELEASE = functions.NATIVE_TARGET_DIR / "release"


def cargo_release(manifest_dir: Path) -> None:
    env = {
        **os.environ,
        "CARGO_TARGET_DIR": str(functions.NATIVE_TARGET_DIR),
        # Same profile as the artifacts, symbols kept for `nm` (symbols are not loaded: no effect on RSS).
        "CARGO_PROFILE_RELEASE_STRIP": "false",
    }
    subprocess.run(
        ["nice", "-n", "10", "cargo", "build", "--release", "--locked", "--bins", "--quiet"],
        cwd=manifest_dir,
        env=env,
        check=True,
    )


def build(skip: bool) -> None:
    if skip:
        return
    print("building: functions/ and bench/hello (x86_64 release), arm64 zips", flush=True)
    cargo_release(functions.WORKSPACE)
    cargo_release(HELLO_DIR)
    subprocess.run(
        ["nice", "-n", "10", str(functions.REPO_ROOT / "scripts" / "build-functions")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def command(runtime: str, name: str) -> list[str]:
    if runtime == "python":
        return [str(functions.BASELINES / name / "bootstrap")]
    return [str(NATIVE_RELEASE / name)]


def start(runtime: str, name: str, env: dict[str, str], log_dir: Path) -> Emulator:
    """The function under aws-lambda-rie, on the function's CPU."""
    log_path = log_dir / f"{name}-{runtime}-{uuid.uuid4().hex[:6]}.log"
    with on_function_cpu():
        return Emulator(command(runtime, name), env, log_path)


def invoke(emulator: Emulator, payload: Any) -> Invocation:
    """One invocation; fails unless the emulator answers HTTP 200 (a function error is a 200 too)."""
    invocation = emulator.invoke(payload, timeout=INVOKE_TIMEOUT_S)
    if invocation.status != 200:
        raise RuntimeError(f"invocation {invocation.request_id} answered HTTP {invocation.status}")
    return invocation
