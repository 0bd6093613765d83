"""Lambda's Extensions API and Telemetry API, of our own, beside the Runtime API of
harness/runtime_api.py on the same 127.0.0.1 address (as Lambda serves all three on
AWS_LAMBDA_RUNTIME_API).

aws-lambda-rie runs extensions and accepts a Telemetry API subscription, but never delivers a
telemetry event, so what an extension does with platform events is tested here: the test registers
nothing itself; it starts the extension against this server, POSTs batches of platform events to
the destination the extension subscribed with (`sandbox.localdomain` is this machine), hands out
INVOKE and SHUTDOWN events, and reads what the extension wrote. Each invocation the runtime takes
is handed to every extension registered for INVOKE, as Lambda does, and ends, as on Lambda, when
the runtime has answered and every extension registered for INVOKE has asked for its next event
(`invocation_end`); `deliver` sends an invocation's platform events to the subscribers as Lambda's
Telemetry API does (`platform_events`). The benchmarks time an init with an extension against this
server (init ends when the runtime and every extension have asked for their next event) and the
invocations after it.

What it leaves out of Lambda: the freeze between invocations (an extension runs all the time here,
as on Lambda Managed Instances), the Telemetry API's own buffering (a batch goes out when
`deliver` is called) and events other than an invocation's `platform.start`,
`platform.runtimeDone` and `platform.report`.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.runtime_api import RuntimeApi, RuntimeApiHandler

EXTENSION_PREFIX = "/2020-01-01/extension"
TELEMETRY_PATH = "/2022-07-01/telemetry"


@dataclass
class Extension:
    """One registered extension, as the Extensions API sees it."""

    name: str
    events: list[str]
    registered_at: float  # time.perf_counter()
    pending: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    # time.perf_counter() of every GET .../event/next, in order.
    next_at: list[float] = field(default_factory=list)
    subscription: dict[str, Any] | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (init|exit, error type)

    @property
    def first_next_at(self) -> float | None:
        """When the extension first asked for an event: the end of its init."""
        return self.next_at[0] if self.next_at else None


@dataclass
class ExtensionsState:
    """What the extensions did; the subscription answer is the test's choice."""

    extensions: dict[str, Extension] = field(default_factory=dict)
    subscription_status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)


class ExtensionsApiHandler(RuntimeApiHandler):
    """Routes the Extensions API and the Telemetry API; everything else is the Runtime API."""

    extensions: ExtensionsState  # set per server by ExtensionsApi
    function_name: str

    def _extension(self) -> Extension | None:
        return self.extensions.extensions.get(self.headers.get("Lambda-Extension-Identifier", ""))

    def do_GET(self) -> None:
        if self.path != f"{EXTENSION_PREFIX}/event/next":
            super().do_GET()
            return
        asked_at = time.perf_counter()
        extension = self._extension()
        if extension is None:
            self._reply(403)
            return
        with self.extensions.changed:
            extension.next_at.append(asked_at)
            self.extensions.changed.notify_all()
        while True:
            try:
                event = extension.pending.get(timeout=0.5)
                break
            except queue.Empty:
                if self.server.closing:
                    return
        body = json.dumps(event).encode()
        self._reply(200, body, {"Content-Type": "application/json"})

    def do_POST(self) -> None:
        if self.path == f"{EXTENSION_PREFIX}/register":
            body = self._json() or {}
            extension_id = str(uuid.uuid4())
            with self.extensions.changed:
                self.extensions.extensions[extension_id] = Extension(
                    name=self.headers.get("Lambda-Extension-Name", ""),
                    events=list(body.get("events") or []),
                    registered_at=time.perf_counter(),
                )
                self.extensions.changed.notify_all()
            answer = {"functionName": self.function_name, "functionVersion": "$LATEST", "handler": "bootstrap"}
            self._reply(
                200,
                json.dumps(answer).encode(),
                {"Content-Type": "application/json", "Lambda-Extension-Identifier": extension_id},
            )
            return
        if self.path in (f"{EXTENSION_PREFIX}/init/error", f"{EXTENSION_PREFIX}/exit/error"):
            self._json()
            extension = self._extension()
            with self.extensions.changed:
                if extension is not None:
                    phase = self.path.split("/")[-2]
                    extension.errors.append((phase, self.headers.get("Lambda-Extension-Function-Error-Type", "")))
                self.extensions.changed.notify_all()
            self._reply(202)
            return
        super().do_POST()

    def do_PUT(self) -> None:
        body = self._json()
        extension = self._extension()
        if self.path != TELEMETRY_PATH or extension is None:
            self._reply(404)
            return
        status = self.extensions.subscription_status
        with self.extensions.changed:
            if status == 200:
                extension.subscription = body
            self.extensions.changed.notify_all()
        self._reply(status, b'"OK"' if status == 200 else b'{"errorType": "Refused"}')

    def dispatched(self, request_id: str) -> None:
        invoke = {
            "eventType": "INVOKE",
            "deadlineMs": int((time.time() + 60) * 1000),
            "requestId": request_id,
            "invokedFunctionArn": self.server.function_arn,
            "tracing": {"type": "X-Amzn-Trace-Id", "value": f"Root=1-00000000-{request_id[:24]}"},
        }
        with self.extensions.lock:
            for extension in self.extensions.extensions.values():
                if "INVOKE" in extension.events:
                    extension.pending.put(invoke)


class ExtensionsApi(RuntimeApi):
    """The Runtime, Extensions and Telemetry APIs of one execution environment."""

    def __init__(self, function_name: str, memory_mb: int = 128) -> None:
        self.extensions = ExtensionsState()
        handler = type(
            "Handler", (ExtensionsApiHandler,), {"extensions": self.extensions, "function_name": function_name}
        )
        super().__init__(function_name, memory_mb, handler=handler)

    def wait_until(self, condition: Any, timeout: float, what: str) -> None:
        """Waits until `condition(state)` holds; fails after `timeout` seconds naming `what`."""
        deadline = time.monotonic() + timeout
        with self.extensions.changed:
            while not condition(self.extensions):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
                self.extensions.changed.wait(remaining)

    def only_extension(self, timeout: float = 30) -> Extension:
        """The one extension, once it has registered."""
        self.wait_until(lambda s: len(s.extensions) == 1, timeout, "an extension to register")
        (extension,) = self.extensions.extensions.values()
        return extension

    def wait_ready(self, extension: Extension, timeout: float = 30) -> None:
        """Until the extension has finished its init (its first request for an event)."""
        self.wait_until(lambda _: extension.first_next_at is not None, timeout, f"{extension.name} to be ready")

    def shutdown(self, extension: Extension, deadline_s: float = 2) -> None:
        """Hands the extension its SHUTDOWN event."""
        deadline_ms = int((time.time() + deadline_s) * 1000)
        extension.pending.put({"eventType": "SHUTDOWN", "shutdownReason": "spindown", "deadlineMs": deadline_ms})

    def invocation_end(self, request_id: str, timeout: float) -> tuple[float, float]:
        """When invocation `request_id` was handed to the runtime and when it ended: the runtime's
        response, or later the first request for an event after it from each extension
        registered for INVOKE (Lambda waits for both before the invocation is over)."""
        outcome = self.wait_for([request_id], timeout)[request_id]
        dispatched = self.state.dispatched_at[request_id]
        invoked = [e for e in self.extensions.extensions.values() if "INVOKE" in e.events]
        self.wait_until(
            lambda _: all(any(t > dispatched for t in e.next_at) for e in invoked),
            timeout,
            f"the extensions registered for INVOKE to finish invocation {request_id}",
        )
        with self.extensions.lock:
            ends = [outcome.received_at, *(min(t for t in e.next_at if t > dispatched) for e in invoked)]
        return dispatched, max(ends)

    def deliver(self, events: list[dict[str, Any]], timeout: float = 10) -> list[int]:
        """Sends one batch to every subscribed extension, as the Telemetry API does; their answers."""
        with self.extensions.lock:
            subscribed = [e for e in self.extensions.extensions.values() if e.subscription is not None]
        return [self.post_telemetry(extension, events, timeout) for extension in subscribed]

    def post_telemetry(self, extension: Extension, body: bytes | list[Any], timeout: float = 10) -> int:
        """POSTs one batch where the extension subscribed to receive them; the HTTP status it answered."""
        if extension.subscription is None:
            raise RuntimeError(f"{extension.name} has not subscribed to the Telemetry API")
        destination = urllib.parse.urlsplit(extension.subscription["destination"]["URI"])
        if destination.hostname != "sandbox.localdomain" or destination.port is None:
            raise RuntimeError(
                f"{extension.name} subscribed with {destination.geturl()}: Lambda needs sandbox.localdomain"
            )
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        # sandbox.localdomain is the execution environment: this machine.
        url = f"http://127.0.0.1:{destination.port}{destination.path or '/'}"
        request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def platform_events(
    request_id: str, started: float, responded: float, ended: float, memory_mb: int = 128
) -> list[dict[str, Any]]:
    """An invocation's platform events as the Telemetry API sends them (schema 2025-01-29), from
    its times (time.perf_counter()): handed out, answered by the runtime, over."""
    now = datetime.now(UTC)

    def at(perf: float) -> str:
        return (now - timedelta(seconds=ended - perf)).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    runtime_ms, duration_ms = round((responded - started) * 1000, 3), round((ended - started) * 1000, 3)
    metrics = {
        "durationMs": duration_ms,
        "billedDurationMs": math.ceil(duration_ms),
        "memorySizeMB": memory_mb,
        "maxMemoryUsedMB": 20,
    }
    return [
        {"time": at(started), "type": "platform.start", "record": {"requestId": request_id, "version": "$LATEST"}},
        {
            "time": at(responded),
            "type": "platform.runtimeDone",
            "record": {"requestId": request_id, "status": "success", "metrics": {"durationMs": runtime_ms}},
        },
        {
            "time": at(ended),
            "type": "platform.report",
            "record": {"requestId": request_id, "status": "success", "metrics": metrics},
        },
    ]
