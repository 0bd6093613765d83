"""CodeDeploy's Lambda deployments on 127.0.0.1: CreateDeployment and GetDeployment, played out
against a Lambda control plane (moto) the way CodeDeploy plays them against Lambda.

Why not moto: moto records deployments but never runs them (a deployment stays "Created" forever)
and never fills in errorInformation or rollbackInfo, which is what the release step reports. This
server speaks CodeDeploy's JSON protocol (boto3 reaches it with `endpoint_url`) and, for each
deployment, follows the outcome the test sets: it shifts the alias the AppSpec names through
UpdateAlias (10% to the target version, then all of it, as a canary does), or stops on an alarm and
rolls the alias back, with the error and rollback information CodeDeploy gives. Each GetDeployment
advances a deployment by one step, so a test controls time by polling.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET_PREFIX = "CodeDeploy_20141006."
CANARY_WEIGHT = 0.1


@dataclass
class Deployment:
    """One deployment's AppSpec and where it stands."""

    deployment_id: str
    application: str
    group: str
    config: str
    function: str
    alias: str
    current: str
    target: str
    outcome: str  # "succeed" or the name of the alarm that stops it
    steps: int = 0
    status: str = "Created"
    info: dict[str, Any] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        operation = str(self.headers.get("X-Amz-Target", "")).removeprefix(TARGET_PREFIX)
        codedeploy = self.server.codedeploy
        if operation == "CreateDeployment":
            self._reply(200, {"deploymentId": codedeploy.create(request)})
        elif operation == "GetDeployment":
            found = codedeploy.advance(request["deploymentId"])
            if found is None:
                self._reply(400, {"__type": "DeploymentDoesNotExistException", "message": "no such deployment"})
            else:
                self._reply(200, {"deploymentInfo": found})
        else:
            self._reply(400, {"__type": "UnknownOperationException", "message": f"not served here: {operation}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    codedeploy: CodeDeployLifecycle


class CodeDeployLifecycle:
    """Serves CodeDeploy until `close`; `lambda_client` is the control plane whose aliases it moves."""

    def __init__(self, lambda_client: Any) -> None:
        self.lambda_client = lambda_client
        # The outcome of the next deployment: "succeed", or the alarm that stops it.
        self.next_outcome = "succeed"
        self.deployments: dict[str, Deployment] = {}
        self._lock = threading.Lock()
        # Port 0: the kernel picks a free port at bind, with no window for another process to take it.
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server.codedeploy = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def create(self, request: dict[str, Any]) -> str:
        content = json.loads(request["revision"]["appSpecContent"]["content"])
        ((_, resource),) = content["Resources"][0].items()
        properties = resource["Properties"]
        deployment = Deployment(
            deployment_id=f"d-{uuid.uuid4().hex[:9].upper()}",
            application=request["applicationName"],
            group=request["deploymentGroupName"],
            config=request.get("deploymentConfigName", ""),
            function=properties["Name"],
            alias=properties["Alias"],
            current=str(properties["CurrentVersion"]),
            target=str(properties["TargetVersion"]),
            outcome=self.next_outcome,
        )
        with self._lock:
            self.deployments[deployment.deployment_id] = deployment
        return deployment.deployment_id

    def _route(self, deployment: Deployment, version: str, weights: dict[str, float]) -> None:
        self.lambda_client.update_alias(
            FunctionName=deployment.function,
            Name=deployment.alias,
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights},
        )

    def advance(self, deployment_id: str) -> dict[str, Any] | None:
        """One step: InProgress with 10% on the target, then Succeeded (the alias on the target) or
        Stopped by the alarm (the alias back on the current version, nothing routed to the target)."""
        with self._lock:
            deployment = self.deployments.get(deployment_id)
            if deployment is None:
                return None
            deployment.steps += 1
            if deployment.steps == 1:
                self._route(deployment, deployment.current, {deployment.target: CANARY_WEIGHT})
                deployment.status = "InProgress"
            elif deployment.steps == 2 and deployment.outcome == "succeed":
                self._route(deployment, deployment.target, {})
                deployment.status = "Succeeded"
            elif deployment.steps == 2:
                self._route(deployment, deployment.current, {})
                deployment.status = "Stopped"
                deployment.info = {
                    "errorInformation": {
                        "code": "ALARM_ACTIVE",
                        "message": "One or more alarms have been activated according to the Amazon CloudWatch "
                        "metrics you selected, and the affected deployments have been stopped. Activated alarms: "
                        f"<{deployment.outcome}>",
                    },
                    "rollbackInfo": {
                        "rollbackMessage": f"Deployment {deployment_id} was rolled back: the alias is on version "
                        f"{deployment.current}"
                    },
                }
            return {
                "deploymentId": deployment.deployment_id,
                "applicationName": deployment.application,
                "deploymentGroupName": deployment.group,
                "deploymentConfigName": deployment.config,
                "status": deployment.status,
                "computePlatform": "Lambda",
                **deployment.info,
            }

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
