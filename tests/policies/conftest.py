"""The policy pack, started once per test module through the real protocol (offline.analyzer), and
the code archives the function policies read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from offline.analyzer import REPO_ROOT, PolicyPackClient
from tests.policies.resources import elf_header, write_zip

AARCH64 = 183
X86_64 = 62


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackClient]:
    with PolicyPackClient(REPO_ROOT / "policies") as client:
        yield client


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Zips like the build's: `bootstrap` at the root (arm64, x86_64), none, or a script."""
    tmp = tmp_path_factory.mktemp("archives")
    return {
        "arm64": write_zip(tmp / "arm64.zip", {"bootstrap": elf_header(AARCH64) + bytes(64)}),
        "x86_64": write_zip(tmp / "x86_64.zip", {"bootstrap": elf_header(X86_64) + bytes(64)}),
        "no-bootstrap": write_zip(tmp / "no-bootstrap.zip", {"main": elf_header(AARCH64)}),
        "script": write_zip(tmp / "script.zip", {"bootstrap": b"#!/bin/sh\nexec ./main\n"}),
    }
