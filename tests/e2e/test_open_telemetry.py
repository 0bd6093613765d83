"""OpenTelemetry end to end: scheduled-job built with the `otel` feature (OTLP/HTTP to a collector)
and with `otel-lite` (OTLP lines on stdout), run against our Runtime API with moto as its AWS.

The `otel` build exports each invocation's spans before it asks for the next event; here the harness
receiver stands in for the ADOT collector layer's receiver (the collector itself cannot run here).
Each build is made once per session, natively, in a target dir of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness import functions
from harness.aws import create_table
from harness.moto import REGION, MotoServer
from harness.otlp import STDOUT_MARKER, OtlpReceiver, ReceivedSpan, closed_endpoint, stdout_spans
from harness.processes import stop
from harness.runtime_api import Outcome, RuntimeApi
from model.contract import FunctionContract

CRATE = "scheduled-job"
FUNCTION_NAME = "rustlambda-dev-scheduled-job"
LOG_STREAM = "2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef"
EVENT = json.loads((functions.WORKSPACE / CRATE / "tests" / "fixtures" / "scheduled-event.json").read_text())
TRACE_ID = "5759e988bd862e3fe1be46a994272793"
PARENT_SPAN_ID = "53995c3f42cd8ad8"
XRAY_HEADER = f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent={PARENT_SPAN_ID};Sampled=1"
UNSAMPLED_HEADER = XRAY_HEADER.replace("Sampled=1", "Sampled=0")
INVOCATION_SPAN = "Lambda runtime invoke"
RESOURCE = {
    "service.name": FUNCTION_NAME,
    "faas.name": FUNCTION_NAME,
    "faas.version": "$LATEST",
    "faas.instance": LOG_STREAM,
    "cloud.region": REGION,
    "cloud.provider": "aws",
    "cloud.platform": "aws_lambda",
}
TIMEOUT_S = 30


@pytest.fixture(scope="session")
def otel_binaries() -> Path:
    return functions.build_with_feature(CRATE, "otel")


@pytest.fixture(scope="session")
def otel_lite_binaries() -> Path:
    return functions.build_with_feature(CRATE, "otel-lite")


class Run:
    """One scheduled-job process against our Runtime API, its output in `log`."""

    def __init__(self, binary: Path, env: dict[str, str], log: Path) -> None:
        self.api = RuntimeApi(FUNCTION_NAME)
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(binary)],
                env={**self.api.runtime_env(), "AWS_LAMBDA_LOG_STREAM_NAME": LOG_STREAM, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def invoke(self, trace_id: str | None = None) -> tuple[str, Outcome]:
        request_id = self.api.submit(EVENT, trace_id=trace_id)
        return request_id, self.api.wait_for([request_id], TIMEOUT_S)[request_id]

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def close(self) -> None:
        stop(self.process)
        self.api.close()


StartJob = Callable[[Path, dict[str, str]], Run]


@pytest.fixture
def run_job(
    moto: MotoServer, contracts: dict[str, FunctionContract], tmp_path: Path, unique: str
) -> Iterator[StartJob]:
    """`run_job(binary, env)` starts scheduled-job on an empty table of its own."""
    table = create_table(moto, f"items-{unique}", "id")
    env = {**functions.function_env(contracts[CRATE], {"ITEMS_TABLE": table}), **moto.function_env()}
    started: list[Run] = []

    def start(binary: Path, extra_env: dict[str, str]) -> Run:
        run = Run(binary, {**env, **extra_env}, tmp_path / f"run-{len(started)}.log")
        started.append(run)
        return run

    yield start
    for run in started:
        run.close()


def the_span(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    named = [s for s in spans if s.name == name]
    assert len(named) == 1, [s.name for s in spans]
    return named[0]


def assert_a_child_of_the_callers_trace(invocation: ReceivedSpan, request_id: str) -> None:
    """The invocation's span, invoked with XRAY_HEADER: its attributes, the function's resource, and
    the caller's trace and segment as its trace and parent."""
    assert invocation.attributes == {
        "requestId": request_id,
        "xrayTraceId": XRAY_HEADER,
        "target": "lambda_runtime::layers::trace",
    }
    assert invocation.resource == RESOURCE
    assert (invocation.trace_id, invocation.parent_span_id) == (TRACE_ID, PARENT_SPAN_ID)


def test_an_invocation_exports_its_span_and_the_sdks_to_the_collector(otel_binaries: Path, run_job: StartJob) -> None:
    receiver = OtlpReceiver()
    try:
        job = run_job(otel_binaries / CRATE, {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
        request_id, outcome = job.invoke(trace_id=XRAY_HEADER)
        assert outcome.kind == "response", outcome.body
        spans = receiver.wait_for_spans(2, TIMEOUT_S)
    finally:
        receiver.close()
    invocation = the_span(spans, INVOCATION_SPAN)
    assert_a_child_of_the_callers_trace(invocation, request_id)
    assert invocation.scope == "rustlambda"
    scan = the_span(spans, "DynamoDB.Scan")
    assert (scan.trace_id, scan.parent_span_id) == (TRACE_ID, invocation.span_id)
    assert {k: scan.attributes[k] for k in ("rpc.service", "rpc.method", "rpc.system")} == {
        "rpc.service": "DynamoDB",
        "rpc.method": "Scan",
        "rpc.system": "aws-api",
    }
    assert len(spans) == 2, [s.name for s in spans]


def test_each_invocation_is_exported_before_the_next_one_and_without_a_sampled_parent_starts_a_trace(
    otel_binaries: Path, run_job: StartJob
) -> None:
    receiver = OtlpReceiver()
    try:
        job = run_job(otel_binaries / CRATE, {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
        request_ids = []
        # Lambda's header says Sampled=0 for most invocations: their spans are exported all the same.
        for count, header in ((2, UNSAMPLED_HEADER), (4, None), (6, UNSAMPLED_HEADER)):
            request_id, outcome = job.invoke(trace_id=header)
            assert outcome.kind == "response", outcome.body
            request_ids.append(request_id)
            receiver.wait_for_spans(count, TIMEOUT_S)
        spans = receiver.spans
    finally:
        receiver.close()
    invocations = [s for s in spans if s.name == INVOCATION_SPAN]
    assert [s.attributes["requestId"] for s in invocations] == request_ids
    assert all(s.parent_span_id == "" for s in invocations)
    assert len({s.trace_id for s in invocations}) == 3
    assert TRACE_ID not in {s.trace_id for s in invocations}
    assert receiver.requests == 3, "one export per invocation"


def test_an_absent_collector_fails_no_invocation_and_is_logged_once(otel_binaries: Path, run_job: StartJob) -> None:
    with closed_endpoint() as endpoint:
        job = run_job(otel_binaries / CRATE, {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        outcomes = [job.invoke()[1] for _ in range(3)]
        assert job.process.poll() is None, "the function is still serving"
    assert [o.kind for o in outcomes] == ["response"] * 3
    assert outcomes[0].body == outcomes[1].body == outcomes[2].body
    records = [json.loads(line) for line in job.lines()]
    warnings = [r for r in records if r["level"] == "WARN"]
    assert len(warnings) == 1, warnings
    assert re.fullmatch(
        r"could not export 2 OpenTelemetry spans to the collector \(.+\); spans are dropped until it answers, "
        r"invocations are not affected: attach the ADOT collector layer \(openTelemetry\.collectorLayerArn\) or "
        r"set OTEL_EXPORTER_OTLP_ENDPOINT to its OTLP/HTTP receiver",
        warnings[0]["message"],
    ), warnings[0]["message"]
    assert warnings[0]["target"] == "common::spans::collector"


def test_the_lite_build_writes_each_invocations_spans_to_stdout(otel_lite_binaries: Path, run_job: StartJob) -> None:
    job = run_job(otel_lite_binaries / CRATE, {})
    request_id, outcome = job.invoke(trace_id=XRAY_HEADER)
    assert outcome.kind == "response", outcome.body
    # Written before the runtime asks for the next event: the second invocation's request proves it.
    job.invoke()
    lines = job.lines()
    spans = stdout_spans(lines)
    invocation = the_span([s for s in spans if s.attributes.get("requestId") == request_id], INVOCATION_SPAN)
    assert_a_child_of_the_callers_trace(invocation, request_id)
    scan = [s for s in spans if s.name == "DynamoDB.Scan" and s.parent_span_id == invocation.span_id]
    assert len(scan) == 1
    assert all(isinstance(json.loads(line), dict) for line in lines), "every line is JSON"


def test_at_warn_the_lite_builds_span_lines_say_warn_so_that_lambda_keeps_them(
    otel_lite_binaries: Path, run_job: StartJob
) -> None:
    job = run_job(otel_lite_binaries / CRATE, {"AWS_LAMBDA_LOG_LEVEL": "WARN"})
    _, outcome = job.invoke()
    assert outcome.kind == "response", outcome.body
    job.api.next_request_at(1, TIMEOUT_S)  # the export is written before the next request for work
    span_lines = [json.loads(line) for line in job.lines() if STDOUT_MARKER in line]
    assert span_lines, job.lines()
    assert {line["level"] for line in span_lines} == {"WARN"}
    assert [s.name for s in stdout_spans(job.lines())].count(INVOCATION_SPAN) == 1


@pytest.mark.parametrize(
    ("sampler", "ratio", "exported"),
    [
        # The stack's default: every invocation, each under its caller's sampled X-Ray trace.
        ("parentbased_always_on", None, [True, True]),
        ("always_off", None, [False, False]),
        # A ratio of 0 samples no trace of its own, but follows a caller that X-Ray sampled.
        ("parentbased_traceidratio", "0", [True, False]),
        ("traceidratio", "0", [False, False]),
    ],
)
def test_the_sampler_of_the_environment_decides_which_invocations_are_exported(
    otel_binaries: Path, run_job: StartJob, sampler: str, ratio: str | None, exported: list[bool]
) -> None:
    """OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, as the stack's openTelemetry.sampler and
    samplingRatio set them: the first invocation carries a sampled X-Ray header, the second none."""
    env = {"OTEL_TRACES_SAMPLER": sampler, **({"OTEL_TRACES_SAMPLER_ARG": ratio} if ratio is not None else {})}
    receiver = OtlpReceiver()
    try:
        job = run_job(otel_binaries / CRATE, {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, **env})
        request_ids = []
        for index, header in enumerate((XRAY_HEADER, None)):
            request_id, outcome = job.invoke(trace_id=header)
            assert outcome.kind == "response", outcome.body
            job.api.next_request_at(index + 1, TIMEOUT_S)  # its export, if any, is over
            request_ids.append(request_id)
        spans = receiver.spans
    finally:
        receiver.close()
    invocations = {s.attributes["requestId"] for s in spans if s.name == INVOCATION_SPAN}
    assert [request_id in invocations for request_id in request_ids] == exported
    assert not [line for line in job.lines() if json.loads(line)["level"] in ("WARN", "ERROR")]
