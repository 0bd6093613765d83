"""Copies of the project with one edit each, for tests that compare plans before and after an edit.

Each copy shares the venv and the build caches with the repo, so it costs only what the edit
changes: a memory setting costs no compilation; a source edit relinks one function. Copies are
made once per session (conftest.py) and never edited after: tests share them without ordering.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.program.plans import REPO_ROOT

# The edits: (file, old text, new text).
MEMORY_EDIT = ("functions/scheduled-job/Cargo.toml", "memory = 128", "memory = 256")
SOURCE_EDIT = ("functions/lmi-worker/src/settings.rs", '"the name of the items table"', '"the items table name"')
# sqs-processor placed on Managed Instances: an SQS trigger on the capacity provider.
SQS_ON_MANAGED_INSTANCES_EDIT = (
    "functions/sqs-processor/Cargo.toml",
    "[[package.metadata.stack.tables]]",
    '[package.metadata.stack.compute]\ntype = "managed-instances"\nmax_concurrency = 16\nmemory_gib_per_vcpu = 2\n\n'
    "[[package.metadata.stack.tables]]",
)
BROKEN_EDIT = ("functions/sqs-processor/src/main.rs", "async fn main()", "fn broken( {}\nasync fn main()")


def copy_tree(destination: Path) -> Path:
    """The working tree's tracked and new files in `destination`, sharing the repo's venv."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = REPO_ROOT / relative
        if source.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    (destination / ".venv").symlink_to((REPO_ROOT / ".venv").resolve())
    return destination


def copy_with_edit(destination: Path, edit: tuple[str, str, str]) -> Path:
    """The working tree in `destination`, with `edit` applied once."""
    copy_tree(destination)
    path, old, new = edit
    text = (destination / path).read_text()
    assert old in text, f"{path} no longer contains {old!r}: update the edit"
    (destination / path).write_text(text.replace(old, new, 1))
    return destination


def copy_with_recorded_build(destination: Path) -> Path:
    """The working tree in `destination` with scripts/build-functions replaced by
    tests/program/recorded_build.py, which records each request in `build-requests.txt` and answers
    with the repository's own build (see there)."""
    copy_tree(destination)
    script = destination / "scripts" / "build-functions"
    script.write_text(
        "#!/usr/bin/env bash\n"
        "# Test stand-in: tests/program/recorded_build.py.\n"
        f'exec "{destination}/.venv/bin/python" "{destination}/tests/program/recorded_build.py" "{REPO_ROOT}" "$@"\n'
    )
    return destination


def build_requests(copy: Path) -> list[str]:
    """The arguments of each build the program asked for in a `copy_with_recorded_build` copy."""
    return (copy / "build-requests.txt").read_text().splitlines()
