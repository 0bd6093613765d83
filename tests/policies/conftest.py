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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Recall and false positives per corpus category, when the corpus ran."""
    from tests.policies.test_corpus import CATEGORIES, RESULTS

    if not RESULTS:
        return
    terminalreporter.section("policy corpus: recall and false positives per category")
    terminalreporter.write_line(f"{'category':<22} {'recall':>16} {'false positives':>20}")
    for category in CATEGORIES:
        block = RESULTS.get((category, "block"), [])
        passing = RESULTS.get((category, "pass"), [])
        caught = sum(right for _, right in block)
        alarms = sum(not right for _, right in passing)
        recall = f"{caught}/{len(block)} ({100 * caught / max(len(block), 1):.0f}%)"
        false_positives = f"{alarms}/{len(passing)} ({100 * alarms / max(len(passing), 1):.0f}%)"
        terminalreporter.write_line(f"{category:<22} {recall:>16} {false_positives:>20}")
