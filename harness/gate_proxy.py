"""An HTTP proxy in front of moto that holds every request until the test opens the gate.

With it a test can keep N invocations inside their AWS call at once (proving they are in flight
together), send a signal while they are, then let them finish. Bounded: a held request waits at
most `hold_timeout` seconds.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _forward(self) -> None:
        proxy = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        with proxy.held_changed:
            proxy.held += 1
            proxy.held_changed.notify_all()
        proxy.gate.wait(proxy.hold_timeout)
        upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream_host: str
    upstream_port: int
    hold_timeout: float
    gate: threading.Event
    held: int
    held_changed: threading.Condition


class GateProxy:
    def __init__(self, upstream_url: str, hold_timeout: float = 30) -> None:
        parts = urlsplit(upstream_url)
        server = _Server(("127.0.0.1", 0), _Handler)
        server.upstream_host = parts.hostname or "127.0.0.1"
        server.upstream_port = parts.port or 80
        server.hold_timeout = hold_timeout
        server.gate = threading.Event()
        server.held = 0
        server.held_changed = threading.Condition()
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def wait_held(self, count: int, timeout: float) -> None:
        """Waits until `count` requests have reached the gate."""
        with self._server.held_changed:
            if not self._server.held_changed.wait_for(lambda: self._server.held >= count, timeout):
                raise TimeoutError(f"only {self._server.held} of {count} requests reached the gate")

    @property
    def held(self) -> int:
        return self._server.held

    def open(self) -> None:
        self._server.gate.set()

    def close(self) -> None:
        self._server.gate.set()
        self._server.shutdown()
        self._server.server_close()
