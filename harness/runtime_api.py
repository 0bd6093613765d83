"""A Lambda Runtime API of our own for ONE runtime process, bound to 127.0.0.1 on a free port.

aws-lambda-rie serves one invocation at a time and starts the runtime only at the first invoke, so
two things are measured against this server instead: Managed Instances concurrency (the e2e tests
hand many invocations at once to one process and read how many were in flight together) and cold
starts (the benchmarks read when a fresh process first asks for work, which ends Lambda's init
phase, and when its first response arrives). It implements the runtime side of the API: next,
response, error and init/error.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.processes import wait_until

PREFIX = "/2018-06-01/runtime"


@dataclass
class Outcome:
    kind: str  # "response" or "error"
    body: Any
    received_at: float  # time.perf_counter() when the runtime had sent it


@dataclass
class State:
    pending: queue.Queue[tuple[str, bytes]] = field(default_factory=queue.Queue)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)
    max_in_flight: int = 0
    # time.perf_counter() of every GET .../invocation/next, in order: when the runtime was done with
    # the previous invocation (bench.otel: the export after each response).
    next_at: list[float] = field(default_factory=list)
    # time.perf_counter() when the runtime took each invocation, by request id.
    dispatched_at: dict[str, float] = field(default_factory=dict)
    init_errors: list[Any] = field(default_factory=list)
    # X-Ray trace headers given to `submit`, by request id (others get one of our own).
    trace_ids: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.done = threading.Condition(self.lock)

    @property
    def first_next_at(self) -> float | None:
        """time.perf_counter() of the runtime's first GET .../invocation/next: on Lambda, the end
        of init."""
        return self.next_at[0] if self.next_at else None


class RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A reply goes out as two writes (head, then body): with Nagle's algorithm the body would wait
    # for the client's delayed ACK of the head, 40 ms on Linux, on every warm invocation.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self) -> Any:
        """The request's body as JSON; as text when it is not JSON (what a runtime sent is kept
        for the test to read, whatever it was); None when empty."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return raw.decode(errors="replace")

    def do_GET(self) -> None:
        asked_at = time.perf_counter()
        if self.path != f"{PREFIX}/invocation/next":
            self._reply(404)
            return
        state = self.server.state
        with state.lock:
            state.next_at.append(asked_at)
        while True:
            try:
                request_id, payload = state.pending.get(timeout=0.5)
                break
            except queue.Empty:
                if self.server.closing:
                    return
        with state.lock:
            state.dispatched_at[request_id] = time.perf_counter()
            state.in_flight.add(request_id)
            state.max_in_flight = max(state.max_in_flight, len(state.in_flight))
        self.dispatched(request_id)
        deadline_ms = int((time.time() + 60) * 1000)
        self._reply(
            200,
            payload,
            {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": self.server.function_arn,
                "Lambda-Runtime-Trace-Id": state.trace_ids.get(request_id, f"Root=1-00000000-{request_id[:24]}"),
            },
        )

    def dispatched(self, request_id: str) -> None:
        """Called when the runtime takes invocation `request_id` (a subclass hands it to extensions)."""

    def do_POST(self) -> None:
        body = self._json()
        received_at = time.perf_counter()
        state = self.server.state
        parts = self.path.removeprefix(f"{PREFIX}/").split("/")
        if parts == ["init", "error"]:
            with state.done:
                state.init_errors.append(body)
                state.done.notify_all()
            self._reply(202)
            return
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            with state.done:
                state.in_flight.discard(parts[1])
                state.outcomes[parts[1]] = Outcome(parts[2], body, received_at)
                state.done.notify_all()
            self._reply(202)
            return
        self._reply(404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State
    function_arn: str
    closing: bool = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A runtime stopped while it waits for work resets its connection: expected, not reported.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class RuntimeApi:
    def __init__(
        self,
        function_name: str,
        memory_mb: int = 128,
        version: str = "$LATEST",
        handler: type[RuntimeApiHandler] | None = None,
    ) -> None:
        self._server = _Server(("127.0.0.1", 0), handler or RuntimeApiHandler)
        self._server.state = State()
        self._server.function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._env = {
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": version,
        }
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def state(self) -> State:
        return self._server.state

    def runtime_env(self) -> dict[str, str]:
        """The environment Lambda gives a runtime, pointing it at this server."""
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_LAMBDA_RUNTIME_API": self.address, **self._env}

    def submit(self, payload: Any, trace_id: str | None = None) -> str:
        """Queues an invocation; `trace_id` is the X-Ray trace header Lambda would send with it."""
        request_id = str(uuid.uuid4())
        if trace_id is not None:
            with self.state.lock:
                self.state.trace_ids[request_id] = trace_id
        self.state.pending.put((request_id, json.dumps(payload).encode()))
        return request_id

    def wait_for(self, request_ids: list[str], timeout: float) -> dict[str, Outcome]:
        """The outcomes of `request_ids`; fails after `timeout` seconds, or at once if init failed."""
        deadline = time.monotonic() + timeout
        with self.state.done:
            while not all(r in self.state.outcomes for r in request_ids):
                if self.state.init_errors:
                    raise RuntimeError(f"the runtime reported an init error: {self.state.init_errors[0]}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    missing = [r for r in request_ids if r not in self.state.outcomes]
                    raise TimeoutError(f"{len(missing)} of {len(request_ids)} invocations got no outcome")
                self.state.done.wait(remaining)
            return {r: self.state.outcomes[r] for r in request_ids}

    def next_request_at(self, index: int, timeout: float) -> float:
        """When the runtime made its request for work number `index` (from 0); fails after `timeout` s."""
        wait_until(lambda: len(self.state.next_at) > index, timeout, f"the runtime's request for work #{index}")
        with self.state.lock:
            return self.state.next_at[index]

    def close(self) -> None:
        self._server.closing = True
        self._server.shutdown()
        self._server.server_close()
