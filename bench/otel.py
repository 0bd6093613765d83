"""OpenTelemetry's cost, by measurement: http-api built three ways (default, `otel`: OTLP/HTTP to a
collector, `otel-lite`: lambda-otel-lite's OTLP lines on stdout), each as an x86_64 release binary
with the artifacts' profile, compared on size and on init.

Sizes: the stripped binary, its zip (zlib's deflate at level 9; scripts/build_functions.py's zopfli
is 3% smaller) and its .text, with each feature build's growth over the default. Init: P50/P95 over
N cold starts of each build, alternating (so all see the same machine), timed against our Runtime
API as bench/cold_start.py does. After each response: over N warm invocations of one process per
build, the time from the response to the runtime's next request for work, which is where the spans
are exported (billed duration, not the caller's latency); the `otel` build exports to
harness/otlp.py's receiver, which answers as a collector on the same machine would. The ADOT
collector layer itself (a Go binary run as an extension, its init counted in Lambda's) cannot be
measured here: neither its Go module nor AWS's layer is reachable from this machine.

The builds go to a target dir of their own (harness.functions.FEATURE_TARGET_DIR), so the default
binaries the other benchmarks and tests use are never replaced.

    .venv/bin/python -m bench.otel [--runs 20] [--skip-build]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.cold_start import one_cold_start
from bench.limits import INVOKE_TIMEOUT_S, LOOP_BUDGET_S
from bench.pinning import on_function_cpu
from bench.scenarios import one_function
from bench.sizes import section_sizes
from bench.stats import summary
from harness import functions
from harness.otlp import OtlpReceiver
from harness.processes import stop
from harness.runtime_api import RuntimeApi

FUNCTION = "http-api"
# Variant name -> the function crate's cargo feature ("" for the default build).
VARIANTS = {"default": "", "otel": "otel", "otel-lite": "otel-lite"}


def binary_path(variant: str) -> Path:
    return functions.FEATURE_TARGET_DIR / f"release-{VARIANTS[variant] or 'default'}" / FUNCTION


def build(variant: str) -> Path:
    """The variant's release binary (the artifacts' profile: fat LTO, stripped)."""
    started = time.monotonic()
    directory = functions.build_with_feature(FUNCTION, VARIANTS[variant] or None, release=True)
    print(f"built {FUNCTION} ({variant}) in {time.monotonic() - started:.0f} s", flush=True)
    return directory / FUNCTION


def zipped_bytes(binary: Path) -> int:
    """The size of the binary zipped with zlib at level 9 (the build's zopfli is 3% smaller again)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("bootstrap"), binary.read_bytes(), zipfile.ZIP_DEFLATED, 9)
    return len(buffer.getvalue())


def sizes(binaries: dict[str, Path]) -> dict[str, dict[str, int]]:
    out = {
        variant: {
            "binary_bytes": path.stat().st_size,
            "zip_bytes": zipped_bytes(path),
            "text_bytes": section_sizes(path).get(".text", 0),
        }
        for variant, path in binaries.items()
    }
    default = out["default"]
    for entry in out.values():
        for key in ("binary_bytes", "zip_bytes", "text_bytes"):
            entry[f"{key.removesuffix('_bytes')}_growth_bytes"] = entry[key] - default[key]
    return out


def after_responses(binary: Path, env: dict[str, str], payload: Any, runs: int, log_dir: Path) -> list[float]:
    """For `runs` warm invocations of one process: ms from the response to the runtime's next
    request for work, the time the span export adds to each invocation (billed, not seen by the
    caller). The first invocation is left out (its export opens the connection)."""
    api = RuntimeApi("bench")
    log = (log_dir / f"{binary.parent.name}-warm.log").open("ab")
    gaps: list[float] = []
    try:
        with on_function_cpu():
            process = subprocess.Popen([str(binary)], env={**api.runtime_env(), **env}, stdout=log, stderr=log)
        try:
            budget_end = time.monotonic() + LOOP_BUDGET_S
            for index in range(runs + 1):
                if time.monotonic() > budget_end:
                    break
                request_id = api.submit(payload)
                outcome = api.wait_for([request_id], INVOKE_TIMEOUT_S)[request_id]
                # Request for work number `index` took this invocation; the next one follows its export.
                next_at = api.next_request_at(index + 1, INVOKE_TIMEOUT_S)
                if index > 0:
                    gaps.append((next_at - outcome.received_at) * 1000)
        finally:
            stop(process)
    finally:
        api.close()
        log.close()
    return gaps


def inits(
    binaries: dict[str, Path], env: dict[str, str], payload: Any, runs: int, log_dir: Path
) -> dict[str, dict[str, Any]]:
    """Per variant: init and first invocation P50/P95 of `runs` cold starts (alternating), then
    the time after each response over `runs` warm invocations; the `otel` build exports to the
    receiver throughout."""
    receiver = OtlpReceiver()
    extra = {"otel": {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}}
    measured: dict[str, tuple[list[float], list[float]]] = {variant: ([], []) for variant in binaries}
    budget_end = time.monotonic() + LOOP_BUDGET_S
    try:
        for _ in range(runs):
            if time.monotonic() > budget_end:
                break
            for variant, path in binaries.items():
                init, first = one_cold_start(
                    "rust", FUNCTION, {**env, **extra.get(variant, {})}, payload, log_dir, argv=[str(path)]
                )
                measured[variant][0].append(init)
                measured[variant][1].append(first)
        after = {
            variant: after_responses(path, {**env, **extra.get(variant, {})}, payload, runs, log_dir)
            for variant, path in binaries.items()
        }
        exported = len(receiver.spans)
    finally:
        receiver.close()
    out: dict[str, dict[str, Any]] = {
        variant: {
            "init_ms": summary(init, 0.5, 0.95),
            "first_invocation_ms": summary(first, 0.5, 0.95),
            "after_response_ms": summary(after[variant], 0.5, 0.95),
        }
        for variant, (init, first) in measured.items()
    }
    default_p50 = out["default"]["init_ms"].get("p50")
    for entry in out.values():
        p50 = entry["init_ms"].get("p50")
        entry["init_p50_over_default_ms"] = round(p50 - default_p50, 3) if p50 is not None and default_p50 else None
    # The cold starts' processes stop at their response, before exporting: the warm ones' spans arrive.
    out["otel"]["spans_received"] = exported
    return out


def table(result: dict[str, Any]) -> str:
    rows = [
        "| build | binary | zip | .text | zip growth | .text growth | init P50 | init P95 | init P50 growth | "
        "first invocation P50 | after each response P50 / P95 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in VARIANTS:
        size, init = result["sizes"][variant], result["init"][variant]
        rows.append(
            f"| {variant} | {size['binary_bytes'] / 1e6:.2f} MB | {size['zip_bytes'] / 1e6:.2f} MB | "
            f"{size['text_bytes'] / 1e6:.2f} MB | {size['zip_growth_bytes'] / 1e3:+.0f} KB | "
            f"{size['text_growth_bytes'] / 1e3:+.0f} KB | {init['init_ms']['p50']:.2f} ms | "
            f"{init['init_ms']['p95']:.2f} ms | {init['init_p50_over_default_ms']:+.2f} ms | "
            f"{init['first_invocation_ms']['p50']:.2f} ms | {init['after_response_ms']['p50']:.2f} / "
            f"{init['after_response_ms']['p95']:.2f} ms |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="cold starts per build, alternating")
    parser.add_argument("--skip-build", action="store_true", help="measure the binaries built last time")
    args = parser.parse_args()
    binaries = {v: binary_path(v) if args.skip_build else build(v) for v in VARIANTS}
    with one_function(FUNCTION, "bench-otel-") as (env, scenario, log_dir):
        result = {
            "function": FUNCTION,
            "architecture": "x86_64",
            "sizes": sizes(binaries),
            "init": inits(binaries, env, scenario.no_aws, args.runs, log_dir),
            "runs": args.runs,
            "collector": "not measured: the ADOT collector's Go module and AWS's layer are not reachable here",
        }
    print(json.dumps(result, indent=2))
    print(table(result))


if __name__ == "__main__":
    main()
