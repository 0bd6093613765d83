"""The release step of one function (components/release.py runs it at `pulumi up`, through
`scripts/release`, whenever the function's version changes).

1. Reads where the `live` alias is now (from Lambda, not from Pulumi's state: after a rollback the
   alias is on the old version whatever the state says).
2. Nothing to do when it is already on the new version (the alias was just created on it).
3. The pre-traffic check: invokes the new version (release.pretraffic); a version that cannot
   start never gets traffic.
4. Moves the traffic: `all-at-once` updates the alias; `canary` and `linear` create a CodeDeploy
   deployment of the alias (its deployment group carries the function's alarms as rollback
   triggers) and wait for it, bounded by the deployment's own length plus a margin.
5. Exits 0 when the alias serves the new version; otherwise 1, with the reason (CodeDeploy's error
   and rollback information) on stderr, which `pulumi up` shows as the step's failure.

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

from release import pretraffic

ALL_AT_ONCE = "all-at-once"
TERMINAL = {"Succeeded", "Failed", "Stopped"}
# How long CodeDeploy's predefined configurations take, in steps of `minutes`: a canary moves the
# rest after one step, a linear one adds 10% per step (10 steps).
STEPS = {"canary": 1, "linear": 10}
MARGIN_SECONDS = 600


class ReleaseFailed(Exception):
    """The new version did not take the traffic; the message says why and where it stands."""


@dataclass(frozen=True)
class Request:
    crate: str
    function: str
    alias: str
    version: str
    style: str
    application: str | None = None
    group: str | None = None
    deployment_config: str | None = None
    step_minutes: int = 0
    region: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Request:
        def need(key: str) -> str:
            value = env.get(key)
            if not value:
                raise ReleaseFailed(f"the release step needs {key} (set by components/release.py)")
            return value

        style = need("RELEASE_STYLE")
        gradual = style != ALL_AT_ONCE
        return cls(
            crate=need("RELEASE_CRATE"),
            function=need("RELEASE_FUNCTION"),
            alias=need("RELEASE_ALIAS"),
            version=need("RELEASE_VERSION"),
            style=style,
            application=need("RELEASE_CODEDEPLOY_APPLICATION") if gradual else None,
            group=need("RELEASE_CODEDEPLOY_GROUP") if gradual else None,
            deployment_config=need("RELEASE_DEPLOYMENT_CONFIG") if gradual else None,
            step_minutes=int(need("RELEASE_STEP_MINUTES")) if gradual else 0,
            region=need("RELEASE_REGION"),
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
    calls = [("lambda:GetAlias", [alias]), ("lambda:InvokeFunction", [f"{function}:{request.version}"])]
    if not request.gradual:
        return [*calls, ("lambda:UpdateAlias", [alias])]
    codedeploy = f"arn:aws:codedeploy:{region}:{account_id}"
    group = f"{codedeploy}:deploymentgroup:{request.application}/{request.group}"
    return [
        *calls,
        ("codedeploy:CreateDeployment", [group]),
        ("codedeploy:GetDeployment", [group]),
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


def failure_reason(deployment: Mapping[str, Any]) -> str:
    """CodeDeploy's own account of a failed or stopped deployment."""
    parts = []
    error = deployment.get("errorInformation") or {}
    if error.get("code") or error.get("message"):
        parts.append(f"{error.get('code', 'error')}: {error.get('message', '')}".strip())
    rollback = deployment.get("rollbackInfo") or {}
    if rollback.get("rollbackMessage"):
        parts.append(f"rollback: {rollback['rollbackMessage']}")
    return "; ".join(parts) or "CodeDeploy gave no reason"


def release(
    request: Request,
    lambda_client: Any,
    codedeploy_client: Any | None = None,
    log: Callable[[str], None] = print,
    poll_seconds: float = 15.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Moves the alias to the new version or raises ReleaseFailed (see the module docstring)."""
    alias = lambda_client.get_alias(FunctionName=request.function, Name=request.alias)
    current = str(alias["FunctionVersion"])
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    if current == request.version and not weights:
        log(f"{request.function}:{request.alias} already serves version {request.version}: nothing to release")
        return
    try:
        pretraffic.check_version(lambda_client, request.crate, request.function, request.version)
    except pretraffic.PreTrafficFailure as failure:
        raise ReleaseFailed(
            f"{failure}; {request.function}:{request.alias} stays on version {current}. Fix the function and run "
            "`pulumi up` again"
        ) from None
    log(f"pre-traffic check passed: version {request.version} of {request.function} started and answered")
    if not request.gradual:
        lambda_client.update_alias(
            FunctionName=request.function,
            Name=request.alias,
            FunctionVersion=request.version,
            RoutingConfig={"AdditionalVersionWeights": {}},
        )
        log(f"{request.function}:{request.alias} now serves version {request.version} (was {current})")
        return
    if codedeploy_client is None:
        raise ReleaseFailed(f"a {request.style} release needs a CodeDeploy client")
    _deploy(request, current, codedeploy_client, log, poll_seconds, clock, sleep)


def _deploy(
    request: Request,
    current: str,
    codedeploy: Any,
    log: Callable[[str], None],
    poll_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
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
    log(
        f"CodeDeploy deployment {deployment_id} ({request.deployment_config}): {request.function}:{request.alias} "
        f"version {current} -> {request.version}"
    )
    deadline = clock() + request.timeout_seconds
    last_status = ""
    while True:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        status = str(info.get("status"))
        if status != last_status:
            log(f"deployment {deployment_id}: {status}")
            last_status = status
        if status == "Succeeded":
            log(f"{request.function}:{request.alias} now serves version {request.version}")
            return
        if status in TERMINAL:
            raise ReleaseFailed(
                f"CodeDeploy deployment {deployment_id} of {request.function} {status.lower()}: "
                f"{failure_reason(info)}. {request.function}:{request.alias} is back on version {current}; fix the "
                "function and run `pulumi up` again"
            )
        if clock() >= deadline:
            raise ReleaseFailed(
                f"CodeDeploy deployment {deployment_id} of {request.function} is still {status} after "
                f"{request.timeout_seconds:.0f} s: watch it in the CodeDeploy console, or stop it with "
                f"`aws deploy stop-deployment --deployment-id {deployment_id} --auto-rollback-enabled`"
            )
        sleep(poll_seconds)


def main() -> int:
    try:
        request = Request.from_env(os.environ)
        codedeploy = boto3.client("codedeploy", region_name=request.region) if request.gradual else None
        poll = float(os.environ.get("RELEASE_POLL_SECONDS", "15"))
        release(request, boto3.client("lambda", region_name=request.region), codedeploy, poll_seconds=poll)
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
