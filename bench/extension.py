"""The telemetry extension's cost, at init and per invocation, against the same function without an
extension and with the smallest extension there is (bench/hello's `hello-extension`, which
registers for INVOKE and SHUTDOWN and does nothing), all in the same run, taking turns:

- init: one function's init with each, in fresh environments, so that what any extension costs (a
  process started and registered before the runtime may start) is told apart from what ours adds;
- per invocation: warm invocations of one environment with each, an invocation timed from its
  hand-out to its end as Lambda ends it (the runtime has answered and every extension registered
  for INVOKE has asked for its next event), with each invocation's platform events delivered to the
  subscribed extension while the next one runs, as the Telemetry API delivers them; then SHUTDOWN,
  after which the telemetry extension's EMF lines must hold one `Duration` per invocation (every
  event kept, with SHUTDOWN as its only registration).

Timed against harness/extensions_api.py (the Runtime, Extensions and Telemetry APIs of one
execution environment), as Lambda runs an environment with an extension: the extension starts
first and registers, then the runtime starts; init ends when the runtime and every extension have
asked for their next event (Lambda's Init phase covers the extensions' init too). Without an
extension, init ends at the runtime's first GET .../invocation/next, as in bench/cold_start.py.
All use the x86_64 release binaries (the artifacts' profile), on the function's CPU.

    .venv/bin/python -m bench.extension [--runs 20] [--invocations 1000]   # these figures alone
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.binaries import command
from bench.limits import INVOKE_TIMEOUT_S, LOOP_BUDGET_S
from bench.pinning import on_function_cpu
from bench.scenarios import one_function
from bench.stats import summary
from harness.extensions_api import Extension, ExtensionsApi, platform_events
from harness.processes import stop

EXTENSION = "telemetry-extension"
# The floor: an extension that registers for INVOKE and SHUTDOWN and does nothing
# (bench/hello/src/bin/hello-extension.rs).
BASELINE_EXTENSION = "hello-extension"
# The function whose init and invocations are measured with and without the extension.
FUNCTION = "http-api"
# The extension may add at most this much to the function's init (P50 with minus P50 without).
TARGET_OVERHEAD_MS = 2.0
# ... and at most this much to each invocation (P50 with minus P50 without).
TARGET_INVOCATION_OVERHEAD_MS = 0.05
# Warm invocations per environment; the environments of each kind take turns in rounds of these.
INVOCATIONS_PER_ROUND = 200


@dataclass
class Environment:
    """One execution environment: its APIs, the extension (if any) and the processes started."""

    api: ExtensionsApi
    extension: Extension | None
    extension_log: Path
    processes: list[subprocess.Popen[bytes]]


@contextmanager
def environment(
    name: str, env: dict[str, str], extension_name: str | None, log_dir: Path, before_start: Any = None
) -> Iterator[tuple[Environment, float]]:
    """A fresh environment of `name` with the extension `extension_name` (or none): the extension
    started and registered first, then the runtime, both on the function's CPU; `before_start`
    is queued first (the first invocation). Yields it with the time.perf_counter() of the first
    start; stops both at the end."""
    api = ExtensionsApi("bench")
    if before_start is not None:
        api.submit(before_start)
    label = extension_name or "no-extension"
    runtime_log, extension_log = log_dir / f"{name}-with-{label}.log", log_dir / f"{label}-{time.monotonic_ns()}.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        extension = None
        if extension_name is not None:
            with extension_log.open("ab") as log, on_function_cpu():
                processes.append(
                    subprocess.Popen(
                        command("rust", extension_name),
                        env={**api.runtime_env(), "AWS_LAMBDA_LOG_LEVEL": env.get("AWS_LAMBDA_LOG_LEVEL", "INFO")},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            extension = api.only_extension(INVOKE_TIMEOUT_S)
        with runtime_log.open("ab") as log, on_function_cpu():
            processes.append(
                subprocess.Popen(
                    command("rust", name), env={**api.runtime_env(), **env}, stdout=log, stderr=subprocess.STDOUT
                )
            )
        yield Environment(api, extension, extension_log, processes), started
    finally:
        for process in processes:
            stop(process)
        api.close()


def one_init(name: str, env: dict[str, str], payload: Any, extension_name: str | None, log_dir: Path) -> float:
    """The init (ms) of one fresh environment of `name`, with the extension `extension_name` or
    without any."""
    with environment(name, env, extension_name, log_dir, before_start=payload) as (environment_, started):
        api, extension = environment_.api, environment_.extension
        try:
            api.wait_until(lambda _: api.state.first_next_at is not None, INVOKE_TIMEOUT_S, f"{name} to be ready")
            if extension is not None:
                api.wait_ready(extension, INVOKE_TIMEOUT_S)
        except TimeoutError as error:
            raise RuntimeError(f"{name}: the init failed ({error}), see {log_dir}") from error
        ends = [api.state.first_next_at, *([extension.first_next_at] if extension is not None else [])]
        return (max(end for end in ends if end is not None) - started) * 1000


def warm_invocations(
    name: str, env: dict[str, str], payload: Any, extension_name: str | None, count: int, log_dir: Path
) -> tuple[list[float], int, int | None]:
    """`count` warm invocations of one fresh environment: each one's time (ms, hand-out to end),
    the platform reports delivered, and the `Duration` values the extension wrote by the end of
    its SHUTDOWN (None without an extension that writes them)."""
    times: list[float] = []
    delivered = 0
    with environment(name, env, extension_name, log_dir) as (environment_, _):
        api, extension = environment_.api, environment_.extension
        api.wait_until(lambda _: api.state.first_next_at is not None, INVOKE_TIMEOUT_S, f"{name} to be ready")
        if extension is not None:
            api.wait_ready(extension, INVOKE_TIMEOUT_S)
        # One delivery at a time, beside the invocations, as the Telemetry API sends batches.
        with ThreadPoolExecutor(max_workers=1) as telemetry:
            for _ in range(count):
                request_id = api.submit(payload)
                started, ended = api.invocation_end(request_id, INVOKE_TIMEOUT_S)
                responded = api.state.outcomes[request_id].received_at
                times.append((ended - started) * 1000)
                telemetry.submit(api.deliver, platform_events(request_id, started, responded, ended))
                delivered += 1
        written = None
        if extension is not None and extension_name == EXTENSION:
            api.shutdown(extension)
            environment_.processes[0].wait(timeout=10)
            written = written_durations(environment_.extension_log)
    return times, delivered, written


def written_durations(log: Path) -> int:
    """How many `Duration` values the EMF lines of an extension's output hold."""
    count = 0
    for line in log.read_text().splitlines():
        document = json.loads(line)
        if "_aws" in document:
            count += len(document.get("Duration", []))
    return count


def extension_overhead(
    name: str, env: dict[str, str], payload: Any, runs: int, invocations: int, log_dir: Path
) -> dict[str, Any]:
    """Init P50/P95 of `runs` environments without an extension, `runs` with the bare one and `runs`
    with ours, taking turns; then `invocations` warm invocations with each, in rounds of
    INVOCATIONS_PER_ROUND taking turns; the P50 differences against the targets."""
    kinds: list[str | None] = [None, BASELINE_EXTENSION, EXTENSION]
    inits: dict[str | None, list[float]] = {kind: [] for kind in kinds}
    budget_end = time.monotonic() + LOOP_BUDGET_S
    for _ in range(runs):
        if time.monotonic() > budget_end:
            break
        for kind in kinds:
            inits[kind].append(one_init(name, env, payload, kind, log_dir))
    warm: dict[str | None, list[float]] = {kind: [] for kind in kinds}
    delivered, written = 0, 0
    budget_end = time.monotonic() + LOOP_BUDGET_S
    while len(warm[EXTENSION]) < invocations and time.monotonic() < budget_end:
        count = min(INVOCATIONS_PER_ROUND, invocations - len(warm[EXTENSION]))
        for kind in kinds:
            times, sent, kept = warm_invocations(name, env, payload, kind, count, log_dir)
            warm[kind] += times
            if kind == EXTENSION:
                delivered, written = delivered + sent, written + (kept or 0)
    without, baseline, with_ = (summary(inits[kind], 0.5, 0.95) for kind in kinds)
    warm_without, warm_baseline, warm_with = (summary(warm[kind], 0.5, 0.95, 0.99) for kind in kinds)
    return {
        "function": name,
        "extension": EXTENSION,
        "baseline_extension": BASELINE_EXTENSION,
        "init_without_ms": without,
        "init_with_baseline_ms": baseline,
        "init_with_ms": with_,
        "overhead_p50_ms": difference(with_, without),
        "baseline_overhead_p50_ms": difference(baseline, without),
        "own_overhead_p50_ms": difference(with_, baseline),
        "target_ms": TARGET_OVERHEAD_MS,
        "runs": len(inits[EXTENSION]),
        "invocation_without_ms": warm_without,
        "invocation_with_baseline_ms": warm_baseline,
        "invocation_with_ms": warm_with,
        "invocation_overhead_p50_ms": difference(warm_with, warm_without),
        "invocation_baseline_overhead_p50_ms": difference(warm_baseline, warm_without),
        "invocation_target_ms": TARGET_INVOCATION_OVERHEAD_MS,
        "reports_delivered": delivered,
        "durations_written": written,
    }


def difference(a: dict[str, float], b: dict[str, float]) -> float | None:
    """P50 of `a` minus P50 of `b` (ms), when both were measured."""
    return round(a["p50"] - b["p50"], 3) if a and b else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="environments with and without the extension each")
    parser.add_argument("--invocations", type=int, default=1000, help="warm invocations with and without each")
    args = parser.parse_args()
    with one_function(FUNCTION, "bench-extension-") as (env, scenario, log_dir):
        figures = extension_overhead(FUNCTION, env, scenario.no_aws, args.runs, args.invocations, log_dir)
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
