"""OpenTelemetry spans as the functions export them, decoded with opentelemetry-proto.

- `OtlpReceiver`: a collector's OTLP/HTTP traces receiver (POST /v1/traces, protobuf, as the `otel`
  build sends to the ADOT collector layer), bound to 127.0.0.1 on a free port, keeping every span it
  receives. The e2e tests assert one invocation's spans with it; bench.otel measures the `otel`
  build against it, so that each invocation's export reaches a collector that answers.
- `stdout_spans`: the spans of the `otel-lite` build's stdout lines (lambda-otel-lite's OTLP stdout
  format: a JSON line whose `payload` is the same protobuf request, gzipped and base64-encoded).
- `closed_endpoint`: an endpoint where nothing listens, for "the collector is absent".
"""

from __future__ import annotations

import base64
import gzip
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

TRACES_PATH = "/v1/traces"
# The key of lambda-otel-lite's stdout lines that carries the format's version.
STDOUT_MARKER = "__otel_otlp_stdout"


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str  # hex
    span_id: str  # hex
    parent_span_id: str  # hex, "" for a root span
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    pair: KeyValue
    for pair in pairs:
        result[pair.key] = _value(pair.value)
    return result


def decode_spans(body: bytes) -> list[ReceivedSpan]:
    """The spans of one OTLP ExportTraceServiceRequest (protobuf)."""
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        attributes=_attributes(span.attributes),
                        resource=resource,
                        scope=scope_spans.scope.name,
                    )
                )
    return spans


def stdout_spans(lines: list[str]) -> list[ReceivedSpan]:
    """The spans in lambda-otel-lite's stdout lines among `lines` (other lines are skipped)."""
    spans: list[ReceivedSpan] = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(record, dict) or STDOUT_MARKER not in record:
            continue
        payload = base64.b64decode(record["payload"]) if record.get("base64") else record["payload"].encode()
        if record.get("content-encoding") == "gzip":
            payload = gzip.decompress(payload)
        spans.extend(decode_spans(payload))
    return spans


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path != TRACES_PATH:
            self._reply(404, b"", "text/plain")
            return
        try:
            spans = decode_spans(body)
        except DecodeError as error:
            self._reply(400, f"not an OTLP ExportTraceServiceRequest: {error}".encode(), "text/plain")
            return
        with self.server.received:
            self.server.spans.extend(spans)
            self.server.requests += 1
            self.server.received.notify_all()
        self._reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    spans: list[ReceivedSpan]
    requests: int
    received: threading.Condition

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A function stopped with its keep-alive connection open resets it: expected, not reported.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class OtlpReceiver:
    """A collector's OTLP/HTTP traces receiver on 127.0.0.1; `close()` stops it."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.spans = []
        self._server.requests = 0
        self._server.received = threading.Condition()
        # What a function's OTEL_EXPORTER_OTLP_ENDPOINT is set to (the exporter adds /v1/traces).
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._server.received:
            return list(self._server.spans)

    @property
    def requests(self) -> int:
        with self._server.received:
            return self._server.requests

    def wait_for_spans(self, count: int, timeout: float) -> list[ReceivedSpan]:
        """The spans received once there are at least `count`; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._server.received:
            while len(self._server.spans) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self._server.spans)} of {count} spans arrived in {timeout} s")
                self._server.received.wait(remaining)
            return list(self._server.spans)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def closed_endpoint() -> Iterator[str]:
    """An endpoint on 127.0.0.1 where nothing listens: a port held bound, never listening, so that
    connections are refused and no other process can take it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"
