"""Lambda's API on 127.0.0.1, in front of functions running under aws-lambda-rie, with moto as
the control plane: what moto's Lambda does with Docker (it runs each function in a container with
the Runtime Interface Emulator), without Docker, plus the rules of Lambda that a release relies on
and moto does not model.

`POST /2015-03-31/functions/<name, name:qualifier or ARN>/invocations` (boto3's `invoke`, with or
without `Qualifier`) goes to the emulator of the version it names; the answer comes back as
Lambda sends it (`X-Amz-Executed-Version`, `X-Amz-Function-Error: Unhandled` when the function
failed, Lambda's error types otherwise). boto3 and the AWS CLI reach it with
`AWS_ENDPOINT_URL_LAMBDA`. Bounded: each invocation waits at most `timeout` seconds. With a
`control_plane` (a moto server's URL), every other Lambda call is passed on to moto, so that one
endpoint serves the whole Lambda API as a client sees it.

Modelled, from AWS's documentation ("Lambda function versions", "Lambda function aliases",
"Types of metrics for Lambda functions", "Lambda function states", "Configuring reserved
concurrency", the API reference of Invoke and DeleteFunction):
- Versions: `name` and `name:$LATEST` run $LATEST (the emulator given to the constructor),
  `name:N` runs version N (its emulator from `add_version`, else $LATEST's emulator once the control
  plane knows version N: the same binary), `name:alias` reads the alias from the control plane at
  each invocation and routes by its RoutingConfig: the primary version gets 1 - (sum of the
  AdditionalVersionWeights), drawn with a seeded generator (`seed`), so a run is repeatable.
- Metrics: each invocation (with a `metrics` writer, harness/cloudwatch.py) is recorded at the
  clock's time of the request, with its duration as measured here (the emulator's round trip),
  under Lambda's dimensions: FunctionName; FunctionName + Resource (`name:qualifier`) for a
  qualified invocation; + ExecutedVersion for an alias invocation.
- Reserved concurrency (PutFunctionConcurrency and DeleteFunctionConcurrency through this
  endpoint, passed on to moto): a request beyond the function's reserved concurrency, counted as
  requests in flight, is throttled: 429
  TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded, counted in
  Throttles and nowhere else.
- A version referenced by an alias (its version or one of its weights) cannot be deleted:
  "Unable to delete version because the following aliases reference it: [live]" (409).
- Provisioned concurrency (harness/provisioned_concurrency.py) and Managed Instances
  (harness/managed_instances.py): see their docstrings. UpdateAlias, PublishVersion,
  UpdateFunctionCode with Publish, CreateFunction with Publish and DeleteFunction go to moto
  through this endpoint, which follows them (a new version is counted against its capacity
  provider and starts Pending; a moved alias reallocates its provisioned concurrency).
  UpdateFunctionConfiguration has no Publish parameter in Lambda's API (botocore's model):
  publish a configuration change with PublishVersion.
- A runtime that exited (aws-lambda-rie answers 502 with no body: init failed, the process died)
  is answered as Lambda answers it: a function error of type `Runtime.ExitError`.
- Fault injection: `add_version(..., fault_rate=f)` makes that fraction of the version's
  invocations (deterministically, the k-th where floor(k * f) grows) answer as a function error
  (`X-Amz-Function-Error: Unhandled`, errorType `InjectedFault`) without running the emulator. It
  stands in for a new version that fails part of its traffic; Lambda has no such setting.

Omitted: asynchronous and dry-run invocation types (every invoke is RequestResponse), response
streaming, cold starts (and so provisioned concurrency's effect on them), account-level
concurrency and burst limits, payload size limits, and invocation of `$LATEST.PUBLISHED`. An alias
moved on moto directly (not through this endpoint) reallocates its provisioned concurrency when
the configuration is next read, from that moment, not from when it moved; reserved concurrency
put on moto directly is not seen.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from harness.clock import VirtualClock
from harness.cloudwatch import LambdaMetrics, is_alias
from harness.emulator import Invocation
from harness.lambda_control import ControlPlane, LambdaError, conflict, invalid, not_found
from harness.managed_instances import ManagedInstances
from harness.provisioned_concurrency import ProvisionedConcurrency

LATEST = "$LATEST"
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_PROVISIONED = re.compile(r"^/2019-09-30/functions/([^/]+)/provisioned-concurrency$")
_SCALING = re.compile(r"^/2025-11-30/functions/([^/]+)/function-scaling-config$")
_FUNCTIONS = "/2015-03-31/functions"
_FUNCTION = re.compile(r"^/2015-03-31/functions/([^/]+)$")
_CONFIGURATION = re.compile(r"^/2015-03-31/functions/([^/]+)/configuration$")
_CODE = re.compile(r"^/2015-03-31/functions/([^/]+)/code$")
_VERSIONS = re.compile(r"^/2015-03-31/functions/([^/]+)/versions$")
_ALIAS = re.compile(r"^/2015-03-31/functions/([^/]+)/aliases/([^/]+)$")
_CONCURRENCY = re.compile(r"^/2017-10-31/functions/([^/]+)/concurrency$")
# A function name, or an ARN `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$._-]+))?$")


def split_identifier(identifier: str) -> tuple[str, str | None]:
    """(function name, qualifier or None) of a name, `name:qualifier` or an ARN."""
    match = _ARN.match(identifier)
    if match:
        return match.group(1), match.group(2)
    name, _, qualifier = identifier.partition(":")
    return name, qualifier or None


def function_name(identifier: str) -> str:
    return split_identifier(identifier)[0]


class Invocable(Protocol):
    """What runs a version: harness/emulator.py's Emulator (aws-lambda-rie and a bootstrap)."""

    def invoke(self, payload: Any, raw: bytes | None = None, timeout: float = 60) -> Invocation: ...


@dataclass
class _Version:
    emulator: Invocable | None
    fault_rate: Fraction
    invocations: int = 0
    # aws-lambda-rie serves one invocation at a time.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_is_fault(self) -> bool:
        """Counts an invocation; True for the k-th where floor(k * fault_rate) grows."""
        self.invocations += 1
        k = self.invocations
        return int(k * self.fault_rate) > int((k - 1) * self.fault_rate)


@dataclass
class Request:
    method: str
    raw_path: str  # as it came, with its query string: what is forwarded to moto
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]

    def json(self) -> dict[str, Any]:
        try:
            found = json.loads(self.body) if self.body else {}
        except json.JSONDecodeError:
            raise invalid("the request body is not JSON") from None
        if not isinstance(found, dict):
            raise invalid("the request body must be a JSON object")
        return found


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, status: int, found: Mapping[str, Any]) -> Response:
        return cls(status, json.dumps(found).encode())

    def json(self) -> dict[str, Any]:
        found = json.loads(self.body) if self.body else {}
        return found if isinstance(found, dict) else {}


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

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        parts = urllib.parse.urlsplit(self.path)
        request = Request(
            method=self.command,
            raw_path=self.path,
            path=parts.path,
            query=dict(urllib.parse.parse_qsl(parts.query)),
            body=self.rfile.read(length) if length else b"",
            headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
        )
        try:
            response = self.server.api.handle(request)
        except LambdaError as error:
            response = Response(error.status, error.body(), {"x-amzn-ErrorType": error.error_type})
        self.send_response(response.status)
        for name, value in {"Content-Type": "application/json", **response.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_PUT = do_DELETE = do_POST = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: LambdaApi


@dataclass
class _ControlRules:
    """The control plane (moto) and the rules of Lambda kept beside it."""

    control: ControlPlane
    provisioned: ProvisionedConcurrency
    managed: ManagedInstances


class LambdaApi:
    """Serves `functions` (function name -> the emulator of its $LATEST, which also runs every
    published version given no emulator of its own by `add_version`) until `close`."""

    def __init__(
        self,
        functions: Mapping[str, Invocable],
        timeout: float = 60,
        control_plane: str | None = None,
        *,
        clock: VirtualClock | None = None,
        metrics: LambdaMetrics | None = None,
        seed: int = 0,
        provisioned_allocation_seconds: float = 120.0,
        provisioned_account_limit: int = 1000,
        managed_activation_seconds: float = 60.0,
        managed_scaling_seconds: float = 30.0,
    ) -> None:
        self.timeout = timeout
        self.control_plane = control_plane
        self.now: Callable[[], float] = clock.now if clock is not None else time.time
        self.metrics = metrics
        self._versions: dict[str, dict[str, _Version]] = {
            name: {LATEST: _Version(emulator, Fraction(0))} for name, emulator in functions.items()
        }
        self._random = random.Random(seed)
        self._in_flight: dict[str, int] = {}
        self._reserved: dict[str, int] = {}  # reserved concurrency, as put through this endpoint
        self._lock = threading.Lock()
        self.rules: _ControlRules | None = None
        if control_plane is not None:
            control = ControlPlane(control_plane)
            self.rules = _ControlRules(
                control,
                ProvisionedConcurrency(control, self.now, provisioned_allocation_seconds, provisioned_account_limit),
                ManagedInstances(control, self.now, managed_activation_seconds, managed_scaling_seconds),
            )
        # Port 0: the kernel picks a free port at bind, with no window for another process to take it.
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server.api = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def add_version(self, function: str, version: str, emulator: Invocable | None, fault_rate: float = 0.0) -> None:
        """Runs `version` of `function` on `emulator`; `fault_rate` of its invocations answer as a
        function error instead (an emulator may be None only when every invocation faults)."""
        if not 0 <= fault_rate <= 1:
            raise ValueError(f"fault_rate of {function}:{version} must be between 0 and 1, got {fault_rate}")
        if emulator is None and fault_rate != 1:
            raise ValueError(f"{function}:{version} needs an emulator unless fault_rate is 1 (every invocation fails)")
        if not (version == LATEST or version.isdigit()):
            raise ValueError(
                f"{function}: a version is $LATEST or a number, got {version!r} (aliases route to versions)"
            )
        with self._lock:
            self._versions.setdefault(function, {})[version] = _Version(
                emulator, Fraction(fault_rate).limit_denominator(1_000_000)
            )

    def register_capacity_provider(self, function: str, provider_name: str) -> None:
        """`function` runs on Lambda Managed Instances, on the capacity provider `provider_name`."""
        if self.rules is None:
            raise ValueError("Managed Instances need a control plane: give LambdaApi control_plane=<moto URL>")
        self.rules.managed.register(function, provider_name)

    # -- routing ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path, method = request.path, request.method
        match = _INVOKE.match(path)
        if match and method == "POST":
            return self._invoke(urllib.parse.unquote(match.group(1)), request)
        rules = self.rules
        if rules is None:
            return Response(404, b'{"message": "unknown path"}', {"x-amzn-ErrorType": "UnknownOperationException"})
        qualifier = request.query.get("Qualifier")
        if match := _PROVISIONED.match(path):
            name = function_name(urllib.parse.unquote(match.group(1)))
            if method == "PUT":
                return Response.of(202, rules.provisioned.put(name, qualifier, request.json()))
            if method == "DELETE":
                rules.provisioned.delete(name, qualifier)
                return Response(204, b"")
            if request.query.get("List") == "ALL":
                return Response.of(200, rules.provisioned.list(name))
            return Response.of(200, rules.provisioned.get(name, qualifier))
        if match := _SCALING.match(path):
            name = function_name(urllib.parse.unquote(match.group(1)))
            if method == "PUT":
                return Response.of(202, rules.managed.put_scaling(name, qualifier, request.json()))
            return Response.of(200, rules.managed.get_scaling(name, qualifier))
        if method == "POST" and path == _FUNCTIONS:
            return self._publishing(rules, request, str(request.json().get("FunctionName", "")))
        if method == "POST" and (match := _VERSIONS.match(path)):
            return self._publishing(rules, request, function_name(urllib.parse.unquote(match.group(1))))
        if method == "PUT" and (match := _CODE.match(path)) and request.json().get("Publish"):
            return self._publishing(rules, request, function_name(urllib.parse.unquote(match.group(1))))
        if method == "DELETE" and (match := _FUNCTION.match(path)):
            return self._delete(rules, request, urllib.parse.unquote(match.group(1)))
        if method == "PUT" and (match := _ALIAS.match(path)):
            answer = self._forward(request)
            if 200 <= answer.status < 300:  # moto answers 201 where Lambda answers 200
                name, alias = function_name(urllib.parse.unquote(match.group(1))), urllib.parse.unquote(match.group(2))
                rules.provisioned.alias_moved(name, alias, str(answer.json()["FunctionVersion"]))
            return answer
        if method in ("PUT", "DELETE") and (match := _CONCURRENCY.match(path)):
            answer = self._forward(request)
            if 200 <= answer.status < 300:
                name = function_name(urllib.parse.unquote(match.group(1)))
                with self._lock:
                    if method == "PUT":
                        self._reserved[name] = int(request.json()["ReservedConcurrentExecutions"])
                    else:
                        self._reserved.pop(name, None)
            return answer
        if method == "GET" and (match := _CONFIGURATION.match(path) or _FUNCTION.match(path)):
            return self._with_state(rules, request, urllib.parse.unquote(match.group(1)))
        return self._forward(request)

    def _forward(self, request: Request) -> Response:
        """Passes a control-plane call on to moto as it came (the signature covers the host moto
        ignores), and its answer back."""
        forwarded = urllib.request.Request(
            f"{self.control_plane}{request.raw_path}",
            data=request.body if request.method in ("POST", "PUT") else None,
            headers=request.headers,
            method=request.method,
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=self.timeout) as answer:
                status, body, headers = answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            status, body, headers = error.code, error.read(), dict(error.headers)
        dropped = ("content-length", "transfer-encoding", "connection")
        return Response(status, body, {k: v for k, v in headers.items() if k.lower() not in dropped})

    # -- the control plane's rules ---------------------------------------------------------------

    def _publishing(self, rules: _ControlRules, request: Request, function: str) -> Response:
        """A call that may publish versions: checked against the capacity provider first, and each
        new version followed (Pending on Managed Instances)."""
        body = request.json()
        if request.path == _FUNCTIONS:
            config = (body.get("CapacityProviderConfig") or {}).get("LambdaManagedInstancesCapacityProviderConfig")
            if config and config.get("CapacityProviderArn"):
                # arn:aws:lambda:<region>:<account>:capacity-provider:<name>
                rules.managed.register(function, str(config["CapacityProviderArn"]).rsplit(":", 1)[-1])
        if not rules.managed.is_managed(function):
            return self._forward(request)
        rules.managed.check_publish(function, body)
        before = set(rules.control.versions(function)) if rules.control.exists(function) else set()
        answer = self._forward(request)
        if 200 <= answer.status < 300:
            for version in sorted(set(rules.control.versions(function)) - before, key=int):
                rules.managed.published(function, version)
        return answer

    def _delete(self, rules: _ControlRules, request: Request, identifier: str) -> Response:
        function, qualifier = split_identifier(identifier)
        qualifier = request.query.get("Qualifier") or qualifier
        if qualifier is not None and qualifier.isdigit() and rules.control.exists(function):
            referencing = sorted(a.name for a in rules.control.aliases(function) if qualifier in a.versions())
            if referencing:
                raise conflict(
                    f"Unable to delete version because the following aliases reference it: [{', '.join(referencing)}]"
                )
        answer = self._forward(request)
        if 200 <= answer.status < 300:
            rules.provisioned.forget(function, qualifier)
            rules.managed.forget(function, qualifier)
        return answer

    def _with_state(self, rules: _ControlRules, request: Request, identifier: str) -> Response:
        """GetFunction(Configuration) of a Managed Instances version, with its Pending/Active state."""
        function, qualifier = split_identifier(identifier)
        qualifier = request.query.get("Qualifier") or qualifier
        answer = self._forward(request)
        fields = rules.managed.configuration_fields(function, qualifier or "")
        if answer.status != 200 or not fields:
            return answer
        found = answer.json()
        found.get("Configuration", found).update(fields)
        return Response(200, json.dumps(found).encode(), answer.headers)

    # -- invocations -----------------------------------------------------------------------------

    def _route(self, function: str, alias: str) -> str:
        """The version an invocation of the alias runs, by the alias's weights (seeded draw)."""
        if self.rules is None:
            raise not_found(function, alias)
        try:
            found = self.rules.control.alias(function, alias)
        except LambdaError as error:
            if error.status == 404:
                raise not_found(function, alias) from None
            raise
        with self._lock:
            draw = self._random.random()
        for version, weight in sorted(found.weights.items()):
            if draw < weight:
                return version
            draw -= weight
        return found.version

    def _default_for(self, function: str, version: str) -> _Version:
        """A published version without an emulator of its own runs on the function's $LATEST
        emulator (the same binary), once the control plane knows the version."""
        default = self._versions[function].get(LATEST)
        exists = version.isdigit() and (self.rules is None or version in self.rules.control.versions(function))
        if default is None or not exists:
            raise not_found(function, version)
        with self._lock:
            return self._versions[function].setdefault(
                version, _Version(default.emulator, Fraction(0), lock=default.lock)
            )

    def _invoke(self, identifier: str, request: Request) -> Response:
        function, qualifier = split_identifier(identifier)
        asked = request.query.get("Qualifier")
        if asked and qualifier and asked != qualifier:
            raise invalid("The derived qualifier from the function name does not match the specified qualifier.")
        qualifier = asked or qualifier
        versions = self._versions.get(function)
        if versions is None:
            raise not_found(function, qualifier)
        at = self.now()
        resource = f"{function}:{qualifier}" if qualifier else None
        if qualifier is None:
            version = LATEST
        elif is_alias(qualifier):
            version = self._route(function, qualifier)
        else:
            version = qualifier
        executed = version if qualifier is not None and is_alias(qualifier) else None
        target = versions.get(version) or self._default_for(function, version)
        if self.rules is not None:
            self.rules.managed.check_invocable(function, version)
        with self._lock:
            in_flight, reserved = self._in_flight.get(function, 0), self._reserved.get(function)
        if reserved is not None and in_flight >= reserved:
            if self.metrics is not None:
                self.metrics.record_throttle(function, resource, None, at)
            raise LambdaError(
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
            )
        with self._lock:
            self._in_flight[function] = self._in_flight.get(function, 0) + 1
        try:
            started = time.perf_counter()
            with target.lock:
                fault = target.next_is_fault()
                if fault or target.emulator is None:
                    body: Any = {
                        "errorType": "InjectedFault",
                        "errorMessage": f"fault injected into {function}:{version}",
                    }
                    is_error = True
                else:
                    invocation = target.emulator.invoke(None, raw=request.body, timeout=self.timeout)
                    body, is_error = invocation.body, invocation.is_error
                    if invocation.status >= 500 and not body:
                        # aws-lambda-rie answers 502 with no body when the runtime exited (init
                        # failed, the process died); Lambda answers the invocation with this error.
                        body = {
                            "errorType": "Runtime.ExitError",
                            "errorMessage": f"RequestId: {invocation.request_id} Error: Runtime exited with an error",
                        }
                        is_error = True
            duration_ms = (time.perf_counter() - started) * 1000
        finally:
            with self._lock:
                self._in_flight[function] -= 1
        if self.metrics is not None:
            self.metrics.record_invocation(function, resource, executed, duration_ms, is_error, at)
        headers = {"X-Amz-Executed-Version": version}
        if is_error:
            headers["X-Amz-Function-Error"] = "Unhandled"
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(200, text.encode(), headers)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
