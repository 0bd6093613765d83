"""Build figures (`python -m bench.run --builds`, the long mode): how the arm64 build behaves.

Clones HEAD twice, at two different paths, and builds each clone with scripts/build-functions
against its own empty cache root (target dir, mirrored sources, zig cache), as on a clean machine.
Only the compiler choice (`arm64-rustc`), the Python venv and cargo's crate downloads are shared.
Reports, per clean build, its time and how many cargo invocations it made (one for all functions);
then the time of a second run in the first clone with nothing changed (a no-op); and whether the
two clean builds gave byte-identical zips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import functions

REPO_ROOT = Path(__file__).resolve().parent.parent
# What scripts/build_functions.py logs once per cargo invocation, and when it skips the build.
CARGO_CALL = "[build-functions] $ cargo lambda build"
SKIPPED = "[build-functions] sources unchanged"
BUILD_TIMEOUT_S = 40 * 60


def clone_head(destination: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(destination)], check=True)
    # The clone uses this checkout's venv (same requirements at HEAD); setup would build an identical one.
    (destination / ".venv").symlink_to((REPO_ROOT / ".venv").resolve())
    return destination


def empty_cache_root(path: Path, compiler_from: Path) -> Path:
    path.mkdir(parents=True)
    shutil.copy2(compiler_from / "arm64-rustc", path / "arm64-rustc")
    return path


def run_build(clone: Path, cache_root: Path) -> dict[str, Any]:
    """One scripts/build-functions run: its time, cargo invocations, and the zips' sha256."""
    started = time.monotonic()
    completed = subprocess.run(
        [str(clone / "scripts" / "build-functions")],
        env={**os.environ, "RUSTLAMBDA_CACHE": str(cache_root)},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    seconds = round(time.monotonic() - started, 1)
    if completed.returncode != 0:
        raise RuntimeError(f"scripts/build-functions failed in {clone}:\n{completed.stderr[-4000:]}")
    manifest = json.loads((clone / "build" / "lambda" / "manifest.json").read_text())
    return {
        "clone": str(clone),
        "seconds": seconds,
        "cargo_invocations": completed.stderr.count(CARGO_CALL),
        "skipped_as_unchanged": SKIPPED in completed.stderr,
        "sha256": {name: entry["sha256"] for name, entry in sorted(manifest["functions"].items())},
    }


def measure() -> dict[str, Any]:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    if dirty:
        print("builds: the working tree has uncommitted changes; the clean builds are of HEAD only", flush=True)
    compiler_from = functions.CACHE_ROOT
    with tempfile.TemporaryDirectory(prefix="bench-builds-") as tmp:
        root = Path(tmp)
        # Two clone paths of different lengths and names: paths must not reach the binaries.
        first = clone_head(root / "a")
        second = clone_head(root / "elsewhere" / "another-clone")
        print(f"builds: clean build 1 of {head[:12]} in {first}", flush=True)
        clean_1 = run_build(first, empty_cache_root(root / "cache-1", compiler_from))
        print("builds: the same build again, nothing changed", flush=True)
        no_op = run_build(first, root / "cache-1")
        print(f"builds: clean build 2 in {second}", flush=True)
        clean_2 = run_build(second, empty_cache_root(root / "cache-2", compiler_from))
    return {
        "commit": head,
        "clean_builds": [clean_1, clean_2],
        "no_op_rebuild": no_op,
        "identical_zips": clean_1["sha256"] == clean_2["sha256"],
    }
