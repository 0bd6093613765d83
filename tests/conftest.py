"""Fixtures shared by every test: the moto server, the function binaries (native and arm64), and the
dev and prod plans (the program under the offline engine, as the first `up` of each stack
registers it), each made once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import functions
from harness.moto import MotoServer
from model.contract import FunctionContract
from tests.program import copies
from tests.program.plans import Plan, run_plan


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.close()


@pytest.fixture(scope="session")
def native_binaries() -> Path:
    return functions.build_native()


@pytest.fixture(scope="session")
def arm64_binaries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return functions.build_arm64(tmp_path_factory.mktemp("arm64"))


@pytest.fixture(scope="session")
def contracts() -> dict[str, FunctionContract]:
    return functions.contracts()


@pytest.fixture(scope="session")
def memory_edited_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with scheduled-job's memory setting changed in its Cargo.toml."""
    return copies.copy_with_edit(tmp_path_factory.mktemp("memory-edit") / "repo", copies.MEMORY_EDIT)


@pytest.fixture(scope="session")
def source_edited_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with one string in lmi-worker's source changed."""
    return copies.copy_with_edit(tmp_path_factory.mktemp("source-edit") / "repo", copies.SOURCE_EDIT)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("dev", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("prod", tmp_path_factory.mktemp("prod"))
