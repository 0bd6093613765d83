"""A client for a CrossGuard policy pack over Pulumi's Analyzer gRPC protocol, without the Pulumi CLI.

`PolicyPackClient` starts the pack exactly as the engine does: `python -u -m pulumi.policy
<engine address> <absolute pack dir>`, in the project's directory, with a small in-process Engine
service at the engine address (it collects the pack's log messages). The pack prints its gRPC port
as the first line of its stdout; the client then speaks the Analyzer service to it:

    with PolicyPackClient(REPO_ROOT / "policies") as pack:
        pack.configure({"lambda-function-url-auth": {"allowedPublicFunctions": ["my-fn"]}})
        diagnostics = pack.analyze("aws:lambda/function:Function", "fn", urn, inputs)
        diagnostics += pack.analyze_stack(registrations_to_resources(plan["registrations"]))

Properties are given in Pulumi's wire format (what offline.engine records: camelCase keys, secrets
and archives as signature-keyed dicts, unknowns as the unknown sentinel).
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parent.parent
LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "disabled": analyzer_pb2.DISABLED,
    "remediate": analyzer_pb2.REMEDIATE,
}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
POLICY_TYPES = {
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}


class PolicyPackError(RuntimeError):
    """The pack did not start, or a call to it failed."""


@dataclass(frozen=True)
class Diagnostic:
    """One violation (or preview notice) as the pack reports it."""

    policy_name: str
    # The full message as the CLI shows it: the policy's description, a newline, the violation.
    message: str
    enforcement_level: str  # "advisory", "mandatory", "disabled" or "remediate"
    urn: str
    description: str = ""

    @property
    def violation(self) -> str:
        """The message without the policy's description in front."""
        prefix = f"{self.description}\n"
        return self.message.removeprefix(prefix) if self.description else self.message


@dataclass(frozen=True)
class NotApplicable:
    policy_name: str
    reason: str


@dataclass(frozen=True)
class AnalyzeResult:
    diagnostics: list[Diagnostic]
    not_applicable: list[NotApplicable]


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement_level: str
    policy_type: str  # "resource" or "stack"
    config_schema: dict[str, Any]


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    policies: list[PolicyInfo]

    def policy(self, name: str) -> PolicyInfo:
        return next(p for p in self.policies if p.name == name)


@dataclass(frozen=True)
class StackResource:
    """One resource of an AnalyzeStack request."""

    urn: str
    type: str
    name: str
    properties: Mapping[str, Any]
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LogMessage:
    severity: str
    message: str
    urn: str


class _Engine(engine_pb2_grpc.EngineServicer):
    """The part of Pulumi's Engine service a policy pack may call: logging and the root resource."""

    def __init__(self) -> None:
        self.logs: list[LogMessage] = []
        self.root_resource = ""

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        severity = engine_pb2.LogSeverity.Name(request.severity).lower()
        self.logs.append(LogMessage(severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(
        self, request: engine_pb2.GetRootResourceRequest, context: grpc.ServicerContext
    ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self.root_resource)

    def SetRootResource(
        self, request: engine_pb2.SetRootResourceRequest, context: grpc.ServicerContext
    ) -> engine_pb2.SetRootResourceResponse:
        self.root_resource = request.urn
        return engine_pb2.SetRootResourceResponse()


def _struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(properties))
    return struct


def _diagnostics(response: analyzer_pb2.AnalyzeResponse) -> AnalyzeResult:
    return AnalyzeResult(
        diagnostics=[
            Diagnostic(
                policy_name=d.policyName,
                message=d.message,
                enforcement_level=LEVEL_NAMES[d.enforcementLevel],
                urn=d.urn,
                description=d.description,
            )
            for d in response.diagnostics
        ],
        not_applicable=[NotApplicable(n.policy_name, n.reason) for n in response.not_applicable],
    )


class PolicyPackClient:
    """A running policy pack. Close it (or use it as a context manager) to stop its process."""

    def __init__(
        self,
        pack_dir: Path,
        cwd: Path = REPO_ROOT,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
        call_timeout: float = 60.0,
    ) -> None:
        self._call_timeout = call_timeout
        self._engine = _Engine()
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self._engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port("127.0.0.1:0")
        self._engine_server.start()
        self._stderr: list[str] = []
        self._stdout: queue.Queue[str | None] = queue.Queue()
        self._process = subprocess.Popen(
            [python, "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", str(Path(pack_dir).resolve())],
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self._info: PackInfo | None = None
        try:
            port = self._read_port(start_timeout)
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(self._channel).result(timeout=start_timeout)
        except BaseException:
            self.close()
            raise
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    @property
    def pid(self) -> int:
        """The pack process's id (for measurements)."""
        return self._process.pid

    # --- process plumbing ---

    def _read_stdout(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._stdout.put(line)
        self._stdout.put(None)

    def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line)

    def _read_port(self, timeout: float) -> int:
        try:
            line = self._stdout.get(timeout=timeout)
        except queue.Empty:
            raise PolicyPackError(f"the policy pack printed no port within {timeout:.0f}s:\n{self.stderr}") from None
        if line is None or not line.strip().isdigit():
            self._process.wait(timeout=10)
            raise PolicyPackError(
                f"the policy pack exited (code {self._process.returncode}) before printing its port "
                f"(first line {line!r}):\n{self.stderr}"
            )
        return int(line)

    @property
    def stderr(self) -> str:
        """What the pack wrote to stderr so far (its log output and tracebacks)."""
        return "".join(self._stderr)

    @property
    def logs(self) -> list[LogMessage]:
        """Log messages the pack sent to the engine."""
        return list(self._engine.logs)

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self._stub, method)(request, timeout=self._call_timeout)
        except grpc.RpcError as e:
            raise PolicyPackError(f"{method} failed: {e}\n{self.stderr}") from e

    # --- the Analyzer service ---

    def info(self) -> PackInfo:
        """GetAnalyzerInfo: the pack's name and policies with their default enforcement levels."""
        if self._info is None:
            response = self._call("GetAnalyzerInfo", empty_pb2.Empty())
            self._info = PackInfo(
                name=response.name,
                version=response.version,
                policies=[
                    PolicyInfo(
                        name=p.name,
                        description=p.description,
                        enforcement_level=LEVEL_NAMES[p.enforcementLevel],
                        policy_type=POLICY_TYPES.get(p.policy_type, "unspecified"),
                        config_schema=json_format.MessageToDict(p.configSchema.properties),
                    )
                    for p in response.policies
                ],
            )
        return self._info

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """Configure, as the engine sends it: per policy name, an optional "enforcementLevel"
        ("advisory", "mandatory", "disabled", "remediate") and the policy's config properties. A
        policy without an enforcementLevel keeps its default (the protocol's zero value would be
        advisory, so the default is sent explicitly, as the engine does). Each call replaces the
        previous configuration."""
        defaults = {p.name: p.enforcement_level for p in self.info().policies}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy_name, values in config.items():
            if policy_name not in defaults:
                raise PolicyPackError(f"the pack has no policy {policy_name!r}")
            properties = {k: v for k, v in values.items() if k != "enforcementLevel"}
            level = values.get("enforcementLevel", defaults[policy_name])
            policy_config = request.policyConfig[policy_name]
            policy_config.enforcementLevel = LEVELS[level]
            policy_config.properties.update(properties)
        self._call("Configure", request)

    def analyze_result(
        self, type_: str, name: str, urn: str, properties: Mapping[str, Any], parent: str = ""
    ) -> AnalyzeResult:
        """Analyze one resource: its diagnostics and the policies that reported themselves not
        applicable."""
        request = analyzer_pb2.AnalyzeRequest(
            type=type_,
            name=name,
            urn=urn,
            properties=_struct(properties),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=parent),
        )
        return _diagnostics(self._call("Analyze", request))

    def analyze(
        self, type_: str, name: str, urn: str, properties: Mapping[str, Any], parent: str = ""
    ) -> list[Diagnostic]:
        """Analyze one resource (the resource policies)."""
        return self.analyze_result(type_, name, urn, properties, parent).diagnostics

    def analyze_stack_result(self, resources: Iterable[StackResource]) -> AnalyzeResult:
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    urn=r.urn,
                    type=r.type,
                    name=r.name,
                    properties=_struct(r.properties),
                    parent=r.parent,
                    dependencies=list(r.dependencies),
                    propertyDependencies={
                        k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
                        for k, v in r.property_dependencies.items()
                    },
                    options=analyzer_pb2.AnalyzerResourceOptions(parent=r.parent),
                )
                for r in resources
            ]
        )
        return _diagnostics(self._call("AnalyzeStack", request))

    def analyze_stack(self, resources: Iterable[StackResource]) -> list[Diagnostic]:
        """AnalyzeStack: every resource at once (the stack policies)."""
        return self.analyze_stack_result(resources).diagnostics

    # --- lifetime ---

    def close(self) -> None:
        """Stops the pack's process (terminate, then kill after 5 s) and the engine service."""
        channel = getattr(self, "_channel", None)
        if channel is not None:
            channel.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()
        self._engine_server.stop(grace=None)

    def __enter__(self) -> PolicyPackClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def registrations_to_resources(registrations: Iterable[Mapping[str, Any]]) -> list[StackResource]:
    """offline.engine registrations (dicts: urn, type, name, inputs, parent, dependencies,
    property_dependencies) as AnalyzeStack resources."""
    resources: list[StackResource] = []
    for r in registrations:
        resources.append(
            StackResource(
                urn=r["urn"],
                type=r["type"],
                name=r["name"],
                properties=dict(r.get("inputs") or {}),
                parent=r.get("parent") or "",
                dependencies=list(r.get("dependencies") or []),
                property_dependencies={k: list(v) for k, v in (r.get("property_dependencies") or {}).items()},
            )
        )
    return resources
