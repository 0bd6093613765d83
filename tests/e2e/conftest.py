"""Starts a function's real bootstrap under aws-lambda-rie: native, arm64 (qemu) or the Python baseline."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness import functions
from harness.emulator import Emulator
from harness.moto import MotoServer
from model.contract import FunctionContract

StartFunction = Callable[[str, dict[str, str]], Emulator]


@pytest.fixture(params=functions.FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def python_binaries() -> Path:
    """The Python baselines the benchmarks compare with (the `python` flavour)."""
    return functions.python_baselines()


@pytest.fixture
def start_function(
    request: pytest.FixtureRequest,
    flavour: str,
    moto: MotoServer,
    contracts: dict[str, FunctionContract],
    tmp_path: Path,
) -> Iterator[StartFunction]:
    """`start_function(name, references)` runs the function with its contract's settings, the
    given reference values (table names, bucket names, secret ARNs) and moto as its AWS."""
    binaries: Path = request.getfixturevalue(f"{flavour}_binaries")
    started: list[Emulator] = []

    def start(name: str, references: dict[str, str]) -> Emulator:
        env = {**functions.function_env(contracts[name], references), **moto.function_env()}
        emulator = Emulator(functions.command(flavour, name, binaries), env, tmp_path / f"{name}.log")
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.close()


@pytest.fixture
def unique() -> str:
    """A suffix that keeps each test's tables, buckets and secrets apart in the shared moto."""
    return uuid.uuid4().hex[:10]
