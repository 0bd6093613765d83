"""The roles' checks against the dev and prod plans (tests/conftest.py's session fixtures)."""

from __future__ import annotations

import pytest

from tests.ci_access import plan_calls
from tests.ci_access.plan_requests import PlanCalls, stack_scope
from tests.iam.evaluator import describe_actions
from tests.program.plans import Plan


@pytest.fixture(scope="session")
def plans(dev: Plan, prod: Plan) -> dict[str, Plan]:
    return {"dev": dev, "prod": prod}


@pytest.fixture(scope="session")
def known_actions(plans: dict[str, Plan]) -> set[str]:
    """The actions AWS's database knows, among those the schemas list for the plans' types."""
    types = {r["type"] for p in plans.values() for r in PlanCalls(p, stack_scope("dev")[0]).resources()}
    info = describe_actions(sorted(plan_calls.all_schema_actions(types)))
    return {name for name, i in info.items() if i.exists}
