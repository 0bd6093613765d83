"""Lambda's Invoke API on 127.0.0.1, in front of functions running under aws-lambda-rie.

What moto's Lambda does with Docker (it runs each function in a container with the Runtime
Interface Emulator and forwards invocations to it), without Docker: `POST
/2015-03-31/functions/<name or ARN>/invocations` goes to the emulator of that function, the
answer comes back as Lambda sends it (`X-Amz-Function-Error: Unhandled` when the function failed,
`ResourceNotFoundException` for a function it does not know). boto3 and the AWS CLI reach it with
`AWS_ENDPOINT_URL_LAMBDA`. Bounded: each invocation waits at most `timeout` seconds.

With a `control_plane` (a moto server's URL), every other Lambda call (versions, aliases, ...) is
passed on to it, so that one endpoint serves the whole Lambda API as a client sees it: moto for
the control plane, the real function binaries for invocations.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.emulator import Emulator

_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
# A function name, or an ARN `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$")


def function_name(identifier: str) -> str:
    match = _ARN.match(identifier)
    return match.group(1) if match else identifier.split(":")[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self, payload: bytes) -> None:
        """Passes a control-plane call on to moto, as it came (the signature covers the host moto
        ignores), and its answer back."""
        request = urllib.request.Request(
            f"{self.server.control_plane}{self.path}",
            data=payload if self.command in ("POST", "PUT") else None,
            headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
            method=self.command,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.server.timeout) as answer:
                status, body, headers = answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            status, body, headers = error.code, error.read(), dict(error.headers)
        passed = {
            k: v for k, v in headers.items() if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        self._send(status, body, passed)

    def _control_plane_or_404(self, payload: bytes) -> None:
        if self.server.control_plane is None:
            self._send(404, b'{"message": "unknown path"}', {"x-amzn-ErrorType": "UnknownOperationException"})
        else:
            self._forward(payload)

    def do_GET(self) -> None:
        self._control_plane_or_404(b"")

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._control_plane_or_404(self.rfile.read(length) if length else b"")

    def do_DELETE(self) -> None:
        self._control_plane_or_404(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        match = _INVOKE.match(urllib.parse.urlsplit(self.path).path)
        if match is None:
            self._control_plane_or_404(payload)
            return
        identifier = urllib.parse.unquote(match.group(1))
        emulator = self.server.functions.get(function_name(identifier))
        if emulator is None:
            message = json.dumps({"Type": "User", "Message": f"Function not found: {identifier}"}).encode()
            self._send(404, message, {"x-amzn-ErrorType": "ResourceNotFoundException"})
            return
        with self.server.lock:  # the emulator serves one invocation at a time
            invocation = emulator.invoke(None, raw=payload, timeout=self.server.timeout)
        body = invocation.body if isinstance(invocation.body, str) else json.dumps(invocation.body)
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if invocation.is_error:
            headers["X-Amz-Function-Error"] = "Unhandled"
        self._send(200, body.encode(), headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    functions: Mapping[str, Emulator]
    control_plane: str | None
    lock: threading.Lock
    timeout: float


class LambdaApi:
    """Serves `functions` (function name -> its emulator) until `close`."""

    def __init__(
        self, functions: Mapping[str, Emulator], timeout: float = 60, control_plane: str | None = None
    ) -> None:
        # Port 0: the kernel picks a free port at bind, with no window for another process to take it.
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server.functions = dict(functions)
        self._server.control_plane = control_plane
        self._server.lock = threading.Lock()
        self._server.timeout = timeout
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
