"""Rust vs Python, side by side, under aws-lambda-rie with moto as AWS: cold start, warm latency,
peak memory, and the size of what is deployed.

    .venv/bin/python -m bench.run [--cold 20] [--warm 1000] [--only http-api,...] [--skip-build]
    .venv/bin/python -m bench.run --report-only    # sizes and report again from bench/results.json
    .venv/bin/python -m bench.run --builds         # the long mode: clean builds of HEAD (bench/builds.py)

1. Builds the functions/ workspace and bench/hello (a bare lambda_runtime "hello world", the floor
   any Rust function starts from) for x86_64 in release (the same profile as the arm64 artifacts, but
   with symbols kept so that `nm` can attribute .text to crates), and the arm64 zips
   (scripts/build-functions, a no-op when the sources are unchanged).
2. For every function, its release binary and its Python baseline (bench/baselines/<function>,
   awslambdaric + boto3), each in its own processes, with one moto server as AWS:
   - cold start, N fresh processes: init (spawn to the first GET .../invocation/next, against a
     timing Runtime API) and the first invocation, P50/P95 of each and of their sum; and, as a
     cross-check, aws-lambda-rie's REPORT "Init Duration" + first "Duration" (the emulator starts the
     runtime at the first invoke, so its Init Duration is ~0 and the init lands in Duration);
   - warm latency, M invocations on a path without AWS calls and M on a path with them (P50, P99,
     P99/P50 of REPORT "Duration", and of the round trip the caller sees);
   - peak RSS (VmHWM) of the function process (the emulator's child) after those invocations.
3. Sizes: each arm64 zip and its unzipped bootstrap; the x86_64 release binary's .text by crate
   (`nm --size-sort`), of which the AWS SDK's share.

Writes bench/results.json, bench/RESULTS.md and bench/chart.png. Figures, not pass/fail: the
machine is shared and small, so absolute numbers move between runs; the ratios move less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import builds
from tests.harness import functions
from tests.harness.aws import create_bucket, create_table
from tests.harness.emulator import INVOKE_PATH, Emulator
from tests.harness.moto import MotoServer
from tests.harness.processes import stop

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
HELLO_DIR = BENCH_DIR / "hello"
NATIVE_RELEASE = functions.NATIVE_TARGET_DIR / "release"
# Crates of the AWS SDK for Rust (generated clients, smithy runtime, config and signing).
AWS_SDK_CRATE = re.compile(
    r"^(aws_sdk_\w+|aws_smithy_\w+|aws_config|aws_runtime|aws_types|aws_credential_types|aws_sigv4)$"
)
# What the SDK's HTTPS client brings besides the SDK: TLS (rustls with ring) and HTTP/2 (lambda_runtime
# itself uses hyper's HTTP/1 client, so hyper is in the hello world too).
TLS_CRATE = re.compile(r"^(rustls\w*|ring|webpki\w*|hyper_rustls|tokio_rustls|h2|\[C\])$")
REPORT = re.compile(
    r"REPORT RequestId: (?P<id>[0-9a-f-]+)\s+(?:Init Duration: (?P<init>[0-9.]+) ms\s+)?"
    r"Duration: (?P<duration>[0-9.]+) ms"
)
# Every request loop stops at its count or at this many seconds, whichever comes first.
LOOP_BUDGET_S = 300.0
WARM_UP_INVOCATIONS = 20
INVOKE_TIMEOUT_S = 30.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was measured."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float], *fractions: float) -> dict[str, float]:
    if not values:
        return {}
    out = {f"p{round(f * 100)}": round(percentile(values, f), 3) for f in fractions}
    out["mean"] = round(statistics.fmean(values), 3)
    out["n"] = len(values)
    return out


# --- builds ------------------------------------------------------------------------------------


def cargo_release(manifest_dir: Path) -> None:
    env = {
        **os.environ,
        "CARGO_TARGET_DIR": str(functions.NATIVE_TARGET_DIR),
        # Same profile as the artifacts, symbols kept for `nm` (symbols are not loaded: no effect on RSS).
        "CARGO_PROFILE_RELEASE_STRIP": "false",
    }
    subprocess.run(
        ["nice", "-n", "10", "cargo", "build", "--release", "--locked", "--bins", "--quiet"],
        cwd=manifest_dir,
        env=env,
        check=True,
    )


def build(skip: bool) -> None:
    if skip:
        return
    print("building: functions/ and bench/hello (x86_64 release), arm64 zips", flush=True)
    cargo_release(functions.WORKSPACE)
    cargo_release(HELLO_DIR)
    subprocess.run(
        ["nice", "-n", "10", str(REPO_ROOT / "scripts" / "build-functions")], check=True, stdout=subprocess.DEVNULL
    )


# --- the scenarios: resources in moto, and the events of each path -------------------------------


@dataclass
class Scenario:
    """A function's resources and its two request paths (`aws` is None when it has none)."""

    references: dict[str, str]
    no_aws: Any
    aws: Any | None
    extra_env: dict[str, str] = field(default_factory=dict)


def fixture(path: str) -> Any:
    return json.loads((functions.WORKSPACE / path).read_text())


def http_event(method: str, path: str) -> dict[str, Any]:
    event = fixture("http-api/tests/fixtures/apigw-v2-post-item.json")
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["body"] = None
    return dict(event)


def scenarios(moto: MotoServer, suffix: str) -> dict[str, Scenario]:
    dynamodb = moto.client("dynamodb")

    items = create_table(moto, f"bench-items-{suffix}", "id")
    dynamodb.put_item(
        TableName=items,
        Item={"id": {"S": "bench-1"}, "name": {"S": "Bench"}, "quantity": {"N": "1"}, "created_at": {"N": "1"}},
    )
    orders = create_table(moto, f"bench-orders-{suffix}", "message_id")
    order_record = fixture("sqs-processor/tests/fixtures/sqs_event.json")["Records"][0]
    good = {**order_record, "messageId": "bench-m-1"}
    good["body"] = json.dumps({"order_id": "o-1", "customer_id": "c-1", "amount_cents": 100, "currency": "EUR"})
    bad = {**order_record, "messageId": "bench-bad", "body": "not json"}

    uploads, manifests = create_bucket(moto, f"bench-up-{suffix}"), create_bucket(moto, f"bench-man-{suffix}")
    moto.client("s3").put_object(Bucket=uploads, Key="incoming/bench.txt", Body=b"x" * 4096)
    secret = moto.client("secretsmanager").create_secret(Name=f"bench-signing-{suffix}", SecretString="bench-key")
    s3_record = fixture("s3-processor/tests/fixtures/object-created.json")["Records"][0]
    s3_record["s3"]["bucket"]["name"] = uploads
    s3_record["s3"]["object"]["key"] = "incoming/bench.txt"
    s3_record["s3"]["object"]["size"] = 4096

    # Items all newer than the cutoff: every run scans and deletes nothing, so each run is the same.
    retained = create_table(moto, f"bench-retained-{suffix}", "id")
    for i in range(10):
        dynamodb.put_item(TableName=retained, Item={"id": {"S": f"r-{i}"}, "created_at": {"N": "4000000000"}})
    scheduled = fixture("scheduled-job/tests/fixtures/scheduled-event.json")
    untimed = {k: v for k, v in scheduled.items() if k != "time"}

    lookups = create_table(moto, f"bench-lookups-{suffix}", "id")
    dynamodb.put_item(TableName=lookups, Item={"id": {"S": "item-0"}, "name": {"S": "Item 0"}, "quantity": {"N": "0"}})

    return {
        # No AWS: the health route. AWS: GetItem of an existing item.
        "http-api": Scenario({"ITEMS_TABLE": items}, http_event("GET", "/health"), http_event("GET", "/items/bench-1")),
        # No AWS: a message that fails validation. AWS: a redelivered order (a conditional PutItem).
        "sqs-processor": Scenario({"ORDERS_TABLE": orders}, {"Records": [bad]}, {"Records": [good]}),
        # No AWS: an event without records. AWS: one 4 KiB object (GetObject, PutObject; secret cached).
        "s3-processor": Scenario(
            {"INPUT_BUCKET": uploads, "OUTPUT_BUCKET": manifests, "SIGNING_KEY_SECRET_ARN": secret["ARN"]},
            {"Records": []},
            {"Records": [s3_record]},
        ),
        # No AWS: an event without "time" (a validation error). AWS: a run over 10 retained items (Scan).
        "scheduled-job": Scenario({"ITEMS_TABLE": retained}, untimed, scheduled),
        # No AWS: an empty id list (a validation error). AWS: an id with no item (misses are not cached).
        "lmi-worker": Scenario({"ITEMS_TABLE": lookups}, {"item_ids": []}, {"item_ids": ["absent-1"]}),
    }


# --- one runtime under the emulator ------------------------------------------------------------


def command(runtime: str, name: str) -> list[str]:
    if runtime == "python":
        return [str(functions.BASELINES / name / "bootstrap")]
    return [str(NATIVE_RELEASE / name)]


def invoke(emulator: Emulator, payload: Any) -> tuple[str, float]:
    """One invocation; returns its request id and the round trip in ms. Fails on a non-200."""
    request_id = str(uuid.uuid4())
    request = urllib.request.Request(
        f"http://127.0.0.1:{emulator.port}{INVOKE_PATH}",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"X-Amzn-RequestId": request_id, "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=INVOKE_TIMEOUT_S) as response:
        response.read()
        status = response.status
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"invocation {request_id} answered HTTP {status}")
    return request_id, elapsed


def reports(emulator: Emulator) -> dict[str, tuple[float | None, float]]:
    """request id -> (Init Duration, Duration) from the emulator's REPORT lines."""
    found: dict[str, tuple[float | None, float]] = {}
    for match in REPORT.finditer(emulator.logs()):
        init = match.group("init")
        found[match.group("id")] = (float(init) if init else None, float(match.group("duration")))
    return found


def report_for(emulator: Emulator, request_id: str) -> tuple[float | None, float]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = reports(emulator).get(request_id)
        if found is not None:
            return found
        time.sleep(0.02)
    raise RuntimeError(f"no REPORT line for {request_id} in {emulator.log_path}")


def function_pid(emulator: Emulator) -> int:
    """The bootstrap's process: the emulator's child."""
    children = Path(f"/proc/{emulator.process.pid}/task/{emulator.process.pid}/children").read_text().split()
    if children:
        return int(children[0])
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == emulator.process.pid:
            return int(stat.parent.name)
    raise RuntimeError("the emulator has no child process")


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def cpu_split() -> tuple[set[int], set[int]] | None:
    """(the harness's CPUs, the function's CPU), or None with fewer than two CPUs to use."""
    allowed = sorted(os.sched_getaffinity(0))
    return (set(allowed[:-1]), {allowed[-1]}) if len(allowed) >= 2 else None


# The function under test (the emulator and its bootstrap, or the bootstrap alone for cold starts)
# runs on a CPU of its own, the harness (this process, its timing Runtime API, moto) on the others:
# on a small machine the harness's own scheduling would otherwise show in the function's figures.
# The same for both runtimes.
CPU_SPLIT = cpu_split()


@contextmanager
def on_function_cpu() -> Iterator[None]:
    """Processes started inside this block run on the function's CPU (children inherit affinity)."""
    if CPU_SPLIT is None:
        yield
        return
    harness, function = CPU_SPLIT
    os.sched_setaffinity(0, function)
    try:
        yield
    finally:
        os.sched_setaffinity(0, harness)


def start(runtime: str, name: str, env: dict[str, str], log_dir: Path) -> Emulator:
    log_path = log_dir / f"{name}-{runtime}-{uuid.uuid4().hex[:6]}.log"
    with on_function_cpu():
        return Emulator(command(runtime, name), env, log_path)


class _ColdStartServer(ThreadingHTTPServer):
    daemon_threads = True
    payload: bytes = b""
    next_at: float | None = None
    handed_out: bool = False
    done_at: float | None = None
    outcome: str = ""
    closing: bool = False
    done: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A held /next whose process was stopped resets its connection: expected, not reported."""


class _ColdStartApi(BaseHTTPRequestHandler):
    """The runtime side of the Lambda Runtime API, for one invocation, with timestamps: the first
    GET .../invocation/next ends the init phase (as on Lambda); the response ends the invocation."""

    protocol_version = "HTTP/1.1"
    server: _ColdStartServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def do_GET(self) -> None:
        server = self.server
        now = time.perf_counter()
        if server.next_at is None:
            server.next_at = now
        if server.handed_out:  # the next /next: hold it until the process is stopped
            while not server.closing:
                time.sleep(0.05)
            return
        server.handed_out = True
        self.send_response(200)
        for name, value in {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": str(uuid.uuid4()),
            "Lambda-Runtime-Deadline-Ms": str(int((time.time() + 60) * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
            "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
            "Content-Length": str(len(server.payload)),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(server.payload)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        server = self.server
        if "/invocation/" in self.path and server.done_at is None:
            server.done_at = time.perf_counter()
            server.outcome = self.path.rsplit("/", 1)[-1]
            server.done.set()
        elif self.path.endswith("/init/error"):
            server.outcome = "init-error"
            server.done.set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def one_cold_start(runtime: str, name: str, env: dict[str, str], payload: Any, log_dir: Path) -> tuple[float, float]:
    """(init ms, first invocation ms) of a fresh process against the timing Runtime API."""
    server = _ColdStartServer(("127.0.0.1", 0), _ColdStartApi)
    server.payload, server.done = json.dumps(payload).encode(), threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log = (log_dir / f"{name}-{runtime}-cold.log").open("ab")
    try:
        started = time.perf_counter()
        with on_function_cpu():
            process = subprocess.Popen(
                command(runtime, name),
                env={
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
                    "AWS_LAMBDA_FUNCTION_NAME": "bench",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                    **env,
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            if not server.done.wait(INVOKE_TIMEOUT_S):
                raise RuntimeError(f"{name} ({runtime}): no response within {INVOKE_TIMEOUT_S:.0f}s")
        finally:
            stop(process)
        if server.outcome not in ("response", "error") or server.next_at is None or server.done_at is None:
            raise RuntimeError(f"{name} ({runtime}): the cold start ended with {server.outcome!r}, see {log.name}")
        return (server.next_at - started) * 1000, (server.done_at - server.next_at) * 1000
    finally:
        server.closing = True
        server.shutdown()
        server.server_close()
        log.close()


def cold_starts(runtime: str, name: str, env: dict[str, str], payload: Any, runs: int, log_dir: Path) -> dict[str, Any]:
    """Init and first invocation of `runs` fresh processes against the timing Runtime API, and the
    same from aws-lambda-rie's REPORT lines (which start the runtime at the first invoke)."""
    inits, firsts, totals, rie_inits, rie_firsts = [], [], [], [], []
    budget_end = time.monotonic() + LOOP_BUDGET_S
    for _ in range(runs):
        if time.monotonic() > budget_end:
            break
        init, first = one_cold_start(runtime, name, env, payload, log_dir)
        inits.append(init)
        firsts.append(first)
        totals.append(init + first)
        emulator = start(runtime, name, env, log_dir)
        try:
            request_id, _ = invoke(emulator, payload)
            rie_init, rie_duration = report_for(emulator, request_id)
        finally:
            emulator.close()
        rie_inits.append(rie_init or 0.0)
        rie_firsts.append(rie_duration)
    return {
        "init_ms": summary(inits, 0.5, 0.95),
        "first_invocation_ms": summary(firsts, 0.5, 0.95),
        "total_ms": summary(totals, 0.5, 0.95),
        "rie_report": {
            "init_duration_ms": summary(rie_inits, 0.5, 0.95),
            "first_duration_ms": summary(rie_firsts, 0.5, 0.95),
            "total_ms": summary([a + b for a, b in zip(rie_inits, rie_firsts, strict=True)], 0.5, 0.95),
        },
        "runs": len(totals),
    }


def warm_loop(emulator: Emulator, payload: Any, count: int) -> dict[str, Any]:
    # Warm-up, not counted: the first calls fault in code pages and fill caches (e.g. the secret's
    # first read, the SDK's first connection), which is cold-start work, not warm latency.
    for _ in range(WARM_UP_INVOCATIONS):
        invoke(emulator, payload)
    ids, round_trips = [], []
    budget_end = time.monotonic() + LOOP_BUDGET_S
    for _ in range(count):
        if time.monotonic() > budget_end:
            break
        request_id, elapsed = invoke(emulator, payload)
        ids.append(request_id)
        round_trips.append(elapsed)
    time.sleep(0.2)
    found = reports(emulator)
    durations = [found[i][1] for i in ids if i in found]
    result: dict[str, Any] = {
        "invocations": len(ids),
        "duration_ms": summary(durations, 0.5, 0.99),
        "round_trip_ms": summary(round_trips, 0.5, 0.99),
    }
    for key in ("duration_ms", "round_trip_ms"):
        stats = result[key]
        if stats and stats["p50"] > 0:
            stats["p99_over_p50"] = round(stats["p99"] / stats["p50"], 2)
    return result


def measure(
    runtime: str, name: str, env: dict[str, str], scenario: Scenario, cold: int, warm: int, log_dir: Path
) -> dict[str, Any]:
    print(f"  {name} ({runtime}): {cold} cold starts", flush=True)
    result: dict[str, Any] = {"cold_start": cold_starts(runtime, name, env, scenario.no_aws, cold, log_dir)}
    emulator = start(runtime, name, env, log_dir)
    try:
        print(f"  {name} ({runtime}): {warm} warm invocations per path", flush=True)
        result["warm_no_aws"] = warm_loop(emulator, scenario.no_aws, warm)
        if scenario.aws is not None:
            result["warm_aws"] = warm_loop(emulator, scenario.aws, warm)
        pid = function_pid(emulator)
        result["peak_rss_kib"] = vm_hwm_kib(pid)
        if not emulator.alive():
            raise RuntimeError(f"{name} ({runtime}): the emulator died, see {emulator.log_path}")
    finally:
        emulator.close()
    return result


# --- sizes ---------------------------------------------------------------------------------------

# The first segment of each path in a symbol (an identifier followed by "::", not preceded by one).
RUST_PATH = re.compile(r"(?<![A-Za-z0-9_:])([A-Za-z_][A-Za-z0-9_]*)::")
STD_CRATES = frozenset({"core", "alloc", "std"})


def crate_of(symbol: str) -> str:
    """The crate a demangled Rust symbol is attributed to: the first crate named in it that is not
    the standard library (so `core::ptr::drop_in_place<aws_smithy_runtime::..>` counts for
    aws_smithy_runtime), else the standard library crate, else "[C]" (ring's C and assembly, libc)."""
    crates: list[str] = RUST_PATH.findall(symbol)
    if not crates:
        return "[C]"
    return next((crate for crate in crates if crate not in STD_CRATES), crates[0])


def symbols_by_crate(binary: Path, types: str = "tT") -> dict[str, int]:
    """Bytes of symbols of the given nm types per crate, from `nm --size-sort` on an unstripped
    binary: "tT" for code (.text), "rR" for read-only data (.rodata: tables, strings)."""
    output = subprocess.run(
        ["nm", "--size-sort", "--radix=d", "-C", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    by_crate: dict[str, int] = {}
    for line in output.splitlines():
        # With --size-sort, nm prints each symbol's size in place of its address: "size type name".
        parts = line.split(" ", 2)
        if len(parts) < 3 or parts[1] not in types:
            continue
        crate = crate_of(parts[2])
        by_crate[crate] = by_crate.get(crate, 0) + int(parts[0])
    return by_crate


def text_by_crate(binary: Path) -> dict[str, int]:
    """Bytes of .text symbols per crate, from `nm --size-sort` on an unstripped binary."""
    return symbols_by_crate(binary, "tT")


def section_size(binary: Path, section: str) -> int:
    output = subprocess.run(["size", "-A", str(binary)], capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        parts = line.split()
        if parts and parts[0] == section:
            return int(parts[1])
    return 0


def sizes(names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in [*names, "hello"]:
        entry: dict[str, Any] = {}
        zip_path = REPO_ROOT / "build" / "lambda" / f"{name}.zip"
        if zip_path.exists():
            with zipfile.ZipFile(zip_path) as archive:
                entry["arm64_zip_bytes"] = zip_path.stat().st_size
                entry["arm64_bootstrap_bytes"] = archive.getinfo("bootstrap").file_size
        binary = NATIVE_RELEASE / name
        if binary.exists() and shutil.which("nm"):
            crates = text_by_crate(binary)
            total = sum(crates.values())
            aws = sum(size for crate, size in crates.items() if AWS_SDK_CRATE.match(crate))
            top = sorted(crates.items(), key=lambda item: -item[1])[:8]
            entry["x86_64_text_bytes"] = section_size(binary, ".text")
            with tempfile.TemporaryDirectory() as tmp:
                stripped = Path(tmp) / "bootstrap"
                subprocess.run(["strip", "-o", str(stripped), str(binary)], check=True)
                entry["x86_64_stripped_bytes"] = stripped.stat().st_size
            entry["x86_64_symbol_text_bytes"] = total
            entry["aws_sdk_text_bytes"] = aws
            entry["aws_sdk_text_share"] = round(aws / total, 3) if total else None
            tls = sum(size for crate, size in crates.items() if TLS_CRATE.match(crate))
            entry["tls_text_share"] = round(tls / total, 3) if total else None
            own = sum(size for crate, size in crates.items() if crate in (name.replace("-", "_"), "common"))
            entry["own_code_text_share"] = round(own / total, 3) if total else None
            entry["top_crates_text_bytes"] = dict(top)
            rodata = symbols_by_crate(binary, "rR")
            entry["x86_64_rodata_bytes"] = section_size(binary, ".rodata")
            entry["top_crates_rodata_bytes"] = dict(sorted(rodata.items(), key=lambda item: -item[1])[:4])
        baseline = functions.BASELINES / name
        if baseline.is_dir():
            entry["python_source_bytes"] = sum(p.stat().st_size for p in baseline.iterdir() if p.is_file())
        out[name] = entry
    return out


# --- report --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "uname": " ".join(platform.uname()),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "rustc": subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def targets(results: dict[str, Any], size_info: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    hello = results.get("hello", {}).get("rust", {})
    hello_init = hello.get("cold_start", {}).get("init_ms", {}).get("p50")
    hello_tail = hello.get("warm_no_aws", {}).get("duration_ms", {}).get("p99_over_p50")
    for name in names:
        rust, python = results[name].get("rust", {}), results[name].get("python", {})
        rust_cold = rust.get("cold_start", {}).get("total_ms", {}).get("p50")
        python_cold = python.get("cold_start", {}).get("total_ms", {}).get("p50")
        r = ratio(rust_cold, python_cold)
        rows.append(
            {
                "function": name,
                "target": "cold start P50 (init + first) <= 1/10 of Python's",
                "value": f"{rust_cold} ms vs {python_cold} ms: ratio {r}",
                "met": r is not None and r <= 0.1,
            }
        )
        init = rust.get("cold_start", {}).get("init_ms", {}).get("p50")
        r = ratio(init, hello_init)
        rows.append(
            {
                "function": name,
                "target": "init P50 <= 1.5x hello-world's",
                "value": f"{init} ms vs {hello_init} ms: {r}x",
                "met": r is not None and r <= 1.5,
            }
        )
        rss, python_rss = rust.get("peak_rss_kib"), python.get("peak_rss_kib")
        r = ratio(rss, python_rss)
        met = rss is not None and rss < 16 * 1024 and r is not None and r <= 0.25
        rows.append(
            {
                "function": name,
                "target": "peak RSS < 16 MiB and <= 1/4 of Python's",
                "value": f"{rss} KiB vs {python_rss} KiB: ratio {r}",
                "met": met,
            }
        )
        # The tail against the floor: the hello world's P99/P50 in the same run is what the emulator
        # and the machine add to any handler.
        stats = rust.get("warm_no_aws", {}).get("duration_ms", {})
        tail = stats.get("p99_over_p50")
        r = ratio(tail, hello_tail)
        rows.append(
            {
                "function": name,
                "target": "warm P99/P50 <= 1.2x hello-world's (no-AWS path, REPORT Duration)",
                "value": f"P50 {stats.get('p50')} ms, P99 {stats.get('p99')} ms: {tail}x vs {hello_tail}x: {r}x",
                "met": r is not None and r <= 1.2,
            }
        )
        zip_bytes = size_info.get(name, {}).get("arm64_zip_bytes")
        rows.append(
            {
                "function": name,
                "target": "arm64 zip <= 3 MB",
                "value": f"{(zip_bytes or 0) / 1e6:.2f} MB ({zip_bytes} bytes)",
                "met": zip_bytes is not None and zip_bytes <= 3_000_000,
            }
        )
    return rows


def builds_targets(builds: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not builds:
        return []
    clean, no_op = builds["clean_builds"], builds["no_op_rebuild"]
    return [
        {
            "function": "all",
            "target": "one cargo invocation per build of all functions",
            "value": ", ".join(str(run["cargo_invocations"]) for run in clean) + " (two clean builds)",
            "met": all(run["cargo_invocations"] == 1 for run in clean),
        },
        {
            "function": "all",
            "target": "no-op rebuild when nothing changed",
            "value": f"{no_op['seconds']} s, {no_op['cargo_invocations']} cargo invocations",
            "met": no_op["skipped_as_unchanged"] and no_op["cargo_invocations"] == 0,
        },
        {
            "function": "all",
            "target": "identical zips across two clean builds at different paths",
            "value": "byte-identical" if builds["identical_zips"] else "different",
            "met": builds["identical_zips"],
        },
    ]


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def scaled(value: float | None, unit: float) -> float | None:
    return None if value is None else value / unit


def stat(result: dict[str, Any], *path: str) -> Any:
    node: Any = result
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def markdown(report: dict[str, Any]) -> str:
    m, results, size_info = report["machine"], report["results"], report["sizes"]
    lines = [
        "# Benchmarks: Rust vs Python on the Lambda runtime API",
        "",
        f"Generated by `scripts/bench` (`python -m bench.run`) on {report['date']}.",
        "",
        f"- Machine: `{m['uname']}`",
        f"- CPU: {m['cpu']} ({m['cpus']} logical CPUs, shared with other jobs while measuring)",
        f"- {m['rustc']}; Python {m['python']} (awslambdaric + boto3)",
        f"- {report['settings']['cold_runs']} cold starts and {report['settings']['warm_runs']} warm invocations per "
        "path and runtime; each function under aws-lambda-rie, with moto as AWS on the same machine.",
        "- Rust: x86_64 release builds (the artifacts' profile: fat LTO, one codegen unit). Python: "
        "bench/baselines/<function>, the same handlers, passing the same e2e scenarios.",
        "",
        "## Cold start and memory",
        "",
        "Init = from spawning the bootstrap to its first `GET /runtime/invocation/next` (Lambda's init "
        "phase), measured against a timing Runtime API in bench/run.py; first = from handing out the event "
        "(the no-AWS path) to the response. aws-lambda-rie's REPORT line is shown as a cross-check: it "
        "starts the runtime when the first invoke arrives and reports an `Init Duration` of about 0 ms, "
        "so its first `Duration` holds the init too (Init Duration + Duration, P50). Peak RSS = VmHWM of "
        "the function process (the emulator's child) after the 2 x warm invocations.",
        "",
        "| Function | Runtime | Init P50 / P95 (ms) | First P50 / P95 (ms) | Init + first P50 / P95 (ms) "
        "| RIE REPORT init + first P50 (ms) | Peak RSS (MiB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, runtimes in results.items():
        for runtime, r in runtimes.items():
            lines.append(
                f"| {name} | {runtime} | {fmt(stat(r, 'cold_start', 'init_ms', 'p50'))} / "
                f"{fmt(stat(r, 'cold_start', 'init_ms', 'p95'))} | "
                f"{fmt(stat(r, 'cold_start', 'first_invocation_ms', 'p50'))} / "
                f"{fmt(stat(r, 'cold_start', 'first_invocation_ms', 'p95'))} | "
                f"{fmt(stat(r, 'cold_start', 'total_ms', 'p50'))} / {fmt(stat(r, 'cold_start', 'total_ms', 'p95'))} | "
                f"{fmt(stat(r, 'cold_start', 'rie_report', 'total_ms', 'p50'))} | "
                f"{fmt((r.get('peak_rss_kib') or 0) / 1024, 1)} |"
            )
    lines += [
        "",
        "## Warm latency",
        "",
        "REPORT `Duration` (the function's time, as Lambda bills it) and, in brackets, the round trip "
        "the caller sees through the emulator. The AWS path's time is mostly moto's (a Python server).",
        "",
        "| Function | Runtime | No AWS P50 / P99 (ms) | P99/P50 | AWS P50 / P99 (ms) | P99/P50 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, runtimes in results.items():
        for runtime, r in runtimes.items():
            cells = []
            for path in ("warm_no_aws", "warm_aws"):
                d, t = stat(r, path, "duration_ms") or {}, stat(r, path, "round_trip_ms") or {}
                if not d:
                    cells += ["n/a", "n/a"]
                    continue
                cells.append(f"{fmt(d.get('p50'))} / {fmt(d.get('p99'))} ({fmt(t.get('p50'))} / {fmt(t.get('p99'))})")
                cells.append(fmt(d.get("p99_over_p50")))
            lines.append(f"| {name} | {runtime} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Size",
        "",
        "arm64 zip and unzipped `bootstrap` (build/lambda); the AWS SDK's share of the x86_64 release "
        "binary's .text, attributing each symbol to its outermost crate path with `nm --size-sort` (an "
        "estimate: fat LTO inlines across crates, and generic code is counted where it is instantiated).",
        "",
        "| Function | arm64 zip (MB) | arm64 bootstrap (MB) | x86_64 stripped (MB) | x86_64 .text (MB) "
        "| AWS SDK share of .text | Python source (KiB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in size_info.items():
        share = s.get("aws_sdk_text_share")
        lines.append(
            f"| {name} | {fmt(scaled(s.get('arm64_zip_bytes'), 1e6))} | "
            f"{fmt(scaled(s.get('arm64_bootstrap_bytes'), 1e6))} | "
            f"{fmt(scaled(s.get('x86_64_stripped_bytes'), 1e6))} | "
            f"{fmt(scaled(s.get('x86_64_text_bytes'), 1e6))} | "
            f"{fmt(share * 100 if share is not None else None, 0)}% | "
            f"{fmt(scaled(s.get('python_source_bytes'), 1024), 1)} |"
        )
    lines += builds_markdown(report.get("builds"))
    lines += ["", "## Targets", "", "| Function | Target | Measured | Met |", "| --- | --- | --- | --- |"]
    for row in report["targets"]:
        lines.append(f"| {row['function']} | {row['target']} | {row['value']} | {'yes' if row['met'] else '**no**'} |")
    lines += ["", "![Cold start and peak memory, Rust vs Python](chart.png)", ""]
    notes = report.get("notes")
    if notes:
        lines += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    return "\n".join(lines)


def builds_markdown(builds: dict[str, Any] | None) -> list[str]:
    """The build figures of `--builds` (bench/builds.py), when they were measured."""
    if not builds:
        return ["", "## Builds", "", "Not measured yet: `scripts/bench --builds` measures them."]
    lines = [
        "",
        "## Builds",
        "",
        f"`scripts/bench --builds` on {builds['date']}, commit `{builds['commit'][:12]}`: two clones at "
        "different paths, each built by scripts/build-functions against an empty cache (target dir, "
        "mirrored sources, zig cache), then the first one again with nothing changed.",
        "",
        "| Build | Clone | Time (s) | cargo invocations | Skipped as unchanged |",
        "| --- | --- | --- | --- | --- |",
    ]
    first, second = builds["clean_builds"]
    for label, run in (("clean 1", first), ("no-op rebuild", builds["no_op_rebuild"]), ("clean 2", second)):
        lines.append(
            f"| {label} | `{run['clone']}` | {run['seconds']} | {run['cargo_invocations']} | "
            f"{'yes' if run['skipped_as_unchanged'] else 'no'} |"
        )
    verdict = "byte-identical" if builds["identical_zips"] else "**different**"
    lines += ["", f"The two clean builds' zips are {verdict}:", ""]
    for name, sha in first["sha256"].items():
        other = second["sha256"].get(name)
        lines.append(f"- {name}: `{sha}`" + ("" if other == sha else f" vs `{other}`"))
    return lines


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in report["results"] if "python" in report["results"][n]]
    results = report["results"]

    def values(runtime: str, getter: Callable[[dict[str, Any]], Any]) -> list[float]:
        return [float(getter(results[n].get(runtime, {})) or 0) for n in names]

    figure, (cold_axis, memory_axis) = plt.subplots(1, 2, figsize=(12, 4.5))
    positions = list(range(len(names)))
    width = 0.38
    for axis, getter, title, unit in (
        (
            cold_axis,
            lambda r: stat(r, "cold_start", "total_ms", "p50"),
            "Cold start P50 (init + first invocation)",
            "ms",
        ),
        (memory_axis, lambda r: (r.get("peak_rss_kib") or 0) / 1024, "Peak RSS (VmHWM)", "MiB"),
    ):
        rust, python = values("rust", getter), values("python", getter)
        axis.bar([p - width / 2 for p in positions], rust, width, label="Rust", color="#b7410e")
        axis.bar([p + width / 2 for p in positions], python, width, label="Python", color="#3776ab")
        for p, value in zip(positions, rust, strict=True):
            axis.annotate(f"{value:.1f}", (p - width / 2, value), ha="center", va="bottom", fontsize=7)
        for p, value in zip(positions, python, strict=True):
            axis.annotate(f"{value:.0f}", (p + width / 2, value), ha="center", va="bottom", fontsize=7)
        axis.set_title(title)
        axis.set_ylabel(unit)
        axis.set_xticks(positions)
        axis.set_xticklabels(names, rotation=20, ha="right")
        axis.legend()
    figure.suptitle(
        f"Rust vs Python under aws-lambda-rie ({report['date'][:10]}, {report['machine']['cpu']})", fontsize=9
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def notes(results: dict[str, Any], size_info: dict[str, Any], names: list[str]) -> list[str]:
    """What the figures mean, with the figures computed from this run. The reasons quoted for the
    init figures were measured separately, with perf over repeated starts of the release binaries."""
    out = [
        "Rust runs here as native x86_64 release builds; the deployed artifacts are the arm64 builds, "
        "whose sizes are reported but which were not timed (under qemu the emulator would be timed, not "
        "the code). On Lambda, add the sandbox's own start-up, which is the same for both runtimes.",
        "The function under test (the emulator and its bootstrap) runs pinned to one CPU, the harness "
        "(this process, its timing Runtime API, moto) to the other, for both runtimes alike.",
        "The Python baselines write records one after another and serve one invocation at a time per "
        "process; the Rust sqs-processor writes up to 32 records at once and lmi-worker serves many "
        "invocations per process (the e2e concurrency tests run on the Rust builds only).",
        "The AWS path's latency is mostly moto's (a Python server on the same 2 CPUs): it compares the "
        "clients' overhead only roughly, not DynamoDB's or S3's latency.",
    ]
    zips = [size_info[n]["arm64_zip_bytes"] for n in names if "arm64_zip_bytes" in size_info.get(n, {})]
    shares = [size_info[n].get("aws_sdk_text_share") for n in names if size_info.get(n, {}).get("aws_sdk_text_share")]
    tls = [size_info[n].get("tls_text_share") for n in names if size_info.get(n, {}).get("tls_text_share")]
    own = [size_info[n].get("own_code_text_share") or 0.0 for n in names]
    hello = size_info.get("hello", {}).get("x86_64_stripped_bytes")
    stripped = [size_info[n].get("x86_64_stripped_bytes") or 0 for n in names]
    s3_zip_mb = size_info.get("s3-processor", {}).get("arm64_zip_bytes", 0) / 1e6
    crc_fast = max(size_info[n].get("top_crates_rodata_bytes", {}).get("crc_fast", 0) for n in names) if names else 0
    if zips and shares and hello:
        out.append(
            f"Size: the arm64 zips are {min(zips) / 1e6:.2f}-{max(zips) / 1e6:.2f} MB, with fat LTO, one "
            'codegen unit, stripped symbols and the dependencies (and common) at opt-level "s" (17% smaller '
            'than at 3; "z" measured only 4-5% smaller again, for slower code). A bare lambda_runtime hello '
            f"world is {hello / 1e6:.1f} MB (x86_64, stripped), the functions {min(stripped) / 1e6:.1f}-"
            f"{max(stripped) / 1e6:.1f} MB: by symbol, the AWS SDK crates are {min(shares) * 100:.0f}-"
            f"{max(shares) * 100:.0f}% of each function's .text and TLS (rustls, ring, webpki) another "
            f"{min(tls) * 100:.0f}-{max(tls) * 100:.0f}%; the handlers and common together "
            f"{max(own) * 100:.0f}% at most. HTTP/2 (h2 and hyper's HTTP/2 side, ~300 KB of .text on "
            "x86_64) is linked only with common's `http2` feature, which no function needs. s3-processor "
            "is the largest: besides the S3 client (the largest generated crate, with its endpoint rules) "
            "and Secrets Manager's, the S3 SDK's checksums link crc-fast, whose lookup tables for every "
            f"CRC variant it knows ({crc_fast / 1e3:.0f} KB of read-only data; about 590 KB of the zip, "
            "measured by deflating them) are all kept because it picks a table at run time; the SDK uses "
            f"3 of them. Without them s3-processor's zip would be about {s3_zip_mb - 0.59:.1f} MB; "
            "dropping them needs crc-fast to gate its tables by feature (awesomized/crc-fast-rust#61) or "
            "a patched crc-fast: not done."
        )
    hello_init = stat(results, "hello", "rust", "cold_start", "init_ms", "p50")
    inits = [stat(results, n, "rust", "cold_start", "init_ms", "p50") for n in names]
    inits = [i for i in inits if i is not None]
    if hello_init and inits:
        out.append(
            f"Init: the functions take {min(inits):.1f}-{max(inits):.1f} ms (P50), {min(inits) / hello_init:.1f}-"
            f"{max(inits) / hello_init:.1f}x the hello world's {hello_init:.1f} ms, with no network calls. "
            "What they add: aws-config's loader, which reads every AWS_* setting a user may set (FIPS, "
            "retries, endpoints); the SDK clients' construction (s3-processor builds two); and page faults of "
            "a 6x larger binary. Mozilla's root certificates cost no parsing at init: build.rs turns them "
            "into rustls trust anchors (common::https); with the SDK's own client, rustls decoded and parsed "
            "them as PEM at each client's construction and again at its first request (about a third of "
            "init CPU, measured with perf over 200 starts of sqs-processor)."
        )
    hello_ratio = stat(results, "hello", "rust", "warm_no_aws", "duration_ms", "p99_over_p50")
    ratios = [stat(results, n, "rust", "warm_no_aws", "duration_ms", "p99_over_p50") for n in names]
    ratios = [r for r in ratios if r is not None]
    if hello_ratio and ratios:
        out.append(
            f"Warm P99/P50 without AWS calls is {min(ratios):.1f}-{max(ratios):.1f}x for the functions and "
            f"{hello_ratio:.1f}x for the hello world, whose handler does nothing: with P50s of about 0.2 ms, "
            "the tail is the emulator's and this shared 2-CPU machine's scheduling (ten hiccups in 1,000 "
            "calls make the P99), not the handlers'."
        )
    pairs = [
        (stat(results, n, "rust", path, "duration_ms", "p50"), stat(results, n, "python", path, "duration_ms", "p50"))
        for n in names
        for path in ("warm_no_aws", "warm_aws")
    ]
    if pairs and all(r is not None and p for r, p in pairs):
        no_aws, aws = pairs[0::2], pairs[1::2]
        gap = max(abs(r - p) for r, p in no_aws)
        ratios = [r / p for r, p in aws]
        out.append(
            f"Warm, without AWS calls, both runtimes take under {max(max(pair) for pair in no_aws):.1f} ms (P50) "
            f"and differ by {gap:.2f} ms at most: what is timed there is mostly the emulator and the two "
            "loopback HTTP requests of the Runtime API, not the handlers. With AWS calls (against the same "
            f"moto), Rust's P50 is {min(ratios):.2f}-{max(ratios):.2f}x Python's."
        )
    return out


def write_report(report: dict[str, Any], names: list[str], out: Path) -> None:
    """Sizes, targets and notes for the measured `report`; writes results.json, RESULTS.md, chart.png."""
    report["sizes"] = sizes(names)
    report["targets"] = targets(report["results"], report["sizes"], names) + builds_targets(report.get("builds"))
    report["notes"] = notes(report["results"], report["sizes"], names)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "RESULTS.md").write_text(markdown(report))
    chart(report, out / "chart.png")
    print(markdown(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", type=int, default=20, help="cold starts per function and runtime")
    parser.add_argument("--warm", type=int, default=1000, help="warm invocations per path")
    parser.add_argument("--only", default="", help="comma-separated functions (default: all)")
    parser.add_argument("--skip-build", action="store_true", help="use the binaries already built")
    parser.add_argument(
        "--report-only", action="store_true", help="measure nothing: redo sizes and the report from results.json"
    )
    parser.add_argument(
        "--builds",
        action="store_true",
        help="the long mode: two clean arm64 builds of HEAD at different paths and a no-op rebuild (bench/builds.py)",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where results.json, RESULTS.md, chart.png go")
    args = parser.parse_args()
    if args.report_only or args.builds:
        measured: dict[str, Any] = json.loads((args.out / "results.json").read_text())
        if args.builds:
            measured["builds"] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), **builds.measure()}
        write_report(measured, [n for n in measured["results"] if n != "hello"], args.out)
        return
    if shutil.which("aws-lambda-rie") is None:
        raise SystemExit("aws-lambda-rie is not on PATH: run scripts/setup, then PATH=~/.cache/rustlambda/bin:$PATH")
    names = [c.name for c in functions.contracts().values()]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    build(args.skip_build)
    contracts = functions.contracts()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        log_dir = Path(tmp)
        if CPU_SPLIT is not None:
            os.sched_setaffinity(0, CPU_SPLIT[0])  # before moto and any thread start: they inherit it
        moto = MotoServer(log_dir / "moto.log")
        try:
            plans = scenarios(moto, uuid.uuid4().hex[:8])
            hello = Scenario({}, {"hello": "world"}, None)
            print("hello (rust)", flush=True)
            results["hello"] = {
                "rust": measure("rust", "hello", {"RUST_LOG": "info"}, hello, args.cold, args.warm, log_dir)
            }
            for name in names:
                scenario = plans[name]
                env = {**functions.function_env(contracts[name], scenario.references), **moto.function_env()}
                results[name] = {
                    runtime: measure(runtime, name, env, scenario, args.cold, args.warm, log_dir)
                    for runtime in ("rust", "python")
                }
        finally:
            moto.close()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"cold_runs": args.cold, "warm_runs": args.warm, "loop_budget_s": LOOP_BUDGET_S},
        "results": results,
    }
    previous = args.out / "results.json"
    if previous.is_file() and "builds" in (earlier := json.loads(previous.read_text())):
        report["builds"] = earlier["builds"]  # measured by --builds, for the commit it names
    write_report(report, names, args.out)


if __name__ == "__main__":
    main()
