"""harness/codedeploy.py: CodeDeploy's Lambda deployments on emulated time: traffic shifts by the
deployment configuration, one active deployment per group, the AppSpec checked against the alias,
alarms stop a deployment and a rollback is a deployment of its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.clock import VirtualClock
from harness.cloudwatch import ALARM, LAMBDA_NAMESPACE
from harness.codedeploy import CodeDeployLifecycle
from harness.emulator import Emulator
from harness.lambda_api import LambdaApi
from harness.moto import MotoServer
from tests.harness.conftest import World, client, code, error_of
from tests.harness.test_cloudwatch import errors_alarm

APPLICATION = "rl-prod"
CANARY = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
ROLLBACK_ON = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
INVALID = (
    "The deployment failed because the AppSpec file that specifies the AWS Lambda deployment configuration is "
    "missing or has an invalid configuration."
)


def appspec(function: str, current: str, target: str) -> str:
    """As release/step.py writes it."""
    properties = {"Name": function, "Alias": "live", "CurrentVersion": current, "TargetVersion": target}
    resource = {"Type": "AWS::Lambda::Function", "Properties": properties}
    return json.dumps({"version": 0.0, "Resources": [{"fn": resource}]}, sort_keys=True)


def epoch(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


class Stage:
    """One function (versions 1, 2, 3; `live` on 1), its deployment group, and CodeDeploy's API."""

    def __init__(self, moto: MotoServer, codedeploy: CodeDeployLifecycle, clock: VirtualClock, name: str) -> None:
        self.moto, self.codedeploy, self.clock, self.name = moto, codedeploy, clock, name
        self.api = client("codedeploy", codedeploy.url)

    def alias(self) -> tuple[str, dict[str, float]]:
        found = self.moto.client("lambda").get_alias(FunctionName=self.name, Name="live")
        return str(found["FunctionVersion"]), (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}

    def deploy(self, current: str = "1", target: str = "2", config: str | None = None) -> str:
        content = appspec(self.name, current, target)
        args: dict[str, Any] = {
            "applicationName": APPLICATION,
            "deploymentGroupName": self.name,
            "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
        }
        if config is not None:
            args["deploymentConfigName"] = config
        return str(self.api.create_deployment(**args)["deploymentId"])

    def info(self, deployment_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return found

    def status(self, deployment_id: str) -> str:
        return str(self.info(deployment_id)["status"])


@pytest.fixture
def codedeploy(moto: MotoServer, world: World) -> Iterator[CodeDeployLifecycle]:
    lifecycle = CodeDeployLifecycle(moto.client("lambda"), world.clock, world.alarms)
    yield lifecycle
    lifecycle.close()


@pytest.fixture
def stage(
    moto: MotoServer,
    codedeploy: CodeDeployLifecycle,
    world: World,
    create_function: Callable[[str], None],
    function_name: str,
) -> Stage:
    create_function(function_name)
    for marker in ("2", "3"):
        moto.client("lambda").update_function_code(FunctionName=function_name, ZipFile=code(marker), Publish=True)
    alias_errors = {"FunctionName": function_name, "Resource": f"{function_name}:live"}
    world.alarms.add(errors_alarm(f"{function_name}-live-errors", alias_errors))
    codedeploy.register_group(APPLICATION, function_name, CANARY, [f"{function_name}-live-errors"], ROLLBACK_ON)
    return Stage(moto, codedeploy, world.clock, function_name)


def alias_error(world: World, stage: Stage, version: str) -> None:
    """One failed invocation through the alias that ran `version`, now."""
    world.metrics.record_invocation(stage.name, f"{stage.name}:live", version, 5.0, True, world.clock.now())


# -- traffic shifting -------------------------------------------------------------------------------


def test_a_canary_shifts_ten_percent_then_the_rest_one_interval_later(stage: Stage, world: World) -> None:
    started = world.clock.now()
    deployment = stage.deploy()
    assert stage.status(deployment) == "InProgress"
    assert stage.alias() == ("1", {"2": 0.1})
    world.clock.advance(299)
    assert (stage.status(deployment), stage.alias()) == ("InProgress", ("1", {"2": 0.1}))
    world.clock.advance(1)
    info = stage.info(deployment)
    assert stage.alias() == ("2", {})
    content = appspec(stage.name, "1", "2")
    assert info == {
        "deploymentId": deployment,
        "applicationName": APPLICATION,
        "deploymentGroupName": stage.name,
        "deploymentConfigName": CANARY,
        "status": "Succeeded",
        "creator": "user",
        "description": "",
        "createTime": epoch(started),
        "startTime": epoch(started),
        "completeTime": epoch(started + 300),
        "computePlatform": "Lambda",
        "revision": {
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": content, "sha256": info["revision"]["appSpecContent"]["sha256"]},
        },
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    }


def test_a_linear_deployment_adds_ten_percent_each_interval(stage: Stage, world: World) -> None:
    deployment = stage.deploy(config="CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
    weights = []
    for _ in range(9):
        assert stage.status(deployment) == "InProgress"
        weights.append(stage.alias()[1]["2"])
        world.clock.advance(60)
    assert weights == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert (stage.status(deployment), stage.alias()) == ("Succeeded", ("2", {}))


def test_all_at_once_moves_everything_when_it_starts(stage: Stage) -> None:
    deployment = stage.deploy(config="CodeDeployDefault.LambdaAllAtOnce")
    assert (stage.status(deployment), stage.alias()) == ("Succeeded", ("2", {}))


# -- the rules a release relies on ------------------------------------------------------------------


def test_a_group_holds_one_active_deployment(stage: Stage, world: World) -> None:
    first = stage.deploy()
    assert error_of(lambda: stage.deploy("1", "3")) == (
        "DeploymentLimitExceededException",
        f"The Deployment Group '{stage.name}' already has an active Deployment '{first}'",
    )
    world.clock.advance(300)
    assert stage.status(first) == "Succeeded"
    second = stage.deploy("2", "3")
    assert stage.status(second) == "InProgress"


@pytest.mark.parametrize(
    ("current", "target", "reason"),
    [
        ("2", "3", " The Lambda function alias version does not match the current version in AppSpec file."),
        ("1", "9", " The target version 9 of {name} does not exist."),
        ("1", "1", ""),
    ],
)
def test_an_appspec_that_does_not_fit_the_alias_fails_the_deployment(
    stage: Stage, current: str, target: str, reason: str
) -> None:
    deployment = stage.deploy(current, target)
    info = stage.info(deployment)
    assert (info["status"], info["errorInformation"]) == (
        "Failed",
        {"code": "INVALID_LAMBDA_CONFIGURATION", "message": INVALID + reason.format(name=stage.name)},
    )
    assert stage.alias() == ("1", {})


def test_an_alias_with_weights_is_not_where_a_deployment_starts(stage: Stage) -> None:
    stage.moto.client("lambda").update_alias(
        FunctionName=stage.name,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"3": 0.5}},
    )
    info = stage.info(stage.deploy())
    assert info["errorInformation"]["message"] == (
        f"{INVALID} The Lambda function alias already routes traffic to versions ['3']."
    )


def test_an_alarm_stops_the_canary_and_a_separate_deployment_rolls_it_back(stage: Stage, world: World) -> None:
    started = world.clock.now()
    deployment = stage.deploy()
    assert (stage.status(deployment), stage.alias()) == ("InProgress", ("1", {"2": 0.1}))
    world.clock.advance(10)
    alias_error(world, stage, "2")
    world.clock.advance(50)  # the minute ends: the alarm sees the error
    info = stage.info(deployment)
    assert (info["status"], info["completeTime"], info["errorInformation"]) == (
        "Stopped",
        epoch(started + 60),
        {
            "code": "ALARM_ACTIVE",
            "message": "One or more alarms have been activated according to the Amazon CloudWatch metrics you "
            f"selected, and the affected deployments have been stopped. Activated alarms: <{stage.name}-live-errors>",
        },
    )
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    assert rollback != deployment
    assert info["rollbackInfo"]["rollbackMessage"] == f"Rollback deployment {rollback} in progress"
    rolled = stage.info(rollback)
    assert (rolled["status"], rolled["creator"], rolled["rollbackInfo"]["rollbackTriggeringDeploymentId"]) == (
        "InProgress",
        "codeDeployRollback",
        deployment,
    )
    assert json.loads(rolled["revision"]["appSpecContent"]["content"])["Resources"][0]["fn"]["Properties"] == {
        "Name": stage.name,
        "Alias": "live",
        "CurrentVersion": "2",
        "TargetVersion": "1",
    }
    assert stage.alias() == ("1", {})  # all traffic back at once
    # The rollback is the group's active deployment until it finishes.
    assert error_of(lambda: stage.deploy("1", "3"))[1].endswith(f"already has an active Deployment '{rollback}'")
    world.clock.advance(60)
    assert stage.status(rollback) == "Succeeded"
    assert stage.info(deployment)["rollbackInfo"]["rollbackMessage"].startswith(
        f"Rollback deployment {rollback} succeeded at "
    )
    assert stage.api.list_deployments(applicationName=APPLICATION, deploymentGroupName=stage.name)["deployments"] == [
        rollback,
        deployment,
    ]


def test_an_alarm_already_in_alarm_stops_the_deployment_before_any_traffic_moves(stage: Stage, world: World) -> None:
    alias_error(world, stage, "1")
    world.clock.advance(60)
    assert world.alarms.evaluate(world.clock.now())[f"{stage.name}-live-errors"] == ALARM
    moved: list[dict[str, float]] = []
    world.clock.on_advance(lambda _: moved.append(stage.alias()[1]))
    deployment = stage.deploy()
    world.clock.advance(1)
    assert stage.info(deployment)["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert moved == [{}]
    assert stage.alias() == ("1", {})


def test_without_the_stop_on_alarm_event_a_stopped_canary_keeps_its_weights(
    stage: Stage, world: World, codedeploy: CodeDeployLifecycle
) -> None:
    codedeploy.register_group(APPLICATION, stage.name, CANARY, [f"{stage.name}-live-errors"], [])
    deployment = stage.deploy()
    alias_error(world, stage, "2")
    world.clock.advance(60)
    info = stage.info(deployment)
    assert (info["status"], "rollbackInfo" in info) == ("Stopped", False)
    assert stage.alias() == ("1", {"2": 0.1})


def test_a_disabled_alarm_configuration_lets_the_canary_finish(
    stage: Stage, world: World, codedeploy: CodeDeployLifecycle
) -> None:
    codedeploy.register_group(
        APPLICATION, stage.name, CANARY, [f"{stage.name}-live-errors"], ROLLBACK_ON, alarms_enabled=False
    )
    deployment = stage.deploy()
    alias_error(world, stage, "2")
    world.clock.advance(300)
    assert stage.status(deployment) == "Succeeded"


def test_an_alarm_cloudwatch_does_not_know_stops_the_deployment(stage: Stage, codedeploy: CodeDeployLifecycle) -> None:
    codedeploy.register_group(APPLICATION, stage.name, CANARY, ["no-such-alarm"], ROLLBACK_ON)
    info = stage.info(stage.deploy())
    assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "INTERNAL_ERROR")
    assert info["errorInformation"]["message"].startswith(
        "The deployment was stopped: the state of alarm(s) no-such-alarm could not be retrieved"
    )


def test_stop_deployment_rolls_back_when_asked(stage: Stage, world: World) -> None:
    deployment = stage.deploy()
    assert (stage.status(deployment), stage.alias()) == ("InProgress", ("1", {"2": 0.1}))
    stopped = stage.api.stop_deployment(deploymentId=deployment, autoRollbackEnabled=True)
    assert stopped["status"] == "Succeeded"
    info = stage.info(deployment)
    assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "MANUAL_STOP")
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    assert stage.info(rollback)["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment
    assert stage.alias() == ("1", {})
    assert error_of(lambda: stage.api.stop_deployment(deploymentId=deployment)) == (
        "DeploymentAlreadyCompletedException",
        f"The deployment {deployment} has already completed.",
    )


def test_stop_deployment_without_rollback_leaves_the_alias_as_it_was(stage: Stage) -> None:
    deployment = stage.deploy()
    assert stage.status(deployment) == "InProgress"
    stage.api.stop_deployment(deploymentId=deployment, autoRollbackEnabled=False)
    info = stage.info(deployment)
    assert (info["status"], "rollbackInfo" in info) == ("Stopped", False)
    assert stage.alias() == ("1", {"2": 0.1})


def test_list_deployments_filters_by_status_and_creation_time(stage: Stage, world: World) -> None:
    first = stage.deploy(config="CodeDeployDefault.LambdaAllAtOnce")
    assert stage.status(first) == "Succeeded"
    world.clock.advance(100)
    second = stage.deploy("2", "3")
    listed = stage.api.list_deployments(
        applicationName=APPLICATION, deploymentGroupName=stage.name, includeOnlyStatuses=["InProgress"]
    )
    assert listed["deployments"] == [second]
    window = {"start": epoch(world.clock.now() - 50), "end": epoch(world.clock.now())}
    assert stage.api.list_deployments(
        applicationName=APPLICATION, deploymentGroupName=stage.name, createTimeRange=window
    )["deployments"] == [second]
    assert stage.api.list_deployments(applicationName=APPLICATION, deploymentGroupName=stage.name)["deployments"] == [
        second,
        first,
    ]


# -- the API ---------------------------------------------------------------------------------------


def test_groups_come_from_the_programs_registrations(codedeploy: CodeDeployLifecycle) -> None:
    registration = {
        "type": "aws:codedeploy/deploymentGroup:DeploymentGroup",
        "name": "sqs-processor-release-group",
        "inputs": {
            "appName": "rl-prod",
            "deploymentGroupName": "rl-prod-sqs-processor",
            "serviceRoleArn": "arn:aws:iam::123456789012:role/rl-prod-codedeploy",
            "deploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent10Minutes",
            "deploymentStyle": {"deploymentOption": "WITH_TRAFFIC_CONTROL", "deploymentType": "BLUE_GREEN"},
            "autoRollbackConfiguration": {"enabled": True, "events": ROLLBACK_ON},
            "alarmConfiguration": {"enabled": True, "alarms": ["rl-prod-sqs-processor-errors"]},
        },
    }
    (group,) = codedeploy.add_from_plan([registration, {"type": "aws:sns/topic:Topic", "name": "t", "inputs": {}}])
    assert (group.application, group.name, group.deployment_config) == (
        "rl-prod",
        "rl-prod-sqs-processor",
        "CodeDeployDefault.LambdaCanary10Percent10Minutes",
    )
    assert (group.alarms, group.alarms_enabled, group.rollback_events) == (
        ["rl-prod-sqs-processor-errors"],
        True,
        ROLLBACK_ON,
    )


def test_the_api_names_what_it_cannot_find_or_serve(stage: Stage) -> None:
    api = stage.api
    revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec(stage.name, "1", "2")}}
    assert error_of(
        lambda: api.create_deployment(applicationName=APPLICATION, deploymentGroupName="nope", revision=revision)
    ) == ("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: nope")
    assert error_of(
        lambda: api.create_deployment(applicationName="no-app", deploymentGroupName=stage.name, revision=revision)
    ) == ("ApplicationDoesNotExistException", "No application found for name: no-app")
    assert error_of(lambda: stage.deploy(config="CodeDeployDefault.OneAtATime")) == (
        "DeploymentConfigDoesNotExistException",
        "No deployment configuration found for name: CodeDeployDefault.OneAtATime",
    )
    assert error_of(lambda: api.get_deployment(deploymentId="d-NOPE")) == (
        "DeploymentDoesNotExistException",
        "The deployment d-NOPE could not be found.",
    )
    assert error_of(lambda: api.list_applications())[0] == "UnknownOperationException"


# -- through the Lambda API --------------------------------------------------------------------------


def test_a_new_version_that_fails_part_of_its_traffic_is_rolled_back_inside_the_canary_interval(
    stage: Stage, world: World, moto: MotoServer, stand_in: Callable[[str], Emulator]
) -> None:
    """Traffic through the alias (one invocation per emulated second) reaches the new version by the
    canary's weight; its injected faults publish Errors under the alias; the alarm stops the canary."""
    api = LambdaApi({}, control_plane=moto.url, clock=world.clock, metrics=world.metrics, seed=3)
    try:
        api.add_version(stage.name, "1", stand_in("1"))
        api.add_version(stage.name, "2", None, fault_rate=1.0)
        invoker = client("lambda", api.url)
        world.clock.on_advance(lambda _: invoker.invoke(FunctionName=stage.name, Qualifier="live", Payload=b"{}"))
        started = world.clock.now()
        deployment = stage.deploy()
        for _ in range(30):  # at most 300 s: the canary's interval
            world.clock.advance(10)
            if stage.status(deployment) != "InProgress":
                break
        info = stage.info(deployment)
        assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "ALARM_ACTIVE")
        assert info["completeTime"] < epoch(started + 300)
        minute = (started, started + 60)
        errors = world.store.statistic(
            LAMBDA_NAMESPACE,
            "Errors",
            {"FunctionName": stage.name, "Resource": f"{stage.name}:live", "ExecutedVersion": "2"},
            "Sum",
            *minute,
        )
        assert errors is not None and errors >= 1
        assert stage.alias() == ("1", {})
    finally:
        api.close()
