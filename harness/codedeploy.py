"""CodeDeploy's Lambda deployments on 127.0.0.1 (its JSON protocol: boto3 reaches it with
`endpoint_url`), played out on emulated time (harness/clock.py) against a Lambda control plane,
with the deployment group's alarms read from harness/cloudwatch.py.

Why not moto: moto records deployments but never runs them (a deployment stays "Created"
forever), never reads an alarm and never rolls back, which is what a release relies on.

Modelled, from AWS's documentation ("Working with deployment configurations in CodeDeploy",
"Redeploy and roll back a deployment with CodeDeploy", "Monitoring deployments with CloudWatch
alarms in CodeDeploy", "Stop a deployment with CodeDeploy", the AppSpec "resources" section for
Lambda, and the API reference of CreateDeployment, GetDeployment, ListDeployments,
StopDeployment, AlarmConfiguration, AutoRollbackConfiguration and RollbackInfo):
- Operations: CreateDeployment, GetDeployment, ListDeployments (newest first; filters
  includeOnlyStatuses and createTimeRange), StopDeployment; any other answers
  UnknownOperationException. Deployment groups come from `register_group` or `add_from_plan`
  (the program's DeploymentGroup resources); a missing application or group is
  ApplicationDoesNotExistException / DeploymentGroupDoesNotExistException.
- One active deployment per deployment group: CreateDeployment while one is Created, Queued,
  InProgress, Baking or Ready fails with DeploymentLimitExceededException, "The Deployment Group
  '<group>' already has an active Deployment '<id>'" (CodeDeploy's words, as users report them).
- The AppSpec (revision type AppSpecContent, JSON or YAML) names the function, the alias,
  CurrentVersion and TargetVersion. When the deployment starts, it fails (status Failed, code
  INVALID_LAMBDA_CONFIGURATION, "The deployment failed because the AppSpec file that specifies the
  AWS Lambda deployment configuration is missing or has an invalid configuration.") when the alias
  does not point at CurrentVersion ("The Lambda function alias version does not match the current
  version in AppSpec file."), when the alias already routes to other versions, when TargetVersion
  equals CurrentVersion, or when TargetVersion does not exist (the last three suffixes are ours).
- Traffic shifts by the predefined Lambda deployment configurations, on the clock, through the
  Lambda control plane's UpdateAlias (RoutingConfig weights on TargetVersion, then all of it on
  TargetVersion): LambdaAllAtOnce; LambdaCanary10Percent{5,10,15,30}Minutes (10% at the start, the
  remaining 90% one interval later); LambdaLinear10PercentEvery{1,2,3,10}Minute(s) (10% at the
  start and 10% more each interval: all of it nine intervals after the start).
- Alarm monitoring: while the group's alarm configuration is enabled, an alarm of the group in
  ALARM when the deployment starts or at any progression while it is in progress stops it: status
  Stopped, errorInformation ALARM_ACTIVE, "One or more alarms have been activated according to the
  Amazon CloudWatch metrics you selected, and the affected deployments have been stopped.
  Activated alarms: <name>" (several: "<a>, <b>"). An alarm CloudWatch does not know cannot be
  read: with ignorePollAlarmFailure false (the default) the deployment stops, code INTERNAL_ERROR
  (the code and wording are ours); with true it is skipped.
- Rollback is a separate deployment with a new id ("rolled-back deployments are technically new
  deployments"): when the event is among the group's (or the deployment's override)
  auto-rollback events (DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST, DEPLOYMENT_FAILURE
  after traffic moved), a deployment with creator `codeDeployRollback` (the service model's name)
  moves all traffic back to CurrentVersion at once, and succeeds `rollback_seconds` later (our
  choice: 60 s by default). The stopped deployment's rollbackInfo carries rollbackDeploymentId,
  the rollback's carries rollbackTriggeringDeploymentId; both rollbackMessages say how the rollback
  stands (wording ours). The rollback is an active deployment of the group until it succeeds.
  Without rollback, a stopped deployment leaves the alias as it was (weights included).
- StopDeployment stops an active deployment (errorInformation MANUAL_STOP) and rolls back when
  autoRollbackEnabled is true, or when it is not given and DEPLOYMENT_STOP_ON_REQUEST is among the
  group's events; a finished deployment answers DeploymentAlreadyCompletedException.
- Deployments progress on every tick of the clock (registered at construction) and are brought up
  to date on every API call; a step falls due at the first progression at or after its time.

Omitted: lifecycle hooks (BeforeAllowTraffic, AfterAllowTraffic; an AppSpec's Hooks are ignored),
custom deployment configurations (CreateDeploymentConfig), applications and groups through the
API (CreateApplication, CreateDeploymentGroup), revisions in S3 or GitHub, the AppSpec's sha256
check, the Queued state (a deployment starts when it is created), ListDeployments' paging, SNS triggers, the
limit on alarms per group, deployment timeouts, and every compute platform but Lambda.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from harness.clock import VirtualClock
from harness.cloudwatch import ALARM, AlarmEvaluator

TARGET_PREFIX = "CodeDeploy_20141006."
DEPLOYMENT_GROUP_TYPE = "aws:codedeploy/deploymentGroup:DeploymentGroup"
ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
INVALID_APPSPEC = (
    "The deployment failed because the AppSpec file that specifies the AWS Lambda deployment configuration is "
    "missing or has an invalid configuration."
)
ALIAS_MISMATCH = "The Lambda function alias version does not match the current version in AppSpec file."
ALARM_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the "
    "affected deployments have been stopped. Activated alarms: "
)


@dataclass(frozen=True)
class TrafficShift:
    """A predefined Lambda deployment configuration: which share of the traffic the target
    version has, from how many seconds after the start."""

    name: str
    steps: tuple[tuple[float, float], ...]  # (seconds after the start, weight of the target)


def _canary(minutes: int) -> TrafficShift:
    return TrafficShift(f"CodeDeployDefault.LambdaCanary10Percent{minutes}Minutes", ((0, 0.1), (minutes * 60, 1.0)))


def _linear(minutes: int) -> TrafficShift:
    unit = "Minute" if minutes == 1 else "Minutes"
    steps = tuple((k * minutes * 60.0, round((k + 1) / 10, 1)) for k in range(10))
    return TrafficShift(f"CodeDeployDefault.LambdaLinear10PercentEvery{minutes}{unit}", steps)


CONFIGS = {
    shift.name: shift
    for shift in (
        TrafficShift("CodeDeployDefault.LambdaAllAtOnce", ((0, 1.0),)),
        *(_canary(m) for m in (5, 10, 15, 30)),
        *(_linear(m) for m in (1, 2, 3, 10)),
    )
}


class CodeDeployError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


@dataclass
class DeploymentGroup:
    application: str
    name: str
    deployment_config: str
    alarms: list[str]
    rollback_events: list[str]
    alarms_enabled: bool = True
    ignore_poll_alarm_failure: bool = False


@dataclass
class Deployment:
    """One deployment, its AppSpec and where it stands."""

    deployment_id: str
    application: str
    group: str
    config: str
    content: str
    sha256: str
    create_time: float
    creator: str = "user"
    description: str = ""
    function: str = ""
    alias: str = ""
    current: str = ""
    target: str = ""
    appspec_problem: str | None = None
    alarms: list[str] = field(default_factory=list)
    alarms_enabled: bool = True
    ignore_poll_alarm_failure: bool = False
    rollback_events: list[str] = field(default_factory=list)
    status: str = "Created"
    start_time: float | None = None
    complete_time: float | None = None
    steps_done: int = 0
    error: dict[str, str] | None = None
    rollback_info: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_rollback(self) -> bool:
        return self.creator == "codeDeployRollback"

    def info(self) -> dict[str, Any]:
        """GetDeployment's deploymentInfo."""
        found: dict[str, Any] = {
            "deploymentId": self.deployment_id,
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "deploymentConfigName": self.config,
            "status": self.status,
            "creator": self.creator,
            "description": self.description,
            "createTime": self.create_time,
            "computePlatform": "Lambda",
            "revision": {
                "revisionType": "AppSpecContent",
                "appSpecContent": {"content": self.content, "sha256": self.sha256},
            },
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        }
        if self.start_time is not None:
            found["startTime"] = self.start_time
        if self.complete_time is not None:
            found["completeTime"] = self.complete_time
        if self.error is not None:
            found["errorInformation"] = dict(self.error)
        if self.rollback_info:
            found["rollbackInfo"] = dict(self.rollback_info)
        return found


def parse_appspec(content: str) -> tuple[dict[str, str], str | None]:
    """The Lambda resource's Name, Alias, CurrentVersion and TargetVersion, or what is wrong."""
    try:
        spec = yaml.safe_load(content)
        resources = spec["Resources"]
        ((_, resource),) = resources[0].items()
        properties = resource["Properties"]
        found = {key: str(properties[key]) for key in ("Name", "Alias", "CurrentVersion", "TargetVersion")}
    except (yaml.YAMLError, KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        return (
            {},
            f"The AppSpec content has no Lambda resource with Name, Alias, CurrentVersion and TargetVersion: {error!r}",
        )
    return found, None


def swap_versions(content: str) -> str:
    """The AppSpec that undoes `content`: CurrentVersion and TargetVersion exchanged (JSON)."""
    spec = yaml.safe_load(content)
    ((_, resource),) = spec["Resources"][0].items()
    properties = resource["Properties"]
    properties["CurrentVersion"], properties["TargetVersion"] = (
        properties["TargetVersion"],
        properties["CurrentVersion"],
    )
    return json.dumps(spec, sort_keys=True)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm holds the body
        # until the client's delayed ACK (about 40 ms a response on keep-alive connections).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _reply(self, status: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        operation = str(self.headers.get("X-Amz-Target", "")).removeprefix(TARGET_PREFIX)
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
            self._reply(200, self.server.codedeploy.call(operation, request))
        except CodeDeployError as error:
            self._reply(400, {"__type": error.error_type, "message": error.message})
        except json.JSONDecodeError:
            self._reply(400, {"__type": "InvalidInputException", "message": "the request body is not JSON"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    codedeploy: CodeDeployLifecycle


class CodeDeployLifecycle:
    """Serves CodeDeploy until `close`: `lambda_client` (boto3) is the control plane whose aliases
    it moves, `alarms` the CloudWatch it reads, `clock` the time it runs on (it registers its
    progression on the clock)."""

    def __init__(
        self, lambda_client: Any, clock: VirtualClock, alarms: AlarmEvaluator, rollback_seconds: float = 60.0
    ) -> None:
        self.lambda_client = lambda_client
        self.clock = clock
        self.alarms = alarms
        self.rollback_seconds = rollback_seconds
        self.groups: dict[tuple[str, str], DeploymentGroup] = {}
        self.deployments: dict[str, Deployment] = {}
        self._lock = threading.RLock()
        clock.on_advance(self.progress)
        # Port 0: the kernel picks a free port at bind, with no window for another process to take it.
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server.codedeploy = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    # -- deployment groups ------------------------------------------------------------------------

    def register_group(
        self,
        application: str,
        group: str,
        deployment_config_name: str,
        alarms: list[str],
        auto_rollback_events: list[str],
        alarms_enabled: bool = True,
        ignore_poll_alarm_failure: bool = False,
    ) -> DeploymentGroup:
        """A Lambda deployment group (and its application). `auto_rollback_events` empty: no
        automatic rollback."""
        if deployment_config_name not in CONFIGS:
            raise ValueError(
                f"deployment group {group}: deployment config {deployment_config_name!r} is not a predefined Lambda "
                f"configuration; use one of {', '.join(CONFIGS)}"
            )
        unknown = [e for e in auto_rollback_events if e not in ROLLBACK_EVENTS]
        if unknown:
            raise ValueError(
                f"deployment group {group}: auto-rollback events {unknown} are not among {ROLLBACK_EVENTS}"
            )
        found = DeploymentGroup(
            application,
            group,
            deployment_config_name,
            list(alarms),
            list(auto_rollback_events),
            alarms_enabled,
            ignore_poll_alarm_failure,
        )
        with self._lock:
            self.groups[(application, group)] = found
        return found

    def add_from_plan(self, registrations: Iterable[Mapping[str, Any]]) -> list[DeploymentGroup]:
        """Registers every DeploymentGroup of a plan's registrations (wire format: camelCase keys)."""
        added = []
        for registration in registrations:
            if registration.get("type") != DEPLOYMENT_GROUP_TYPE:
                continue
            inputs = registration["inputs"]
            where = f"deployment group {registration.get('name')}"
            for key in ("appName", "deploymentGroupName", "deploymentConfigName"):
                if not inputs.get(key):
                    raise ValueError(f"{where}: `{key}` is required; set it on the DeploymentGroup")
            alarm_config = inputs.get("alarmConfiguration") or {}
            rollback = inputs.get("autoRollbackConfiguration") or {}
            added.append(
                self.register_group(
                    str(inputs["appName"]),
                    str(inputs["deploymentGroupName"]),
                    str(inputs["deploymentConfigName"]),
                    # pulumi-aws lists names; CloudFormation lists {Name: ...}.
                    [str(a["Name"] if isinstance(a, dict) else a) for a in alarm_config.get("alarms") or []],
                    [str(e) for e in rollback.get("events") or []] if rollback.get("enabled") else [],
                    alarms_enabled=bool(alarm_config.get("enabled")),
                    ignore_poll_alarm_failure=bool(alarm_config.get("ignorePollAlarmFailure")),
                )
            )
        return added

    # -- the API ----------------------------------------------------------------------------------

    def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """One API call, after bringing every deployment up to date."""
        with self._lock:
            self.progress(self.clock.now())
            if operation == "CreateDeployment":
                return {"deploymentId": self._create(request)}
            if operation == "GetDeployment":
                return {"deploymentInfo": self._deployment(request.get("deploymentId")).info()}
            if operation == "ListDeployments":
                return {"deployments": self._list(request)}
            if operation == "StopDeployment":
                return self._stop(request)
            raise CodeDeployError("UnknownOperationException", f"this CodeDeploy emulator does not serve {operation}")

    def _deployment(self, deployment_id: Any) -> Deployment:
        if not deployment_id:
            raise CodeDeployError("DeploymentIdRequiredException", "A deployment ID must be specified.")
        found = self.deployments.get(str(deployment_id))
        if found is None:
            raise CodeDeployError(
                "DeploymentDoesNotExistException", f"The deployment {deployment_id} could not be found."
            )
        return found

    def _group(self, application: Any, group: Any) -> DeploymentGroup:
        if not application:
            raise CodeDeployError("ApplicationNameRequiredException", "The application name must be specified.")
        if not group:
            raise CodeDeployError(
                "DeploymentGroupNameRequiredException", "The deployment group name must be specified."
            )
        if not any(app == application for app, _ in self.groups):
            raise CodeDeployError("ApplicationDoesNotExistException", f"No application found for name: {application}")
        found = self.groups.get((str(application), str(group)))
        if found is None:
            raise CodeDeployError(
                "DeploymentGroupDoesNotExistException", f"No Deployment Group found for name: {group}"
            )
        return found

    def _active_in(self, application: str, group: str) -> Deployment | None:
        return next(
            (d for d in self.deployments.values() if d.application == application and d.group == group and d.active),
            None,
        )

    def _create(self, request: Mapping[str, Any]) -> str:
        group = self._group(request.get("applicationName"), request.get("deploymentGroupName"))
        config = str(request.get("deploymentConfigName") or group.deployment_config)
        if config not in CONFIGS:
            raise CodeDeployError(
                "DeploymentConfigDoesNotExistException", f"No deployment configuration found for name: {config}"
            )
        revision = request.get("revision") or {}
        if revision.get("revisionType") != "AppSpecContent":
            raise CodeDeployError(
                "InvalidRevisionException",
                f"revisionType {revision.get('revisionType')!r} is not modelled: give the AppSpec as AppSpecContent",
            )
        active = self._active_in(group.application, group.name)
        if active is not None:
            raise CodeDeployError(
                "DeploymentLimitExceededException",
                f"The Deployment Group '{group.name}' already has an active Deployment '{active.deployment_id}'",
            )
        content = str((revision.get("appSpecContent") or {}).get("content") or "")
        rollback = request.get("autoRollbackConfiguration") or None
        alarm_override = request.get("overrideAlarmConfiguration") or None
        deployment = self._new(
            group,
            config,
            content,
            description=str(request.get("description") or ""),
            rollback_events=([str(e) for e in rollback.get("events") or []] if rollback.get("enabled") else [])
            if rollback is not None
            else list(group.rollback_events),
        )
        if alarm_override is not None:
            deployment.alarms = [str(a["name"]) for a in alarm_override.get("alarms") or []]
            deployment.alarms_enabled = bool(alarm_override.get("enabled"))
            deployment.ignore_poll_alarm_failure = bool(alarm_override.get("ignorePollAlarmFailure"))
        self._progress(deployment, deployment.create_time)  # it starts at once (no Queued state)
        return deployment.deployment_id

    def _new(
        self,
        group: DeploymentGroup,
        config: str,
        content: str,
        description: str,
        rollback_events: list[str],
        creator: str = "user",
    ) -> Deployment:
        spec, problem = parse_appspec(content)
        deployment = Deployment(
            deployment_id=f"d-{uuid.uuid4().hex[:9].upper()}",
            application=group.application,
            group=group.name,
            config=config,
            content=content,
            sha256=hashlib.sha256(content.encode()).hexdigest(),
            create_time=self.clock.now(),
            creator=creator,
            description=description,
            function=spec.get("Name", ""),
            alias=spec.get("Alias", ""),
            current=spec.get("CurrentVersion", ""),
            target=spec.get("TargetVersion", ""),
            appspec_problem=problem,
            alarms=list(group.alarms),
            alarms_enabled=group.alarms_enabled,
            ignore_poll_alarm_failure=group.ignore_poll_alarm_failure,
            rollback_events=rollback_events,
        )
        self.deployments[deployment.deployment_id] = deployment
        return deployment

    def _list(self, request: Mapping[str, Any]) -> list[str]:
        application, group = request.get("applicationName"), request.get("deploymentGroupName")
        if application or group:
            self._group(application, group)
        statuses = set(request.get("includeOnlyStatuses") or [])
        window = request.get("createTimeRange") or {}
        start, end = window.get("start"), window.get("end")
        found = [
            d
            for d in self.deployments.values()
            if (not application or d.application == application)
            and (not group or d.group == group)
            and (not statuses or d.status in statuses)
            and (start is None or d.create_time >= float(start))
            and (end is None or d.create_time <= float(end))
        ]
        return [d.deployment_id for d in sorted(found, key=lambda d: d.create_time, reverse=True)]

    def _stop(self, request: Mapping[str, Any]) -> dict[str, Any]:
        deployment = self._deployment(request.get("deploymentId"))
        if not deployment.active:
            raise CodeDeployError(
                "DeploymentAlreadyCompletedException",
                f"The deployment {deployment.deployment_id} has already completed.",
            )
        now = self.clock.now()
        self._finish(
            deployment, "Stopped", now, {"code": "MANUAL_STOP", "message": "The deployment was stopped by the user."}
        )
        asked = request.get("autoRollbackEnabled")
        roll_back = asked if asked is not None else "DEPLOYMENT_STOP_ON_REQUEST" in deployment.rollback_events
        if roll_back and not deployment.is_rollback:
            self._roll_back(deployment, now)
        return {"status": "Succeeded", "statusMessage": f"Deployment {deployment.deployment_id} stopped"}

    # -- progression ------------------------------------------------------------------------------

    def progress(self, now: float) -> None:
        """Brings every active deployment up to `now` (a clock listener, and before each call)."""
        with self._lock:
            for deployment in sorted(self.deployments.values(), key=lambda d: d.create_time):
                if deployment.active:
                    self._progress(deployment, now)

    def _progress(self, deployment: Deployment, now: float) -> None:
        if deployment.status == "Created":
            deployment.status, deployment.start_time = "InProgress", now
            if not deployment.is_rollback:
                problem = self._validate(deployment)
                if problem is not None:
                    self._finish(
                        deployment, "Failed", now, {"code": "INVALID_LAMBDA_CONFIGURATION", "message": problem}
                    )
                    return
        start = deployment.start_time if deployment.start_time is not None else now
        if deployment.is_rollback:
            if now >= start + self.rollback_seconds:
                self._finish(deployment, "Succeeded", now)
            return
        if self._stopped_by_alarm(deployment, now):
            return
        steps = CONFIGS[deployment.config].steps
        while deployment.steps_done < len(steps) and now >= start + steps[deployment.steps_done][0]:
            weight = steps[deployment.steps_done][1]
            try:
                if weight >= 1:
                    self._route(deployment, deployment.target, {})
                else:
                    self._route(deployment, deployment.current, {deployment.target: weight})
            except (ClientError, BotoCoreError) as error:  # the control plane refused: the deployment fails
                self._finish(deployment, "Failed", now, {"code": "INVALID_LAMBDA_FUNCTION", "message": str(error)})
                if deployment.steps_done > 0 and "DEPLOYMENT_FAILURE" in deployment.rollback_events:
                    self._roll_back(deployment, now)
                return
            deployment.steps_done += 1
        if deployment.steps_done == len(steps):
            self._finish(deployment, "Succeeded", now)

    def _validate(self, deployment: Deployment) -> str | None:
        """Why the AppSpec does not fit the function as it is (None when it does)."""
        if deployment.appspec_problem is not None:
            return f"{INVALID_APPSPEC} {deployment.appspec_problem}"
        try:
            alias = self.lambda_client.get_alias(FunctionName=deployment.function, Name=deployment.alias)
        except (ClientError, BotoCoreError) as error:  # the alias or the function does not exist
            return f"{INVALID_APPSPEC} The Lambda function alias could not be read: {error}"
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if str(alias["FunctionVersion"]) != deployment.current:
            return f"{INVALID_APPSPEC} {ALIAS_MISMATCH}"
        if weights:
            return f"{INVALID_APPSPEC} The Lambda function alias already routes traffic to versions {sorted(weights)}."
        if deployment.target == deployment.current:
            return INVALID_APPSPEC
        try:
            self.lambda_client.get_function_configuration(FunctionName=deployment.function, Qualifier=deployment.target)
        except ClientError:  # the version does not exist
            return f"{INVALID_APPSPEC} The target version {deployment.target} of {deployment.function} does not exist."
        return None

    def _stopped_by_alarm(self, deployment: Deployment, now: float) -> bool:
        """Stops the deployment (and rolls it back when configured) when one of its alarms is in ALARM."""
        if not deployment.alarms_enabled or not deployment.alarms:
            return False
        states = self.alarms.evaluate(now)
        unknown = [a for a in deployment.alarms if a not in states]
        if unknown and not deployment.ignore_poll_alarm_failure:
            message = (
                f"The deployment was stopped: the state of alarm(s) {', '.join(unknown)} could not be retrieved from "
                "Amazon CloudWatch (no such alarm) and ignorePollAlarmFailure is false."
            )
            self._finish(deployment, "Stopped", now, {"code": "INTERNAL_ERROR", "message": message})
            return True
        activated = [a for a in deployment.alarms if states.get(a) == ALARM]
        if not activated:
            return False
        message = ALARM_MESSAGE + ", ".join(f"<{a}>" for a in activated)
        self._finish(deployment, "Stopped", now, {"code": "ALARM_ACTIVE", "message": message})
        if "DEPLOYMENT_STOP_ON_ALARM" in deployment.rollback_events:
            self._roll_back(deployment, now)
        return True

    def _route(self, deployment: Deployment, version: str, weights: dict[str, float]) -> None:
        self.lambda_client.update_alias(
            FunctionName=deployment.function,
            Name=deployment.alias,
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights},
        )

    def _finish(self, deployment: Deployment, status: str, now: float, error: dict[str, str] | None = None) -> None:
        deployment.status, deployment.complete_time, deployment.error = status, now, error
        if deployment.is_rollback:
            triggering = self.deployments[deployment.rollback_info["rollbackTriggeringDeploymentId"]]
            triggering.rollback_info["rollbackMessage"] = (
                f"Rollback deployment {deployment.deployment_id} {status.lower()} at {_iso(now)}"
            )
            deployment.rollback_info["rollbackMessage"] = (
                f"Rollback of deployment {triggering.deployment_id} {status.lower()}"
            )

    def _roll_back(self, deployment: Deployment, now: float) -> None:
        """A new deployment that puts all traffic back on CurrentVersion at once."""
        group = self.groups[(deployment.application, deployment.group)]
        rollback = self._new(
            group,
            "CodeDeployDefault.LambdaAllAtOnce",
            swap_versions(deployment.content),
            description=f"Rollback of deployment {deployment.deployment_id}",
            rollback_events=[],
            creator="codeDeployRollback",
        )
        rollback.status, rollback.start_time = "InProgress", now
        rollback.rollback_info = {
            "rollbackTriggeringDeploymentId": deployment.deployment_id,
            "rollbackMessage": f"Rollback of deployment {deployment.deployment_id} in progress",
        }
        deployment.rollback_info = {
            "rollbackDeploymentId": rollback.deployment_id,
            "rollbackMessage": f"Rollback deployment {rollback.deployment_id} in progress",
        }
        self._route(deployment, deployment.current, {})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
