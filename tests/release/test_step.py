"""The release step against Lambda as a client sees it: moto for versions and aliases, the real
sqs-processor binary (native build) under aws-lambda-rie for every version, both behind one
endpoint (harness/lambda_api.py), and CodeDeploy's Lambda deployments played by
harness/codedeploy.py on emulated time (harness/clock.py), stopped by an alarm that
harness/cloudwatch.py evaluates from the invocations' metrics."""

from __future__ import annotations

import io
import json
import os
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from harness import functions
from harness.clock import VirtualClock
from harness.cloudwatch import AlarmDefinition
from harness.codedeploy import CodeDeployLifecycle
from harness.emulated import EmulatedCloud
from harness.emulator import Emulator
from harness.lambda_api import LambdaApi
from harness.moto import CREDENTIALS, REGION, MotoServer
from model.contract import FunctionContract
from offline.engine import REPO_ROOT
from release.step import ReleaseFailed, Request, release

ALARM = "rustlambda-dev-sqs-processor-errors"


@pytest.fixture
def emulated(moto: MotoServer) -> EmulatedCloud:
    """Emulated time and CloudWatch, shared by the Lambda and CodeDeploy emulators."""
    return EmulatedCloud.on(moto)


@dataclass
class Stage:
    """One function in moto with its versions and its live alias, its binary behind the API."""

    name: str
    api: LambdaApi
    control: Any  # boto3 Lambda client of moto itself
    client: Any  # boto3 Lambda client of the API (moto + the function)
    emulator: Emulator

    def alias(self) -> tuple[str, dict[str, float]]:
        found = self.control.get_alias(FunctionName=self.name, Name="live")
        return str(found["FunctionVersion"]), (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}

    def publish(self, fault_rate: float = 0.0) -> str:
        """A new version (new code bytes, as a changed build would publish), run by the binary; a
        fault rate makes that share of its invocations fail."""
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr("bootstrap", uuid.uuid4().hex)
        version = str(
            self.control.update_function_code(FunctionName=self.name, ZipFile=zipped.getvalue(), Publish=True)[
                "Version"
            ]
        )
        self.api.add_version(self.name, version, self.emulator, fault_rate)
        return version

    def traffic(self, clock: VirtualClock) -> None:
        """One invocation through the alias per emulated second, as callers would send."""
        batch = b'{"Records": []}'  # an SQS batch sqs-processor answers without error
        clock.on_advance(lambda _: self.client.invoke(FunctionName=self.name, Qualifier="live", Payload=batch))


def client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def stage(moto: MotoServer, emulator: Emulator, emulated: EmulatedCloud) -> Iterator[Stage]:
    name = f"rustlambda-dev-sqs-processor-{uuid.uuid4().hex[:8]}"
    role = moto.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    control = moto.client("lambda")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("bootstrap", "first")
    control.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=role,
        Handler="bootstrap",
        Code={"ZipFile": zipped.getvalue()},
        Publish=True,
    )
    control.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    api = LambdaApi(
        {name: emulator}, timeout=30, control_plane=moto.url, clock=emulated.clock, metrics=emulated.metrics
    )
    api.add_version(name, "1", emulator)
    try:
        yield Stage(name, api, control, client("lambda", api.url), emulator)
    finally:
        api.close()


@pytest.fixture
def healthy(
    moto: MotoServer,
    native_binaries: Path,
    contracts: dict[str, FunctionContract],
    tmp_path: Path,
    emulated: EmulatedCloud,
) -> Iterator[Stage]:
    env = {**functions.function_env(contracts["sqs-processor"], {"ORDERS_TABLE": "orders"}), **moto.function_env()}
    emulator = Emulator(functions.command("native", "sqs-processor", native_binaries), env, tmp_path / "fn.log")
    try:
        yield from stage(moto, emulator, emulated)
    finally:
        emulator.close()


@pytest.fixture
def broken(moto: MotoServer, native_binaries: Path, tmp_path: Path, emulated: EmulatedCloud) -> Iterator[Stage]:
    """The function without the env its init needs: a version that cannot start."""
    emulator = Emulator(
        functions.command("native", "sqs-processor", native_binaries), moto.function_env(), tmp_path / "fn.log"
    )
    try:
        yield from stage(moto, emulator, emulated)
    finally:
        emulator.close()


@pytest.fixture
def codedeploy(moto: MotoServer, emulated: EmulatedCloud, healthy: Stage) -> Iterator[CodeDeployLifecycle]:
    """CodeDeploy with the function's deployment group, whose rollback alarm watches the errors of
    the traffic through the alias (one minute, one datapoint)."""
    lifecycle = CodeDeployLifecycle(moto.client("lambda"), emulated.clock, emulated.alarms)
    emulated.alarms.add(
        AlarmDefinition(
            name=ALARM,
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions={"FunctionName": healthy.name, "Resource": f"{healthy.name}:live"},
            statistic="Sum",
            period=60,
            evaluation_periods=1,
            threshold=1.0,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
        )
    )
    lifecycle.register_group(
        "rustlambda-dev",
        healthy.name,
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        [ALARM],
        ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
    )
    try:
        yield lifecycle
    finally:
        lifecycle.close()


def request(function: str, version: str, style: str = "all-at-once") -> Request:
    gradual = style != "all-at-once"
    return Request(
        crate="sqs-processor",
        function=function,
        alias="live",
        version=version,
        style=style,
        application="rustlambda-dev" if gradual else None,
        group=function if gradual else None,
        deployment_config="CodeDeployDefault.LambdaCanary10Percent5Minutes" if gradual else None,
        step_minutes=5 if gradual else 0,
    )


def test_all_at_once_moves_the_alias_after_the_new_version_answers(healthy: Stage) -> None:
    target = healthy.publish()
    log: list[str] = []
    release(request(healthy.name, target), healthy.client, log=log.append)
    assert healthy.alias() == (target, {})
    assert log == [
        f"pre-traffic check passed: version {target} of {healthy.name} started and answered",
        f"{healthy.name}:live now serves version {target} (was 1)",
    ]


def test_nothing_moves_when_the_alias_already_serves_the_version(healthy: Stage) -> None:
    log: list[str] = []
    release(request(healthy.name, "1"), healthy.client, log=log.append)
    assert log == [f"{healthy.name}:live already serves version 1: nothing to release"]


def test_a_version_that_cannot_start_never_gets_traffic(broken: Stage) -> None:
    target = broken.publish()
    with pytest.raises(ReleaseFailed) as failure:
        release(request(broken.name, target), broken.client, log=lambda _: None)
    assert str(failure.value).startswith(f"version {target} of {broken.name} ")
    assert str(failure.value).endswith(
        f"; {broken.name}:live stays on version 1. Fix the function and run `pulumi up` again"
    )
    assert broken.alias() == ("1", {})


def test_a_canary_takes_ten_percent_then_all_of_it(
    healthy: Stage, codedeploy: CodeDeployLifecycle, emulated: EmulatedCloud
) -> None:
    target = healthy.publish()
    log: list[str] = []
    release(
        request(healthy.name, target, "canary"),
        healthy.client,
        client("codedeploy", codedeploy.url),
        log=log.append,
        poll_seconds=15,
        clock=emulated.clock.now,
        sleep=emulated.clock.advance,
    )
    assert healthy.alias() == (target, {})
    (deployment,) = codedeploy.deployments.values()
    assert (deployment.current, deployment.target, deployment.config) == (
        "1",
        target,
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    )
    assert log[1:] == [
        f"CodeDeploy deployment {deployment.deployment_id} (CodeDeployDefault.LambdaCanary10Percent5Minutes): "
        f"{healthy.name}:live version 1 -> {target}",
        f"deployment {deployment.deployment_id}: InProgress",
        f"deployment {deployment.deployment_id}: Succeeded",
        f"{healthy.name}:live now serves version {target}",
    ]


def test_a_rollback_fails_the_step_with_codedeploys_reason_and_the_next_release_deploys_cleanly(
    healthy: Stage, codedeploy: CodeDeployLifecycle, emulated: EmulatedCloud
) -> None:
    bad = healthy.publish(fault_rate=1.0)  # every invocation of the new version fails
    healthy.traffic(emulated.clock)
    with pytest.raises(ReleaseFailed) as failure:
        release(
            request(healthy.name, bad, "canary"),
            healthy.client,
            client("codedeploy", codedeploy.url),
            log=lambda _: None,
            poll_seconds=15,
            clock=emulated.clock.now,
            sleep=emulated.clock.advance,
        )
    deployment, rollback = codedeploy.deployments.values()
    assert str(failure.value) == (
        f"CodeDeploy deployment {deployment.deployment_id} of {healthy.name} stopped: ALARM_ACTIVE: One or more alarms "
        "have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments "
        f"have been stopped. Activated alarms: <{ALARM}>; rollback: Rollback deployment {rollback.deployment_id} in "
        f"progress. {healthy.name}:live is back on version 1; fix the function and run `pulumi up` again"
    )
    assert healthy.alias() == ("1", {})

    # The fixed code publishes another version; the step reads where the alias really is (1). The
    # rollback is the group's active deployment until it finishes (the step does not wait for it yet).
    emulated.clock.advance(codedeploy.rollback_seconds)
    fixed = healthy.publish()
    release(
        request(healthy.name, fixed, "canary"),
        healthy.client,
        client("codedeploy", codedeploy.url),
        log=lambda _: None,
        poll_seconds=15,
        clock=emulated.clock.now,
        sleep=emulated.clock.advance,
    )
    assert healthy.alias() == (fixed, {})
    assert [d.current for d in codedeploy.deployments.values() if d.creator == "user"] == ["1", "1"]


def test_scripts_release_exits_non_zero_with_the_reason_on_a_rollback(
    healthy: Stage, codedeploy: CodeDeployLifecycle, emulated: EmulatedCloud
) -> None:
    """As `pulumi up` runs it (components/release.py): its settings in RELEASE_*, AWS's endpoints
    and credentials in the environment; emulated time runs at 60 s a second meanwhile."""
    bad = healthy.publish(fault_rate=1.0)
    healthy.traffic(emulated.clock)
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL_LAMBDA": healthy.api.url,
        "AWS_ENDPOINT_URL_CODEDEPLOY": codedeploy.url,
        "RELEASE_CRATE": "sqs-processor",
        "RELEASE_FUNCTION": healthy.name,
        "RELEASE_ALIAS": "live",
        "RELEASE_VERSION": bad,
        "RELEASE_STYLE": "canary",
        "RELEASE_CODEDEPLOY_APPLICATION": "rustlambda-dev",
        "RELEASE_CODEDEPLOY_GROUP": healthy.name,
        "RELEASE_DEPLOYMENT_CONFIG": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        "RELEASE_STEP_MINUTES": "5",
        "RELEASE_REGION": REGION,
        "RELEASE_POLL_SECONDS": "0",
    }
    with emulated.clock.running(factor=60):
        completed = subprocess.run(
            [str(REPO_ROOT / "scripts" / "release")], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert completed.returncode == 1
    assert completed.stderr.startswith("release failed: CodeDeploy deployment d-")
    assert "stopped: ALARM_ACTIVE: " in completed.stderr
    assert f"Activated alarms: <{ALARM}>" in completed.stderr
    assert "pre-traffic check passed" in completed.stdout
    assert healthy.alias() == ("1", {})


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
