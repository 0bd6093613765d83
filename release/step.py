"""The release step of one function (components/release.py runs it at `pulumi up`, through
`scripts/release`, whenever its settings change: a new version above all).

1. Reads where the `live` alias is now, from Lambda (not from Pulumi's state), and refuses to start
   while the alias carries routing weights with no deployment moving them, or (canary, linear) while
   a deployment of the function's CodeDeploy group is active, naming it: CodeDeploy allows one
   active deployment per group.
2. When the alias already serves the version: makes sure the version holds its capacity, retires
   the old versions' and deletes versions beyond the retention; nothing else.
3. Refuses a version CodeDeploy rolled back (its deployment history keeps the version, the time and
   the reason), until the code or configuration changes (a new version), or until
   `functions.<crate>.retryVersion` names that version.
4. Waits until the version is Active, gives it its capacity (provisioned concurrency, or its scaling
   config on Managed Instances) and waits until that is ready (release.capacity).
5. The pre-traffic check (release.pretraffic): a version that cannot start never gets traffic.
6. Checks the function's alarms: none may be in ALARM before traffic moves.
7. Moves the traffic: `all-at-once` updates the alias; `canary` and `linear` create a CodeDeploy
   deployment of the alias (its deployment group carries the function's alarms as rollback
   triggers) and wait for it, bounded by the deployment's own length plus a margin. On a rollback,
   waits for CodeDeploy's separate rollback deployment and reads the alias before it reports; on its
   own timeout, stops the deployment with a rollback and waits for that.
8. After a successful shift: the versions that no longer serve give their capacity back, and
   versions beyond the retention are deleted (release.retention).
Exits 0 when the alias serves the new version; otherwise 1, with the reason on stderr, which
`pulumi up` shows as the step's failure.

Settings come from the environment (RELEASE_*; AWS credentials as boto3 reads them).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from release import capacity as capacity_
from release import history, pretraffic, retention
from release.capacity import Capacity, CapacityFailed, Waiter

ALL_AT_ONCE = "all-at-once"
TERMINAL = {"Succeeded", "Failed", "Stopped"}
# How long CodeDeploy's predefined configurations take, in steps of `minutes`: a canary moves the
# rest after one step, a linear one adds 10% per step (10 steps).
STEPS = {"canary": 1, "linear": 10}
MARGIN_SECONDS = 600
# How long a version may take to become Active with its capacity ready (Managed Instances launches
# execution environments, provisioned concurrency initializes them).
CAPACITY_TIMEOUT_SECONDS = 900
# How long CodeDeploy's rollback deployment may take after a stop.
ROLLBACK_TIMEOUT_SECONDS = 600


STANDARD = Capacity("standard")


class ReleaseFailed(Exception):
    """The new version did not take the traffic; the message says why and where it stands."""


@dataclass(frozen=True)
class Request:
    crate: str
    function: str
    alias: str
    version: str
    style: str
    region: str = ""
    capacity: Capacity = STANDARD
    retain_versions: int = 2
    alarms: tuple[str, ...] = ()
    retry_version: str | None = None
    application: str | None = None
    group: str | None = None
    deployment_config: str | None = None
    step_minutes: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Request:
        def need(key: str) -> str:
            value = env.get(key)
            if not value:
                raise ReleaseFailed(f"the release step needs {key} (set by components/release.py)")
            return value

        def number(key: str) -> int | None:
            value = env.get(key)
            return int(value) if value else None

        style = need("RELEASE_STYLE")
        gradual = style != ALL_AT_ONCE
        return cls(
            crate=need("RELEASE_CRATE"),
            function=need("RELEASE_FUNCTION"),
            alias=need("RELEASE_ALIAS"),
            version=need("RELEASE_VERSION"),
            style=style,
            region=need("RELEASE_REGION"),
            capacity=Capacity(
                placement=env.get("RELEASE_PLACEMENT") or "standard",
                provisioned_concurrency=number("RELEASE_PROVISIONED_CONCURRENCY"),
                min_environments=number("RELEASE_MIN_ENVIRONMENTS"),
                max_environments=number("RELEASE_MAX_ENVIRONMENTS"),
            ),
            retain_versions=int(env.get("RELEASE_RETAIN_VERSIONS") or 2),
            alarms=tuple(json.loads(env.get("RELEASE_ALARMS") or "[]")),
            retry_version=env.get("RELEASE_RETRY_VERSION") or None,
            application=need("RELEASE_CODEDEPLOY_APPLICATION") if gradual else None,
            group=need("RELEASE_CODEDEPLOY_GROUP") if gradual else None,
            deployment_config=need("RELEASE_DEPLOYMENT_CONFIG") if gradual else None,
            step_minutes=int(need("RELEASE_STEP_MINUTES")) if gradual else 0,
        )

    @property
    def gradual(self) -> bool:
        return self.style != ALL_AT_ONCE

    @property
    def timeout_seconds(self) -> float:
        return STEPS.get(self.style, 0) * self.step_minutes * 60 + MARGIN_SECONDS


def iam_requests(env: Mapping[str, str], account_id: str) -> list[tuple[str, list[str]]]:
    """The calls the step makes (action, resource ARNs) with the environment components/release.py
    gives it: what the deploy role must allow (tests/ci_access checks it does)."""
    request = Request.from_env(env)
    region = request.region
    function = f"arn:aws:lambda:{region}:{account_id}:function:{request.function}"
    alias = f"{function}:{request.alias}"
    version = f"{function}:{request.version}"
    calls = [
        ("lambda:GetAlias", [alias]),
        ("lambda:ListAliases", [function]),
        ("lambda:ListVersionsByFunction", [function]),
        ("lambda:GetFunctionConfiguration", [version]),
        ("lambda:InvokeFunction", [version]),
        ("lambda:DeleteFunction", [f"{function}:*"]),
        ("cloudwatch:DescribeAlarms", [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{a}" for a in request.alarms]),
    ]
    if request.capacity.managed_instances:
        calls += [
            ("lambda:PutFunctionScalingConfig", [f"{function}:*"]),
            ("lambda:GetFunctionScalingConfig", [f"{function}:*"]),
        ]
    elif request.capacity.provisioned_concurrency is not None:
        calls += [
            ("lambda:PutProvisionedConcurrencyConfig", [f"{function}:*"]),
            ("lambda:GetProvisionedConcurrencyConfig", [f"{function}:*"]),
            ("lambda:DeleteProvisionedConcurrencyConfig", [f"{function}:*"]),
        ]
    if not request.gradual:
        return [*calls, ("lambda:UpdateAlias", [alias])]
    codedeploy = f"arn:aws:codedeploy:{region}:{account_id}"
    group = f"{codedeploy}:deploymentgroup:{request.application}/{request.group}"
    return [
        *calls,
        ("codedeploy:CreateDeployment", [group]),
        ("codedeploy:GetDeployment", [group]),
        ("codedeploy:ListDeployments", [group]),
        # StopDeployment has no resource type: IAM authorizes it on `*` only.
        ("codedeploy:StopDeployment", ["*"]),
        ("codedeploy:GetDeploymentConfig", [f"{codedeploy}:deploymentconfig:{request.deployment_config}"]),
        ("codedeploy:RegisterApplicationRevision", [f"{codedeploy}:application:{request.application}"]),
        ("codedeploy:GetApplicationRevision", [f"{codedeploy}:application:{request.application}"]),
    ]


def appspec(request: Request, current_version: str) -> str:
    """CodeDeploy's AppSpec for shifting the alias from `current_version` to the new version."""
    return json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {
                    request.crate: {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "Name": request.function,
                            "Alias": request.alias,
                            "CurrentVersion": current_version,
                            "TargetVersion": request.version,
                        },
                    }
                }
            ],
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class Clients:
    lambda_: Any
    codedeploy: Any | None = None
    cloudwatch: Any | None = None


@dataclass(frozen=True)
class Pace:
    """How the step waits: real time in production, the emulators' clock in tests."""

    poll_seconds: float = 15.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def waiter(self, timeout_seconds: float) -> Waiter:
        return Waiter(self.clock, self.sleep, self.poll_seconds, timeout_seconds)


def read_alias(lambda_client: Any, request: Request) -> tuple[str, dict[str, float]]:
    found = lambda_client.get_alias(FunctionName=request.function, Name=request.alias)
    weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return str(found["FunctionVersion"]), {str(k): float(v) for k, v in weights.items()}


def release(request: Request, clients: Clients, log: Callable[[str], None] = print, pace: Pace | None = None) -> None:
    """Moves the alias to the new version or raises ReleaseFailed (see the module docstring)."""
    pace = pace or Pace()
    name = f"{request.function}:{request.alias}"
    if request.gradual:
        _refuse_while_active(request, _codedeploy(clients, request))
    current, weights = read_alias(clients.lambda_, request)
    if weights:
        raise ReleaseFailed(
            f"{name} routes {weights} beside version {current} and no deployment is moving it: an earlier shift "
            f"stopped half way. Point it at one version (aws lambda update-alias --function-name {request.function} "
            f"--name {request.alias} --function-version {current} --routing-config AdditionalVersionWeights={{}}), "
            "then run `pulumi up` again"
        )
    waiter = pace.waiter(CAPACITY_TIMEOUT_SECONDS)
    if current == request.version:
        log(f"{name} already serves version {request.version}")
        _prepare(clients, request, waiter, log)
        _tidy(clients, request, request.version, waiter, log)
        return
    if request.gradual:
        _refuse_rejected(request, _codedeploy(clients, request))
    _prepare(clients, request, waiter, log)
    try:
        pretraffic.check_version(clients.lambda_, request.crate, request.function, request.version)
    except pretraffic.PreTrafficFailure as failure:
        _give_back(clients, request, request.version, waiter, log)
        raise ReleaseFailed(
            f"{failure}; {name} stays on version {current}. Fix the function and run `pulumi up` again"
        ) from None
    log(f"pre-traffic check passed: version {request.version} of {request.function} started and answered")
    _refuse_alarms(request, clients)
    if not request.gradual:
        clients.lambda_.update_alias(
            FunctionName=request.function,
            Name=request.alias,
            FunctionVersion=request.version,
            RoutingConfig={"AdditionalVersionWeights": {}},
        )
        log(f"{name} now serves version {request.version} (was {current})")
    else:
        try:
            _deploy(request, current, clients, log, pace)
        except ReleaseFailed:
            _give_back(clients, request, request.version, waiter, log)
            raise
    _tidy(clients, request, request.version, waiter, log)


def _codedeploy(clients: Clients, request: Request) -> Any:
    if clients.codedeploy is None:
        raise ReleaseFailed(f"a {request.style} release needs a CodeDeploy client")
    return clients.codedeploy


def _refuse_while_active(request: Request, codedeploy: Any) -> None:
    active = history.active_deployment(codedeploy, str(request.application), str(request.group))
    if active is not None:
        raise ReleaseFailed(
            f"CodeDeploy deployment {active.deployment_id} of {request.group} is still {active.status} (version "
            f"{active.target_version or '?'}); CodeDeploy runs one deployment per group at a time: wait for it, or "
            f"stop it (aws deploy stop-deployment --deployment-id {active.deployment_id} --auto-rollback-enabled), "
            "then run `pulumi up` again"
        )


def _refuse_rejected(request: Request, codedeploy: Any) -> None:
    rejected = history.rejection(codedeploy, str(request.application), str(request.group), request.version)
    if rejected is None:
        return
    if request.retry_version == request.version:
        return
    when = rejected.created.isoformat() if rejected.created is not None else "an unknown time"
    raise ReleaseFailed(
        f"version {request.version} of {request.function} was rolled back by CodeDeploy deployment "
        f"{rejected.deployment_id} at {when}: {rejected.reason}. It is not released again: change the function's "
        f"code or configuration (a new version), or set functions.{request.crate}.retryVersion to {request.version} "
        "to release this version once more"
    )


def _prepare(clients: Clients, request: Request, waiter: Waiter, log: Callable[[str], None]) -> None:
    try:
        for line in capacity_.prepare(clients.lambda_, request.function, request.version, request.capacity, waiter):
            log(line)
    except CapacityFailed as failure:
        raise ReleaseFailed(
            f"{failure}; no traffic moved. Fix the capacity settings and run `pulumi up` again"
        ) from None


def _give_back(clients: Clients, request: Request, version: str, waiter: Waiter, log: Callable[[str], None]) -> None:
    """A version that will not serve gives its capacity back (best effort: the failure that got us
    here is the one to report)."""
    try:
        line = capacity_.retire(clients.lambda_, request.function, version, request.capacity, waiter)
    except (CapacityFailed, ClientError, BotoCoreError) as error:
        log(f"could not release the capacity of version {version}: {error}")
        return
    if line:
        log(line)


def _tidy(clients: Clients, request: Request, live: str, waiter: Waiter, log: Callable[[str], None]) -> None:
    """Versions that no longer serve give their capacity back; those beyond the retention go."""
    deleted = retention.prune(clients.lambda_, request.function, live, request.retain_versions)
    if deleted:
        log(
            f"deleted versions {', '.join(map(str, deleted))} of {request.function} "
            f"(retention: live + {request.retain_versions})"
        )
    if request.capacity.managed_instances or request.capacity.provisioned_concurrency is not None:
        for version in retention.published_versions(clients.lambda_, request.function):
            if str(version) != live:
                _give_back(clients, request, str(version), waiter, log)


def _refuse_alarms(request: Request, clients: Clients) -> None:
    if not request.alarms or clients.cloudwatch is None:
        return
    found = clients.cloudwatch.describe_alarms(AlarmNames=list(request.alarms), AlarmTypes=["MetricAlarm"])
    firing = sorted(a["AlarmName"] for a in found.get("MetricAlarms") or [] if a.get("StateValue") == "ALARM")
    if firing:
        raise ReleaseFailed(
            f"alarms {', '.join(firing)} of {request.function} are in ALARM: no traffic moved to version "
            f"{request.version}. Find out why (the alarms watch the live alias), then run `pulumi up` again"
        )


def _deploy(request: Request, current: str, clients: Clients, log: Callable[[str], None], pace: Pace) -> None:
    codedeploy = _codedeploy(clients, request)
    content = appspec(request, current)
    created = codedeploy.create_deployment(
        applicationName=request.application,
        deploymentGroupName=request.group,
        deploymentConfigName=request.deployment_config,
        description=f"{request.function}: version {current} -> {request.version}",
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": content, "sha256": hashlib.sha256(content.encode()).hexdigest()},
        },
    )
    deployment_id = created["deploymentId"]
    name = f"{request.function}:{request.alias}"
    log(
        f"CodeDeploy deployment {deployment_id} ({request.deployment_config}): {name} "
        f"version {current} -> {request.version}"
    )
    info = _follow(codedeploy, deployment_id, pace.clock() + request.timeout_seconds, log, pace)
    status = str(info.get("status"))
    if status == "Succeeded":
        log(f"{name} now serves version {request.version}")
        return
    if status not in TERMINAL:
        log(
            f"deployment {deployment_id} is still {status} after {request.timeout_seconds:.0f} s: "
            "stopping it with a rollback"
        )
        codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        info = _follow(codedeploy, deployment_id, pace.clock() + ROLLBACK_TIMEOUT_SECONDS, log, pace)
    reason = history.reason_of(info)
    where = _after_rollback(clients, info, request, log, pace)
    raise ReleaseFailed(
        f"CodeDeploy deployment {deployment_id} of {request.function} {str(info.get('status')).lower()}: {reason}. "
        f"{where}; fix the function and run `pulumi up` again"
    )


def _follow(
    codedeploy: Any, deployment_id: str, deadline: float, log: Callable[[str], None], pace: Pace
) -> dict[str, Any]:
    """Polls a deployment until it ends or the deadline passes; returns its last info."""
    last_status = ""
    while True:
        info: dict[str, Any] = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        status = str(info.get("status"))
        if status != last_status:
            log(f"deployment {deployment_id}: {status}")
            last_status = status
        if status in TERMINAL or pace.clock() >= deadline:
            return info
        pace.sleep(pace.poll_seconds)


def _after_rollback(
    clients: Clients, info: dict[str, Any], request: Request, log: Callable[[str], None], pace: Pace
) -> str:
    """Waits for CodeDeploy's rollback deployment (a deployment of its own), then reads where the
    alias really is: what the step reports is what AWS has."""
    rollback_id = (info.get("rollbackInfo") or {}).get("rollbackDeploymentId")
    if rollback_id:
        rolled = _follow(
            _codedeploy(clients, request), str(rollback_id), pace.clock() + ROLLBACK_TIMEOUT_SECONDS, log, pace
        )
        outcome = f"rollback deployment {rollback_id} {str(rolled.get('status')).lower()}"
    else:
        outcome = "CodeDeploy started no rollback"
    version, weights = read_alias(clients.lambda_, request)
    routed = f" and routes {weights}" if weights else ""
    return f"{outcome}; {request.function}:{request.alias} is on version {version}{routed}"


def main() -> int:
    try:
        request = Request.from_env(os.environ)
        clients = Clients(
            lambda_=boto3.client("lambda", region_name=request.region),
            codedeploy=boto3.client("codedeploy", region_name=request.region) if request.gradual else None,
            cloudwatch=boto3.client("cloudwatch", region_name=request.region),
        )
        release(request, clients, pace=Pace(poll_seconds=float(os.environ.get("RELEASE_POLL_SECONDS", "15"))))
    except ReleaseFailed as failure:
        print(f"release failed: {failure}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        # AWS refused a call (permissions, a missing alias, a deployment already running): its own words.
        print(f"release failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
