"""AWS's Runtime Interface Emulator (aws-lambda-rie) running one function's bootstrap.

The emulator serves the Lambda invoke API on 127.0.0.1 and the Runtime API to the bootstrap on
another free port; it passes its environment to the bootstrap. It serves one invocation at a time
and prints a REPORT line per invocation in Lambda's format (its "Max Memory Used" is the configured
memory size, not a measurement).

With layers (`opt_dir`), it runs as Lambda runs a function with layers: the emulator starts every
executable in /opt/extensions before the bootstrap and waits for each to register. It reads that
fixed path, so it runs in a mount namespace of its own (util-linux `unshare`; a user namespace too
when not root) where `opt_dir` is bind-mounted on /opt, and in a PID namespace of its own, so that
stopping it stops its extensions too. Nothing changes outside that namespace.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.processes import free_port, port_open, stop, wait_until

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
# The emulator's own lines: its START/END/REPORT lines and its log (logrus text, "(rapid)").
EMULATOR_LINE = re.compile(
    r"^((START|END|REPORT) RequestId: |\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[[A-Z]+\] \(rapid\) )"
)
REPORT_LINE = re.compile(
    r"REPORT RequestId: (?P<id>[0-9a-f-]+)\s+(?:Init Duration: (?P<init>[0-9.]+) ms\s+)?"
    r"Duration: (?P<duration>[0-9.]+) ms"
)


@dataclass
class Report:
    """The figures of one REPORT line, in ms."""

    init_duration_ms: float | None  # only on a cold start, which the emulator makes about 0
    duration_ms: float


@dataclass
class Invocation:
    request_id: str
    status: int
    body: Any  # parsed JSON, or the raw text when the body is not JSON
    round_trip_ms: float  # from sending the request to the end of the response, as the caller sees it

    @property
    def is_error(self) -> bool:
        return isinstance(self.body, dict) and "errorType" in self.body and "errorMessage" in self.body


def rie_binary() -> str:
    found = shutil.which("aws-lambda-rie")
    if found is None:
        raise RuntimeError("aws-lambda-rie is not on PATH: run scripts/setup")
    return found


def with_opt(opt_dir: Path, command: list[str]) -> list[str]:
    """`command` run with `opt_dir` mounted on /opt, in mount and PID namespaces of its own; when
    the command (PID 1 there) ends, or unshare is stopped, every process it started ends too."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise RuntimeError("unshare (util-linux) is not installed")
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [
        unshare,
        *user,
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "sh",
        "-c",
        'mount --bind "$0" /opt && exec "$@"',
        str(opt_dir.resolve()),
        *command,
    ]


class Emulator:
    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        log_path: Path,
        timeout_s: int = 30,
        opt_dir: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log = log_path.open("wb")
        runtime_api_port = free_port()
        emulator = [
            rie_binary(),
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{self.port}",
            "--runtime-api-address",
            f"127.0.0.1:{runtime_api_port}",
            *command,
        ]
        self.process = subprocess.Popen(
            emulator if opt_dir is None else with_opt(opt_dir, emulator),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "AWS_LAMBDA_FUNCTION_NAME": "e2e-function",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout_s),
                "LOG_LEVEL": "warn",
                **env,
            },
        )
        wait_until(lambda: port_open(self.port), 20, f"aws-lambda-rie on port {self.port}")

    def invoke(self, payload: Any, raw: bytes | None = None, timeout: float = 60) -> Invocation:
        """Invokes once with a JSON payload (or raw bytes) and returns the parsed response."""
        request_id = str(uuid.uuid4())
        data = raw if raw is not None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{INVOKE_PATH}",
            data=data,
            method="POST",
            headers={"X-Amzn-RequestId": request_id, "Content-Type": "application/json"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw_body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw_body = error.code, error.read()
        round_trip_ms = (time.perf_counter() - started) * 1000
        text = raw_body.decode()
        try:
            body: Any = json.loads(text)
        except json.JSONDecodeError:
            body = text
        return Invocation(request_id, status, body, round_trip_ms)

    def logs(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def output_lines(self) -> list[str]:
        """What the function (and its extensions) wrote, without the emulator's own lines."""
        return [line for line in self.logs().splitlines() if line and not EMULATOR_LINE.match(line)]

    def invocation_lines(self, request_id: str) -> list[str]:
        """What was written between the emulator's START and END lines of one invocation."""
        lines = self.logs().splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(f"START RequestId: {request_id} "))
        end = next(i for i, line in enumerate(lines) if line == f"END RequestId: {request_id}")
        return [line for line in lines[start + 1 : end] if line and not EMULATOR_LINE.match(line)]

    def json_logs(self) -> list[dict[str, Any]]:
        """The function's JSON log lines (the emulator's own lines, START/END/REPORT, are plain text)."""
        return [json.loads(line) for line in self.logs().splitlines() if line.startswith("{")]

    def reports(self) -> dict[str, Report]:
        """request id -> the figures of its REPORT line, for every REPORT line logged so far."""
        found: dict[str, Report] = {}
        for match in REPORT_LINE.finditer(self.logs()):
            init = match.group("init")
            found[match.group("id")] = Report(float(init) if init else None, float(match.group("duration")))
        return found

    def report_for(self, request_id: str, timeout: float = 5) -> Report:
        """The REPORT line of one invocation, which the emulator may log just after responding."""
        found: dict[str, Report] = {}

        def logged() -> bool:
            found.update(self.reports())
            return request_id in found

        wait_until(logged, timeout, f"the REPORT line of {request_id} in {self.log_path}")
        return found[request_id]

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        stop(self.process)
        self._log.close()
