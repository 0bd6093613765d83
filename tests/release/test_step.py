"""The release step's rules, each against the emulators (tests/release/world.py) and the program's
own plans: the pre-traffic check moves no alarm; a version that cannot start gets no traffic;
provisioned concurrency is READY before traffic moves; one deployment per group; the step's own
timeout stops its deployment with a rollback; an interrupted shift is refused; a retry is one
config key; `scripts/release` as `pulumi up` runs it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.moto import CREDENTIALS, REGION, MotoServer
from model.contract import FunctionContract
from offline.engine import REPO_ROOT
from release import pretraffic
from release.step import ReleaseFailed, appspec
from tests.program.plans import Plan
from tests.release.world import World, client

CRATES = ("http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor")


def world_of(
    plan: Plan, binaries: Path, contracts: dict[str, FunctionContract], tmp: Path, crates: tuple[str, ...]
) -> Iterator[World]:
    moto = MotoServer(tmp / "moto.log")
    built = World(moto, plan, binaries, contracts, tmp, crates)
    try:
        yield built
    finally:
        built.close()
        moto.close()


@pytest.fixture
def prod_world(
    prod: Plan, native_binaries: Path, contracts: dict[str, FunctionContract], tmp_path: Path
) -> Iterator[World]:
    yield from world_of(prod, native_binaries, contracts, tmp_path, CRATES)


@pytest.fixture
def dev_world(
    dev: Plan, native_binaries: Path, contracts: dict[str, FunctionContract], tmp_path: Path
) -> Iterator[World]:
    yield from world_of(dev, native_binaries, contracts, tmp_path, ("sqs-processor", "http-api"))


def test_the_pre_traffic_check_of_every_function_answers_without_error_and_moves_no_alarm(prod_world: World) -> None:
    for crate in CRATES:
        function = prod_world.functions[crate]
        version = prod_world.publish(crate)
        prod_world.settle(crate, version)
        # A Managed Instances version is Pending until its execution environments run (the step waits).
        prod_world.clock.advance(120)
        pretraffic.check_version(prod_world.lambda_, crate, function.name, version)
        # Three minutes: every alarm of the function evaluates over the probe's minute.
        prod_world.clock.advance(180)
        assert [change for change in prod_world.alarm_history(crate) if change[1] == "ALARM"] == []
        # The probe counted under the version's own Resource, never under the alias.
        store = prod_world.cloud.store
        by_version = {"FunctionName": function.name, "Resource": f"{function.name}:{version}"}
        end = prod_world.clock.now()
        assert (store.statistic("AWS/Lambda", "Invocations", by_version, "Sum", end - 600, end) or 0) >= 1
        assert store.statistic("AWS/Lambda", "Errors", by_version, "Sum", end - 600, end) == 0
        through_alias = {"FunctionName": function.name, "Resource": f"{function.name}:live"}
        assert store.statistic("AWS/Lambda", "Invocations", through_alias, "Sum", end - 600, end) is None


def test_a_version_that_cannot_start_never_gets_traffic(dev_world: World) -> None:
    name = dev_world.functions["sqs-processor"].name
    broken = dev_world.publish("sqs-processor", starts=False)
    with pytest.raises(ReleaseFailed) as failure:
        dev_world.release("sqs-processor", broken)
    assert str(failure.value).startswith(
        f"version {broken} of {name} did not start or answer: Runtime.ExitError: RequestId: "
    )
    assert str(failure.value).endswith(f"; {name}:live stays on version 1. Fix the function and run `pulumi up` again")
    assert dev_world.alias("sqs-processor") == ("1", {})


def test_all_at_once_moves_the_alias_after_the_checks_and_nothing_moves_when_it_already_serves(
    dev_world: World,
) -> None:
    name = dev_world.functions["http-api"].name
    target = dev_world.publish("http-api")
    log = dev_world.release("http-api", target)
    assert log == [
        f"pre-traffic check passed: version {target} of {name} started and answered",
        f"{name}:live now serves version {target} (was 1)",
    ]
    assert dev_world.alias("http-api") == (target, {})
    assert dev_world.release("http-api", target) == [f"{name}:live already serves version {target}"]


def test_provisioned_concurrency_is_ready_on_the_new_version_before_the_alias_moves(dev_world: World) -> None:
    name = dev_world.functions["http-api"].name
    target = dev_world.publish("http-api")
    seen: list[tuple[str, Any]] = []
    update_alias = dev_world.lambda_.update_alias

    def watched(**kwargs: Any) -> Any:
        config = dev_world.lambda_.get_provisioned_concurrency_config(FunctionName=name, Qualifier=target)
        seen.append((str(kwargs["FunctionVersion"]), config["Status"]))
        return update_alias(**kwargs)

    dev_world.lambda_.update_alias = watched
    log = dev_world.release("http-api", target, RELEASE_PROVISIONED_CONCURRENCY="2")
    assert seen == [(target, "READY")]
    assert f"provisioned concurrency of version {target}: 2, READY" in log
    # Version 1 no longer serves: its allocation is released.
    configs = dev_world.lambda_.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in configs] == [target]


def test_the_step_refuses_to_start_while_a_deployment_of_the_group_is_active(prod_world: World) -> None:
    crate = "sqs-processor"
    name = prod_world.functions[crate].name
    first = prod_world.publish(crate)
    codedeploy = client("codedeploy", prod_world.codedeploy.url)
    content = appspec(prod_world.request(crate, first), "1")
    running = codedeploy.create_deployment(
        applicationName="rustlambda-prod",
        deploymentGroupName=name,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    )["deploymentId"]
    second = prod_world.publish(crate)
    with pytest.raises(ReleaseFailed) as failure:
        prod_world.release(crate, second)
    assert str(failure.value) == (
        f"CodeDeploy deployment {running} of {name} is still InProgress (version {first}); CodeDeploy runs one "
        f"deployment per group at a time: wait for it, or stop it (aws deploy stop-deployment --deployment-id "
        f"{running} --auto-rollback-enabled), then run `pulumi up` again"
    )


def test_on_its_own_timeout_the_step_stops_its_deployment_with_a_rollback(prod_world: World) -> None:
    crate = "http-api"
    name = prod_world.functions[crate].name
    target = prod_world.publish(crate)
    prod_world.settle(crate, target)
    # A 30-minute canary while the step expects 5: it gives up after 5 + 10 minutes.
    with pytest.raises(ReleaseFailed) as failure:
        prod_world.release(crate, target, RELEASE_DEPLOYMENT_CONFIG="CodeDeployDefault.LambdaCanary10Percent30Minutes")
    deployment = next(d for d in prod_world.codedeploy.deployments.values() if d.target == target)
    assert (deployment.status, (deployment.error or {}).get("code")) == ("Stopped", "MANUAL_STOP")
    rollback = prod_world.codedeploy.deployments[deployment.rollback_info["rollbackDeploymentId"]]
    assert rollback.status == "Succeeded"
    assert f"{name}:live is on version 1" in str(failure.value)
    assert prod_world.alias(crate) == ("1", {})
    assert not any(d.active for d in prod_world.codedeploy.deployments.values()), "the group is free again"


def test_weights_left_by_an_interrupted_shift_are_refused(dev_world: World) -> None:
    name = dev_world.functions["http-api"].name
    target = dev_world.publish("http-api")
    dev_world.control.update_alias(
        FunctionName=name, Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {target: 0.1}}
    )
    with pytest.raises(ReleaseFailed, match=rf"{name}:live routes \{{'{target}': 0.1\}} beside version 1"):
        dev_world.release("http-api", target)


def test_retry_version_releases_a_rejected_version_once_more(prod_world: World) -> None:
    crate = "sqs-processor"
    faulty = prod_world.publish(crate, fault_rate=0.3)
    prod_world.settle(crate, faulty)
    with pytest.raises(ReleaseFailed):
        prod_world.release(crate, faulty)
    tries = len([d for d in prod_world.codedeploy.deployments.values() if d.target == faulty])
    with pytest.raises(ReleaseFailed, match="was rolled back by CodeDeploy"):
        prod_world.release(crate, faulty)
    # Right after the rollback the alarms are still up: no shift starts under them.
    prod_world.refault(crate, faulty, 0.3)
    with pytest.raises(ReleaseFailed, match=r"-new-version-errors of .* are in ALARM: no traffic moved to version"):
        prod_world.release(crate, faulty, RELEASE_RETRY_VERSION=faulty)
    prod_world.clock.advance(300)
    prod_world.refault(crate, faulty, 0.3)
    with pytest.raises(ReleaseFailed, match="stopped: ALARM_ACTIVE"):
        prod_world.release(crate, faulty, RELEASE_RETRY_VERSION=faulty)
    assert len([d for d in prod_world.codedeploy.deployments.values() if d.target == faulty]) == tries + 1


def test_scripts_release_exits_non_zero_with_the_reason_as_pulumi_up_runs_it(prod_world: World) -> None:
    """Its settings in RELEASE_* (the prod plan's), AWS's endpoints and credentials in the environment;
    emulated time runs at 120 s a second meanwhile, with callers' traffic through the alias."""
    crate = "sqs-processor"
    bad = prod_world.publish(crate, fault_rate=0.3)
    prod_world.settle(crate, bad)
    prod_world.traffic_to.add(crate)
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL_LAMBDA": prod_world.api.url,
        "AWS_ENDPOINT_URL_CODEDEPLOY": prod_world.codedeploy.url,
        "AWS_ENDPOINT_URL_CLOUDWATCH": prod_world.moto.url,
        **prod_world.functions[crate].step_env,
        "RELEASE_VERSION": bad,
        # The emulated account's region (the plan's is eu-west-1; moto keeps resources per region).
        "RELEASE_REGION": REGION,
        "RELEASE_POLL_SECONDS": "5",
    }
    with prod_world.clock.running(factor=120):
        completed = subprocess.run(
            [str(REPO_ROOT / "scripts" / "release")], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.startswith("release failed: CodeDeploy deployment d-")
    assert "stopped: ALARM_ACTIVE: " in completed.stderr
    assert f"<{prod_world.functions[crate].name}-new-version-errors>" in completed.stderr
    assert "pre-traffic check passed" in completed.stdout
    assert prod_world.alias(crate) == ("1", {})


def test_scripts_release_names_a_missing_setting() -> None:
    completed = subprocess.run(
        [str(REPO_ROOT / "scripts" / "release")],
        env={k: v for k, v in os.environ.items() if not k.startswith("RELEASE_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (completed.returncode, completed.stderr) == (
        1,
        "release failed: the release step needs RELEASE_STYLE (set by components/release.py)\n",
    )
