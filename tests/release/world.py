"""An emulated AWS account holding a stack as the program's plan describes it, for the release step:
the plan's functions in moto (each with version 1 and its `live` alias), every version running the
function's real binary (native build) under aws-lambda-rie behind Lambda's API
(harness/lambda_api.py), the plan's alarms evaluated from the invocations' metrics
(harness/cloudwatch.py) and its deployment groups played by CodeDeploy's emulator
(harness/codedeploy.py), all on emulated time (harness/clock.py). The resources each function uses
and the events its callers send come from bench/scenarios.py.

What the plan gives is used as is (alarm definitions, deployment groups, the release step's
environment); the one thing replayed here is what the program's `up` of a new version changes
before the release step runs: the new-version alarms' ExecutedVersion (tests/program checks that
the program sets it to the version it publishes)."""

from __future__ import annotations

import copy
import io
import json
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from bench.scenarios import Scenario, scenarios
from harness import functions
from harness.clock import VirtualClock
from harness.codedeploy import CodeDeployLifecycle
from harness.emulated import EmulatedCloud
from harness.emulator import Emulator
from harness.lambda_api import LambdaApi
from harness.moto import CREDENTIALS, REGION, MotoServer
from model.contract import FunctionContract
from release.step import Clients, Pace, Request, release
from tests.program.plans import Plan

ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
# Callers' traffic through the alias: this many invocations every this many emulated seconds (a
# 10% canary of five minutes sees about 12 of them).
TRAFFIC_EVERY_S = 5
TRAFFIC_BURST = 2
# The clock moves in steps of this many seconds (alarms and deployments progress per step).
TICK_S = 5.0
POLL_S = 15.0
ACTIVATION_S = 120.0


def client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def new_code() -> bytes:
    """Zip bytes of a new build (the binary that runs is the emulator's: only the bytes differ)."""
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("bootstrap", uuid.uuid4().hex)
    return zipped.getvalue()


@dataclass
class Function:
    crate: str
    name: str
    scenario: Scenario
    env: dict[str, str]
    step_env: dict[str, str]
    emulators: dict[str, Emulator] = field(default_factory=dict)


class World:
    def __init__(
        self,
        moto: MotoServer,
        plan: Plan,
        binaries: Path,
        contracts: dict[str, FunctionContract],
        tmp: Path,
        crates: Iterable[str],
    ) -> None:
        self.moto, self.plan, self.binaries, self.tmp = moto, plan, binaries, tmp
        self.cloud = EmulatedCloud.on(moto, VirtualClock(tick=TICK_S))
        self.clock = self.cloud.clock
        self.api = LambdaApi(
            {}, timeout=30, control_plane=moto.url, clock=self.clock, metrics=self.cloud.metrics, seed=11
        )
        self.lambda_ = client("lambda", self.api.url)
        self.control = moto.client("lambda")
        self.traffic_to: set[str] = set()
        self.invocations: list[tuple[str, str | None, str | None]] = []  # (crate, executed version, error)
        self._last_traffic = self.clock.now()
        # Listeners in order: callers' traffic, then CloudWatch's alarm evaluation, then CodeDeploy.
        self.clock.on_advance(self._traffic)
        self.clock.on_advance(self._evaluate)
        self.codedeploy = CodeDeployLifecycle(self.control, self.clock, self.cloud.alarms)
        self.codedeploy.add_from_plan(plan.registrations)
        self.cloud.alarms.add_from_plan(plan.registrations)
        steps = {
            r["inputs"]["environment"]["RELEASE_CRATE"]: r["inputs"]["environment"]
            for r in plan.of_type("command:local:Command")
        }
        resources = scenarios(moto, uuid.uuid4().hex[:8])
        role = moto.client("iam").create_role(
            RoleName=f"release-{uuid.uuid4().hex[:8]}",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        self.functions: dict[str, Function] = {}
        for crate in crates:
            step_env = dict(steps[crate])
            name = step_env["RELEASE_FUNCTION"]
            env = {
                **functions.function_env(contracts[crate], resources[crate].references),
                **moto.function_env(),
                "AWS_LAMBDA_FUNCTION_NAME": name,
            }
            function = Function(crate, name, resources[crate], env, step_env)
            self.functions[crate] = function
            if step_env.get("RELEASE_PLACEMENT") == "managed-instances":
                self.api.register_capacity_provider(name, "rustlambda-prod")
            self.lambda_.create_function(
                FunctionName=name,
                Runtime="provided.al2023",
                Role=role,
                Handler="bootstrap",
                Code={"ZipFile": new_code()},
                Publish=True,
            )
            self._start(function, "1")
            self.control.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
            self.settle(crate, "1")
        # As the first `up` leaves it: a Managed Instances version is Active once its execution
        # environments run (harness/lambda_api.py's activation time).
        self.clock.advance(ACTIVATION_S)

    # --- versions ------------------------------------------------------------------------------

    def _start(
        self, function: Function, version: str, env: dict[str, str] | None = None, fault_rate: float = 0.0
    ) -> None:
        emulator = Emulator(
            functions.command("native", function.crate, self.binaries),
            {**(env if env is not None else function.env), "AWS_LAMBDA_FUNCTION_VERSION": version},
            self.tmp / f"{function.crate}-{version}.log",
        )
        function.emulators[version] = emulator
        self.api.add_version(function.name, version, emulator, fault_rate)

    def publish(self, crate: str, fault_rate: float = 0.0, starts: bool = True) -> str:
        """A new build of `crate` published (as `pulumi up` does), running the function's binary;
        `fault_rate` of its invocations fail; `starts=False` gives it an env its init refuses."""
        function = self.functions[crate]
        version = str(
            self.lambda_.update_function_code(FunctionName=function.name, ZipFile=new_code(), Publish=True)["Version"]
        )
        env = (
            function.env if starts else {k: v for k, v in function.env.items() if k not in function.scenario.references}
        )
        self._start(function, version, env, fault_rate)
        return version

    def refault(self, crate: str, version: str, fault_rate: float) -> None:
        """The version's faults counted afresh (its next invocations: the first passes)."""
        function = self.functions[crate]
        self.api.add_version(function.name, version, function.emulators[version], fault_rate)

    def settle(self, crate: str, version: str) -> None:
        """What the program's `up` of `version` changes before the release step: the new-version
        alarms watch it (each alarm restarts in INSUFFICIENT_DATA, as CloudWatch does on an update)."""
        name = self.functions[crate].name
        for registration in self.plan.of_type(ALARM_TYPE):
            dimensions = registration["inputs"].get("dimensions") or {}
            if dimensions.get("FunctionName") == name and "ExecutedVersion" in dimensions:
                updated = copy.deepcopy(registration)
                updated["inputs"]["dimensions"]["ExecutedVersion"] = version
                self.cloud.alarms.add_from_plan([updated])

    def _evaluate(self, now: float) -> None:
        self.cloud.alarms.evaluate(now)

    # --- traffic -------------------------------------------------------------------------------

    def _traffic(self, now: float) -> None:
        if now - self._last_traffic < TRAFFIC_EVERY_S:
            return
        self._last_traffic = now
        for crate in sorted(self.traffic_to) * TRAFFIC_BURST:
            function = self.functions[crate]
            try:
                answer = self.lambda_.invoke(
                    FunctionName=function.name, Qualifier="live", Payload=json.dumps(function.scenario.aws)
                )
            except ClientError as error:  # what a caller gets: a throttle, a version not ready
                self.invocations.append((crate, None, error.response["Error"]["Code"]))
                continue
            answer["Payload"].read()
            self.invocations.append((crate, answer.get("ExecutedVersion"), answer.get("FunctionError")))

    # --- the release step ----------------------------------------------------------------------

    def request(self, crate: str, version: str, **env: str) -> Request:
        """The release step's request as the program's plan sets it, for `version`."""
        return Request.from_env({**self.functions[crate].step_env, "RELEASE_VERSION": version, **env})

    def release(self, crate: str, version: str, **env: str) -> list[str]:
        """Runs the release step in-process on the emulated clock; returns what it logged."""
        log: list[str] = []
        self.traffic_to.add(crate)
        try:
            release(
                self.request(crate, version, **env),
                Clients(self.lambda_, client("codedeploy", self.codedeploy.url), self.moto.client("cloudwatch")),
                log.append,
                Pace(POLL_S, self.clock.now, self.clock.advance),
            )
        finally:
            self.traffic_to.discard(crate)
        return log

    def alias(self, crate: str) -> tuple[str, dict[str, float]]:
        found = self.control.get_alias(FunctionName=self.functions[crate].name, Name="live")
        return str(found["FunctionVersion"]), (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}

    def alarm_history(self, crate: str) -> list[tuple[str, str]]:
        """(alarm, new state) of every state change of the function's alarms so far."""
        prefix = self.functions[crate].name + "-"
        return [(c.alarm, c.new) for c in self.cloud.alarms.history if c.alarm.startswith(prefix)]

    def close(self) -> None:
        for function in self.functions.values():
            for emulator in function.emulators.values():
                emulator.close()
        self.codedeploy.close()
        self.api.close()
