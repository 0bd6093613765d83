"""Managed Instances releases through numbered versions behind the weighted `live` alias, whatever
the trigger: sqs-processor placed on the capacity provider (its contract's `compute`, edited in a
copy of the project) keeps its SQS event source on the alias and goes through the same canary as
lmi-worker (tests/release/test_prod_canary.py); a plan taken mid-canary shows the alias's weights."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.moto import MotoServer
from model.contract import FunctionContract, load_contracts
from offline.deployed import Deployed
from release.step import ReleaseFailed
from tests.program import copies
from tests.program.plans import Plan, run_plan
from tests.release.world import World

PROD_FUNCTIONS = {
    "http-api": {"memory": 256, "reservedConcurrency": 100},
    "lmi-worker": {"memory": 2048, "logLevel": "WARN", "telemetryExtension": False},
    "sqs-processor": {"memory": 2048},
}


@pytest.fixture(scope="module")
def sqs_on_provider(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Plan]:
    work = tmp_path_factory.mktemp("sqs-on-provider")
    copy = copies.copy_with_edit(work / "repo", copies.SQS_ON_MANAGED_INSTANCES_EDIT)
    plan = run_plan("prod", work, project_dir=copy, extra_config={"rustlambda:functions": PROD_FUNCTIONS})
    return copy, plan


def test_an_sqs_triggered_function_runs_on_the_capacity_provider_with_its_event_source_on_the_alias(
    sqs_on_provider: tuple[Path, Plan],
) -> None:
    _, plan = sqs_on_provider
    function = plan.inputs("sqs-processor-fn-function")
    assert function["publish"] is True and "publishTo" not in function
    assert function["capacityProviderConfig"]["lambdaManagedInstancesCapacityProviderConfig"] == {
        "capacityProviderArn": "arn:aws:lambda:eu-west-1:123456789012:capacity-provider:rustlambda-prod",
        "executionEnvironmentMemoryGibPerVcpu": 2.0,
        "perExecutionEnvironmentMaxConcurrency": 16.0,
    }
    mapping = plan.inputs("sqs-processor-sqs-mapping")
    assert (
        mapping["functionName"] == "arn:aws:lambda:eu-west-1:123456789012:function:rustlambda-prod-sqs-processor:live"
    )
    step = plan.inputs("sqs-processor-release-step")["environment"]
    assert (step["RELEASE_PLACEMENT"], step["RELEASE_STYLE"], step["RELEASE_VERSION"]) == (
        "managed-instances",
        "canary",
        "1",
    )
    # The provider's endpoint admits both functions' tables now.
    endpoint = json.loads(plan.inputs("managed-instances-dynamodb-endpoint")["policy"])
    assert endpoint["Statement"][0]["Resource"] == [
        "arn:aws:dynamodb:eu-west-1:123456789012:table/rustlambda-prod-items",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/rustlambda-prod-orders",
    ]


@pytest.fixture
def world(sqs_on_provider: tuple[Path, Plan], native_binaries: Path, tmp_path: Path) -> Iterator[World]:
    copy, plan = sqs_on_provider
    contracts: dict[str, FunctionContract] = {c.name: c for c in load_contracts(copy / "functions")}
    moto = MotoServer(tmp_path / "moto.log")
    built = World(moto, plan, native_binaries, contracts, tmp_path, ("sqs-processor",))
    try:
        yield built
    finally:
        built.close()
        moto.close()


def test_an_sqs_function_on_managed_instances_releases_through_a_canary_and_rolls_back(world: World) -> None:
    name = world.functions["sqs-processor"].name
    healthy = world.publish("sqs-processor")
    world.settle("sqs-processor", healthy)
    log = world.release("sqs-processor", healthy)
    assert f"scaling config of version {healthy}: 3 to 8 execution environments, applied" in log
    assert world.alias("sqs-processor") == (healthy, {})
    faulty = world.publish("sqs-processor", fault_rate=0.3)
    world.settle("sqs-processor", faulty)
    with pytest.raises(ReleaseFailed, match="stopped: ALARM_ACTIVE"):
        world.release("sqs-processor", faulty)
    assert world.alias("sqs-processor") == (healthy, {})
    scaling = world.lambda_.get_function_scaling_config(FunctionName=name, Qualifier=faulty)
    assert scaling["AppliedFunctionScalingConfig"] == {"MinExecutionEnvironments": 0, "MaxExecutionEnvironments": 8}


def test_a_plan_taken_mid_canary_shows_the_alias_weights_as_aws_has_them(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    deployed = Deployed()
    deployed.set_alias("rustlambda-prod-lmi-worker", "live", "4", {"5": 0.1})
    deployed.write(state)
    plan = run_plan("prod", tmp_path, mode="preview", state=state)
    alias = plan.inputs("lmi-worker-fn-live-alias")
    assert (alias["functionVersion"], alias["routingConfig"]) == ("4", {"additionalVersionWeights": {"5": 0.1}})
