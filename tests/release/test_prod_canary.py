"""A prod canary of every function, through the emulators (tests/release/world.py), with the
alarms, deployment groups and release settings of the program's own prod plan:

1. a healthy new version: the pre-traffic check passes and moves no alarm, CodeDeploy shifts 10%,
   then all of it, and the callers' traffic never raises an alarm;
2. a new version that fails a share of its invocations (after the probe and the smoke check): the
   new-version alarm fires and CodeDeploy rolls back inside the canary's five minutes; the step
   reports after the rollback deployment, with CodeDeploy's reason and where the alias is;
3. the next `up` of that version fails at once with the version, when and why, and runs nothing;
4. the fixed version deploys cleanly, and versions beyond the retention are deleted (on Managed
   Instances, the versions that no longer serve keep no execution environment).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.moto import MotoServer
from model.contract import FunctionContract
from release.step import ReleaseFailed
from tests.program.plans import Plan
from tests.release.world import World

CRATES = ("http-api", "lmi-worker", "s3-processor", "scheduled-job", "sqs-processor")
CANARY_S = 5 * 60


@pytest.fixture
def world(prod: Plan, native_binaries: Path, contracts: dict[str, FunctionContract], tmp_path: Path) -> Iterator[World]:
    moto = MotoServer(tmp_path / "moto.log")
    built = World(moto, prod, native_binaries, contracts, tmp_path, CRATES)
    try:
        yield built
    finally:
        built.close()
        moto.close()


@pytest.mark.parametrize("crate", CRATES)
def test_a_prod_canary_releases_rolls_back_refuses_the_rejected_version_and_releases_the_fix(
    world: World, crate: str
) -> None:
    name = world.functions[crate].name
    group = world.codedeploy.groups[("rustlambda-prod", name)]
    assert group.deployment_config == "CodeDeployDefault.LambdaCanary10Percent5Minutes"

    # 1. A healthy version: no alarm of the function ever leaves OK/INSUFFICIENT_DATA.
    healthy = world.publish(crate)
    world.settle(crate, healthy)
    log = world.release(crate, healthy)
    assert f"pre-traffic check passed: version {healthy} of {name} started and answered" in log
    assert log[-1].startswith(f"{name}:live now serves version {healthy}") or any(
        line == f"{name}:live now serves version {healthy}" for line in log
    )
    assert world.alias(crate) == (healthy, {})
    assert [state for _, state in world.alarm_history(crate) if state == "ALARM"] == []
    served = {version for c, version, error in world.invocations if c == crate and error is None}
    assert {"1", healthy} <= served, "the canary's traffic reached both versions"

    # 2. A version that fails 30% of its invocations (the first three pass: the pre-traffic check
    # succeeds): rolled back inside the canary.
    faulty = world.publish(crate, fault_rate=0.3)
    world.settle(crate, faulty)
    with pytest.raises(ReleaseFailed) as failure:
        world.release(crate, faulty)
    deployment = next(d for d in world.codedeploy.deployments.values() if d.target == faulty and not d.is_rollback)
    assert deployment.status == "Stopped"
    assert deployment.error is not None and deployment.error["code"] == "ALARM_ACTIVE"
    assert f"<{name}-new-version-errors>" in deployment.error["message"]
    assert deployment.start_time is not None and deployment.complete_time is not None
    assert deployment.complete_time - deployment.start_time < CANARY_S, "stopped inside the canary's interval"
    rollback = world.codedeploy.deployments[deployment.rollback_info["rollbackDeploymentId"]]
    assert rollback.status == "Succeeded", "the step reports once CodeDeploy's rollback deployment is done"
    message = str(failure.value)
    assert message.startswith(f"CodeDeploy deployment {deployment.deployment_id} of {name} stopped: ALARM_ACTIVE: ")
    assert message.endswith(
        f"rollback deployment {rollback.deployment_id} succeeded; {name}:live is on version {healthy}; fix the "
        "function and run `pulumi up` again"
    )
    assert world.alias(crate) == (healthy, {})

    # 3. The next `up` of the same version: refused at once, nothing invoked or deployed.
    deployments, invocations = len(world.codedeploy.deployments), len(world.invocations)
    with pytest.raises(ReleaseFailed) as refused:
        world.release(crate, faulty)
    assert str(refused.value).startswith(
        f"version {faulty} of {name} was rolled back by CodeDeploy deployment {deployment.deployment_id} at "
    )
    assert "ALARM_ACTIVE: One or more alarms have been activated" in str(refused.value)
    assert str(refused.value).endswith(
        f"set functions.{crate}.retryVersion to {faulty} to release this version once more"
    )
    assert (len(world.codedeploy.deployments), len(world.invocations)) == (deployments, invocations)

    # 4. The fixed version deploys cleanly; the retention (2 besides the live one) deletes version 1.
    # The fix arrives minutes later (CI, review): by then the alarms are OK again (the step refuses
    # to shift traffic while any of them is in ALARM).
    world.clock.advance(300)
    fixed = world.publish(crate)
    world.settle(crate, fixed)
    log = world.release(crate, fixed)
    assert world.alias(crate) == (fixed, {})
    assert f"deleted versions 1 of {name} (retention: live + 2)" in log
    versions = [v["Version"] for v in world.control.list_versions_by_function(FunctionName=name)["Versions"]]
    assert sorted(v for v in versions if v.isdigit()) == sorted([healthy, faulty, fixed])
    if world.functions[crate].step_env["RELEASE_PLACEMENT"] == "managed-instances":
        scaling = {
            version: world.lambda_.get_function_scaling_config(FunctionName=name, Qualifier=version)
            for version in (healthy, faulty, fixed)
        }
        applied = {v: s.get("AppliedFunctionScalingConfig") for v, s in scaling.items()}
        assert applied == {
            healthy: {"MinExecutionEnvironments": 0, "MaxExecutionEnvironments": 8},
            faulty: {"MinExecutionEnvironments": 0, "MaxExecutionEnvironments": 8},
            fixed: {"MinExecutionEnvironments": 3, "MaxExecutionEnvironments": 8},
        }
