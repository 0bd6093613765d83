"""The dev and prod plans, run once per session."""

from __future__ import annotations

import pytest

from tests.program.plans import Plan, run_plan


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("dev", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_plan("prod", tmp_path_factory.mktemp("prod"))
