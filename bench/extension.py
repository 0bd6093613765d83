"""The telemetry extension's cost at init: one function's init with the extension against its init
without, alternating, in the same run, and beside it the cost of the smallest extension
(bench/hello's `hello-extension`, which only registers), so that what any extension costs (a
process started and registered before the runtime may start) is told apart from what ours adds.

Timed against harness/extensions_api.py (the Runtime, Extensions and Telemetry APIs of one
execution environment), as Lambda runs an environment with an extension: the extension starts
first and registers, then the runtime starts; init ends when the runtime and every extension have
asked for their next event (Lambda's Init phase covers the extensions' init too). Without the
extension, init ends at the runtime's first GET .../invocation/next, as in bench/cold_start.py.
Both use the x86_64 release binaries (the artifacts' profile), on the function's CPU.

    .venv/bin/python -m bench.extension [--runs 20]   # the figures alone, without the full benchmark
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.binaries import command
from bench.limits import INVOKE_TIMEOUT_S, LOOP_BUDGET_S
from bench.pinning import on_function_cpu
from bench.scenarios import one_function
from bench.stats import summary
from harness.extensions_api import ExtensionsApi
from harness.processes import stop

EXTENSION = "telemetry-extension"
# The floor: an extension that registers and does nothing (bench/hello/src/bin/hello-extension.rs).
BASELINE_EXTENSION = "hello-extension"
# The function whose init is measured with and without the extension.
FUNCTION = "http-api"
# The extension may add at most this much to the function's init (P50 with minus P50 without).
TARGET_OVERHEAD_MS = 2.0


def one_init(name: str, env: dict[str, str], payload: Any, extension_name: str | None, log_dir: Path) -> float:
    """The init (ms) of one fresh environment of `name`, with the extension `extension_name` or
    without any."""
    api = ExtensionsApi("bench")
    request_id = api.submit(payload)
    log_path = log_dir / f"{name}-with-{extension_name or 'no-extension'}.log"
    processes: list[subprocess.Popen[bytes]] = []
    with log_path.open("ab") as log:
        try:
            started = time.perf_counter()
            with on_function_cpu():
                if extension_name is not None:
                    processes.append(
                        subprocess.Popen(
                            command("rust", extension_name),
                            env={**api.runtime_env(), "AWS_LAMBDA_LOG_LEVEL": env.get("AWS_LAMBDA_LOG_LEVEL", "INFO")},
                            stdout=log,
                            stderr=subprocess.STDOUT,
                        )
                    )
            extension = api.only_extension(INVOKE_TIMEOUT_S) if extension_name is not None else None
            with on_function_cpu():
                processes.append(
                    subprocess.Popen(
                        command("rust", name), env={**api.runtime_env(), **env}, stdout=log, stderr=subprocess.STDOUT
                    )
                )
            try:
                api.wait_for([request_id], INVOKE_TIMEOUT_S)
                if extension is not None:
                    api.wait_ready(extension, INVOKE_TIMEOUT_S)
            except (RuntimeError, TimeoutError) as error:
                raise RuntimeError(f"{name}: the init failed ({error}), see {log_path}") from error
            ends = [api.state.first_next_at]
            if extension is not None:
                ends.append(extension.first_next_at)
            assert all(end is not None for end in ends)  # both waited for above
            return (max(end for end in ends if end is not None) - started) * 1000
        finally:
            for process in processes:
                stop(process)
            api.close()


def extension_overhead(name: str, env: dict[str, str], payload: Any, runs: int, log_dir: Path) -> dict[str, Any]:
    """Init P50/P95 of `runs` environments without an extension, `runs` with the bare one and `runs`
    with ours, alternating (so all see the same machine); the P50 differences against the target."""
    inits: dict[str | None, list[float]] = {None: [], BASELINE_EXTENSION: [], EXTENSION: []}
    budget_end = time.monotonic() + LOOP_BUDGET_S
    for _ in range(runs):
        if time.monotonic() > budget_end:
            break
        for extension_name, values in inits.items():
            values.append(one_init(name, env, payload, extension_name, log_dir))
    without, baseline, with_ = (summary(inits[key], 0.5, 0.95) for key in (None, BASELINE_EXTENSION, EXTENSION))
    overhead = round(with_["p50"] - without["p50"], 3) if inits[EXTENSION] else None
    baseline_overhead = round(baseline["p50"] - without["p50"], 3) if inits[BASELINE_EXTENSION] else None
    return {
        "function": name,
        "extension": EXTENSION,
        "baseline_extension": BASELINE_EXTENSION,
        "init_without_ms": without,
        "init_with_baseline_ms": baseline,
        "init_with_ms": with_,
        "overhead_p50_ms": overhead,
        "baseline_overhead_p50_ms": baseline_overhead,
        "own_overhead_p50_ms": (
            round(overhead - baseline_overhead, 3) if overhead is not None and baseline_overhead is not None else None
        ),
        "target_ms": TARGET_OVERHEAD_MS,
        "runs": len(inits[EXTENSION]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="environments with and without the extension each")
    args = parser.parse_args()
    with one_function(FUNCTION, "bench-extension-") as (env, scenario, log_dir):
        print(json.dumps(extension_overhead(FUNCTION, env, scenario.no_aws, args.runs, log_dir), indent=2))


if __name__ == "__main__":
    main()
