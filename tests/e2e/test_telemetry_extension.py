"""The telemetry extension end to end: its real binary against a Telemetry API of our own
(harness/extensions_api.py), which feeds it platform events as Lambda does and reads the EMF lines
it writes; and under aws-lambda-rie, which starts it from the layer's /opt/extensions before the
function, as Lambda does (the emulator delivers no telemetry). Native, and the arm64 layer's binary
once under qemu."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.dashboard import EXTENSION_NAMESPACE
from harness import functions
from harness.aws import create_table
from harness.emulator import Emulator
from harness.extensions_api import Extension, ExtensionsApi
from harness.moto import MotoServer
from harness.processes import stop
from model.contract import FunctionContract

NAME = "telemetry-extension"
FUNCTION = "rustlambda-test-http-api"
T0 = "2026-11-27T10:00:00.000Z"
T0_MS = 1795773600000
# The extension writes what it holds at most this long after the oldest of it arrived (recorder.rs).
FLUSH_AFTER_S = 60


@dataclass
class Running:
    api: ExtensionsApi
    extension: Extension
    process: subprocess.Popen[bytes]
    out: Path

    def lines(self) -> list[dict[str, Any]]:
        """Every line the extension wrote, each parsed as JSON (a line that is not fails the test)."""
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def metric_documents(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if "_aws" in line]

    def shut_down(self) -> int:
        self.api.shutdown(self.extension)
        return self.process.wait(timeout=10)


StartExtension = Callable[..., Running]


@pytest.fixture
def start_extension(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StartExtension]:
    """Starts the extension's binary of the test's flavour against a new ExtensionsApi."""
    flavour = request.param if hasattr(request, "param") else "native"
    binaries: Path = request.getfixturevalue(f"{flavour}_binaries")
    started: list[Running] = []

    def start(subscription_status: int = 200) -> Running:
        api = ExtensionsApi(FUNCTION)
        api.extensions.subscription_status = subscription_status
        out = tmp_path / f"extension-{len(started)}.log"
        with out.open("wb") as log:
            process = subprocess.Popen(
                functions.extension_command(flavour, NAME, binaries),
                env={**api.runtime_env(), "AWS_LAMBDA_LOG_LEVEL": "INFO"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = Running(api, api.only_extension(timeout=60), process, out)
        started.append(running)
        api.wait_ready(running.extension, timeout=60)
        return running

    yield start
    for running in started:
        stop(running.process)
        running.api.close()


def report(time: str, request_id: str, duration: float, billed: int, memory: int, init: float | None = None) -> Any:
    metrics: dict[str, Any] = {
        "durationMs": duration,
        "billedDurationMs": billed,
        "memorySizeMB": 128,
        "maxMemoryUsedMB": memory,
    }
    if init is not None:
        metrics["initDurationMs"] = init
    return {
        "time": time,
        "type": "platform.report",
        "record": {"requestId": request_id, "status": "success", "metrics": metrics},
    }


def cold_then_warm() -> list[list[Any]]:
    """Two batches as Lambda sends them: an init and a cold invocation, then a warm one."""
    return [
        [
            {"time": T0, "type": "platform.initStart", "record": {"initializationType": "on-demand", "phase": "init"}},
            {
                "time": T0,
                "type": "platform.initRuntimeDone",
                "record": {"initializationType": "on-demand", "phase": "init", "status": "success"},
            },
            {
                "time": T0,
                "type": "platform.initReport",
                "record": {"initializationType": "on-demand", "phase": "init", "metrics": {"durationMs": 12.5}},
            },
            {"time": T0, "type": "platform.start", "record": {"requestId": "r-1", "version": "$LATEST"}},
            {
                "time": T0,
                "type": "platform.runtimeDone",
                "record": {
                    "requestId": "r-1",
                    "status": "success",
                    "metrics": {"durationMs": 3.25, "producedBytes": 16},
                },
            },
            report(T0, "r-1", 3.5, 4, 18, init=12.5),
        ],
        [
            {"time": "2026-11-27T10:00:01.000Z", "type": "platform.start", "record": {"requestId": "r-2"}},
            {
                "time": "2026-11-27T10:00:01.000Z",
                "type": "platform.runtimeDone",
                "record": {"requestId": "r-2", "status": "success", "metrics": {"durationMs": 1.0}},
            },
            report("2026-11-27T10:00:01.000Z", "r-2", 1.25, 2, 19),
        ],
    ]


def emf(timestamp: int = T0_MS, **values: list[float]) -> dict[str, Any]:
    """The EMF document the extension writes for these metric values (in its metric order), stamped
    with the minute they were measured in."""
    units = {
        "InitDuration": "Milliseconds",
        "InitErrors": "Count",
        "RuntimeDuration": "Milliseconds",
        "Duration": "Milliseconds",
        "BilledDuration": "Milliseconds",
        "MaxMemoryUsed": "Megabytes",
        "ColdStart": "Count",
    }
    return {
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [
                {
                    "Namespace": EXTENSION_NAMESPACE,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": [{"Name": name, "Unit": units[name]} for name in units if name in values],
                }
            ],
        },
        "FunctionName": FUNCTION,
        **values,
    }


@pytest.mark.parametrize("start_extension", ["native", "arm64"], indirect=True)
def test_platform_events_become_one_exact_emf_line_at_shutdown(start_extension: StartExtension) -> None:
    running = start_extension()
    assert (running.extension.name, running.extension.events) == (NAME, ["SHUTDOWN"])
    subscription = running.extension.subscription
    assert subscription is not None
    assert {k: v for k, v in subscription.items() if k != "destination"} == {
        "schemaVersion": "2025-01-29",
        "types": ["platform"],
        "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 100},
    }
    assert subscription["destination"]["URI"].startswith("http://sandbox.localdomain:")
    for batch in cold_then_warm():
        assert running.api.post_telemetry(running.extension, batch) == 200
    assert running.metric_documents() == [], "buffered until a minute after the first arrived, or SHUTDOWN"
    assert running.shut_down() == 0
    assert running.metric_documents() == [
        emf(
            InitDuration=[12.5],
            InitErrors=[0.0],
            RuntimeDuration=[3.25, 1.0],
            Duration=[3.5, 1.25],
            BilledDuration=[4.0, 2.0],
            MaxMemoryUsed=[18.0, 19.0],
            ColdStart=[1.0, 0.0],
        )
    ]
    [started] = [line for line in running.lines() if "_aws" not in line]
    assert (started["level"], started["message"]) == ("INFO", "subscribed to the Telemetry API's platform events")


def test_samples_are_written_a_minute_after_the_first_arrived_each_in_its_minutes_document(
    start_extension: StartExtension,
) -> None:
    """The flush deadline, in real time: nothing before 60 s after the first batch, then every
    buffered sample (a later batch's too), one document per minute they were measured in."""
    running = start_extension()
    first = [
        report("2026-11-27T10:00:59.500Z", "r-1", 3.5, 4, 18),
        report("2026-11-27T10:01:00.250Z", "r-2", 1.5, 2, 18),
    ]
    second = [report("2026-11-27T10:01:30.000Z", "r-3", 2.25, 3, 19)]
    assert running.api.post_telemetry(running.extension, first) == 200
    posted = time.monotonic()
    time.sleep(30)
    assert running.api.post_telemetry(running.extension, second) == 200
    deadline = posted + FLUSH_AFTER_S + 10
    while not running.metric_documents() and time.monotonic() < deadline:
        time.sleep(0.1)
    written_after = time.monotonic() - posted
    assert FLUSH_AFTER_S - 0.5 <= written_after <= FLUSH_AFTER_S + 5, written_after
    time.sleep(0.5)  # both documents are written at once
    assert running.metric_documents() == [
        emf(Duration=[3.5], BilledDuration=[4.0], MaxMemoryUsed=[18.0], ColdStart=[0.0]),
        emf(
            T0_MS + 60_000,
            Duration=[1.5, 2.25],
            BilledDuration=[2.0, 3.0],
            MaxMemoryUsed=[18.0, 19.0],
            ColdStart=[0.0, 0.0],
        ),
    ]
    assert running.shut_down() == 0
    assert len(running.metric_documents()) == 2, "nothing left to write at SHUTDOWN"


def test_bad_batches_are_refused_or_skipped_and_never_stop_it(start_extension: StartExtension) -> None:
    running = start_extension()

    def post(body: bytes | list[Any]) -> int:
        return running.api.post_telemetry(running.extension, body)

    assert post(b"not json") == 400
    assert post(b'{"type": "platform.report"}') == 400
    assert post(b"\xff\xfe\x00") == 400
    assert post(b"[" + b'"x",' * 400_000 + b'"x"]') == 413  # over 1 MiB
    assert post([]) == 200
    mixed = [
        {"time": T0, "type": "platform.somethingNew", "record": {"x": 1}},
        {"time": T0, "type": "platform.report", "record": {"metrics": {"durationMs": "fast"}}},
        {"time": "last tuesday", "type": "platform.initReport", "record": {"metrics": {"durationMs": 1}}},
        {"type": "platform.report"},
        "not an event",
        report(T0, "r-9", 2.5, 3, 20),
    ]
    assert post(mixed) == 200
    assert running.process.poll() is None
    assert running.shut_down() == 0
    assert running.metric_documents() == [
        emf(Duration=[2.5], BilledDuration=[3.0], MaxMemoryUsed=[20.0], ColdStart=[0.0])
    ]
    warnings = [line["message"] for line in running.lines() if line.get("level") == "WARN"]
    assert warnings[:3] == [
        "the telemetry batch is not a JSON array of events: expected ident at line 1 column 2",
        "the telemetry batch is not a JSON array of events: invalid type: map, expected a sequence at line 1 column 0",
        "the telemetry batch is not a JSON array of events: expected value at line 1 column 1",
    ]
    assert warnings[-1] == "ignored 4 telemetry events that do not have the Telemetry API's shape"


def test_a_refused_subscription_leaves_the_environment_running(start_extension: StartExtension) -> None:
    running = start_extension(subscription_status=400)
    assert running.extension.subscription is None
    assert running.shut_down() == 0
    assert running.metric_documents() == []
    [error] = [line for line in running.lines() if line["level"] == "ERROR"]
    assert (
        error["message"]
        == "no metrics from this environment: the Telemetry API refused the subscription: 400 Bad Request"
    )


def test_under_the_emulator_it_starts_from_the_layer_before_the_function(
    native_binaries: Path, moto: MotoServer, contracts: dict[str, FunctionContract], unique: str, tmp_path: Path
) -> None:
    opt = functions.extension_layer("native", NAME, native_binaries, tmp_path / "opt")
    env = {
        **functions.function_env(contracts["http-api"], {"ITEMS_TABLE": create_table(moto, f"items-{unique}", "id")}),
        **moto.function_env(),
    }
    emulator = Emulator(
        functions.command("native", "http-api", native_binaries), env, tmp_path / "rie.log", opt_dir=opt
    )
    try:
        event = json.loads((functions.WORKSPACE / "http-api/tests/fixtures/function-url-get-item.json").read_text())
        event["rawPath"] = event["requestContext"]["http"]["path"] = "/health"
        invocation = emulator.invoke(event)
        assert invocation.status == 200 and invocation.body["statusCode"] == 200, invocation.body
        lines = [json.loads(line) for line in emulator.output_lines()]
        subscribed = [line for line in lines if str(line.get("target")).startswith("telemetry_extension")]
        assert [line["message"] for line in subscribed] == ["subscribed to the Telemetry API's platform events"]
        assert any(line.get("span", {}).get("requestId") == invocation.request_id for line in lines)
        assert emulator.invoke(event).status == 200, "the second invocation too, with the extension registered"
    finally:
        emulator.close()
    assert emulator.process.returncode is not None
