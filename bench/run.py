"""Rust vs Python, side by side, under aws-lambda-rie with moto as AWS: cold start, warm latency,
peak memory, and the size of what is deployed.

    .venv/bin/python -m bench.run [--cold 20] [--warm 1000] [--only http-api,...] [--skip-build]
    .venv/bin/python -m bench.run --report-only    # sizes and report again from bench/results.json
    .venv/bin/python -m bench.run --builds         # the long mode: clean builds of HEAD (bench/builds.py)

1. Builds the functions/ workspace and bench/hello (a bare lambda_runtime "hello world", the floor
   any Rust function starts from) for x86_64 in release (the same profile as the arm64 artifacts, but
   with symbols kept so that `nm` can attribute .text to crates), and the arm64 zips
   (scripts/build-functions, a no-op when the sources are unchanged).
2. For every function, its release binary and its Python baseline (harness/baselines/<function>,
   awslambdaric + boto3), each in its own processes, with one moto server as AWS:
   - cold start, N fresh processes: init (spawn to the first GET .../invocation/next, against
     harness/runtime_api.py) and the first invocation, P50/P95 of each and of their sum; and, as a
     cross-check, aws-lambda-rie's REPORT "Init Duration" + first "Duration" (the emulator starts the
     runtime at the first invoke, so its Init Duration is ~0 and the init lands in Duration);
   - warm latency, M invocations on a path without AWS calls and M on a path with them (P50, P99,
     P99/P50 of REPORT "Duration", and of the round trip the caller sees);
   - peak RSS (VmHWM) of the function process (the emulator's child) after those invocations;
   - the first call to AWS after a cold start against the calls after it in the same process
     (bench/first_call.py, N fresh processes), Rust only;
   - for http-api, N inits with the telemetry extension against N without, alternating, and M warm
     invocations with it and without (bench/extension.py): what the extension adds to init and to
     each invocation, and whether it wrote a sample for every event.
3. Sizes: each arm64 zip and its unzipped bootstrap; the x86_64 release binary's .text by crate
   (`nm --size-sort`), of which the AWS SDK's share.

Writes bench/results.json, bench/RESULTS.md and bench/chart.png. Figures, not pass/fail: the
machine is shared and small, so absolute numbers move between runs; the ratios move less.

This module only orchestrates; each step has its own: binaries (build, start), scenarios,
cold_start, warm, memory, sizes, and report (with targets, notes, chart); the servers and the
Python baselines come from harness/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import builds
from bench.binaries import BENCH_DIR, build, start
from bench.cold_start import Target, cold_starts
from bench.extension import FUNCTION as EXTENSION_FUNCTION
from bench.extension import extension_overhead
from bench.first_call import first_calls
from bench.limits import LOOP_BUDGET_S
from bench.machine import machine
from bench.memory import peak_rss_kib
from bench.pinning import pin_harness
from bench.report import write_report
from bench.scenarios import HELLO, Scenario, scenarios
from bench.warm import warm_loop
from harness import functions
from harness.moto import MotoServer


def measure(target: Target, scenario: Scenario, cold_start: dict[str, Any], warm: int, log_dir: Path) -> dict[str, Any]:
    """One function in one runtime: its cold starts (measured before), warm latency and peak RSS;
    in Rust, its first call to AWS against the warm ones."""
    runtime, name, env = target.runtime, target.name, target.env
    result: dict[str, Any] = {"cold_start": cold_start}
    if runtime == "rust" and scenario.aws is not None:
        runs = cold_start["runs"]
        print(f"  {name} ({runtime}): the first AWS call in {runs} fresh processes", flush=True)
        result["first_call"] = first_calls(name, env, scenario, runs, FIRST_CALL_WARM, log_dir)
    emulator = start(runtime, name, env, log_dir)
    try:
        print(f"  {name} ({runtime}): {warm} warm invocations per path", flush=True)
        result["warm_no_aws"] = warm_loop(emulator, scenario.no_aws, warm)
        if scenario.aws is not None:
            result["warm_aws"] = warm_loop(emulator, scenario.aws, warm)
        result["peak_rss_kib"] = peak_rss_kib(emulator)
        if not emulator.alive():
            raise RuntimeError(f"{name} ({runtime}): the emulator died, see {emulator.log_path}")
    finally:
        emulator.close()
    return result


# Warm AWS-path invocations after the first one, per fresh process (bench/first_call.py).
FIRST_CALL_WARM = 10


def measure_all(names: list[str], cold: int, warm: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The hello world, then every function in both runtimes, with one moto server as AWS; and the
    telemetry extension's init overhead on one function (when it is measured)."""
    contracts = functions.contracts()
    results: dict[str, Any] = {}
    extension: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        log_dir = Path(tmp)
        pin_harness()  # before moto and any thread start: they inherit it
        moto = MotoServer(log_dir / "moto.log")
        try:
            plans: dict[str, Scenario] = {"hello": HELLO, **scenarios(moto, uuid.uuid4().hex[:8])}
            envs = {
                name: {**functions.function_env(contracts[name], plans[name].references), **moto.function_env()}
                for name in names
            }
            envs["hello"] = {}
            # Rust's cold starts first, the hello world's and every function's taking turns (the
            # init ratios compare them); Python's per function below.
            rust = [Target("rust", name, envs[name], plans[name].no_aws) for name in ["hello", *names]]
            print(f"rust: {cold} cold starts each of {', '.join(t.name for t in rust)}, taking turns", flush=True)
            rust_cold = cold_starts(rust, cold, log_dir)
            results["hello"] = {"rust": measure(rust[0], HELLO, rust_cold["hello"], warm, log_dir)}
            for target in rust[1:]:
                name = target.name
                python = Target("python", name, envs[name], plans[name].no_aws)
                print(f"  {name} (python): {cold} cold starts", flush=True)
                python_cold = cold_starts([python], cold, log_dir)[name]
                results[name] = {
                    "rust": measure(target, plans[name], rust_cold[name], warm, log_dir),
                    "python": measure(python, plans[name], python_cold, warm, log_dir),
                }
                if name == EXTENSION_FUNCTION:
                    print(
                        f"  {name} (rust): {cold} inits and {warm} invocations with the telemetry extension and "
                        "without",
                        flush=True,
                    )
                    extension = extension_overhead(name, envs[name], plans[name].no_aws, cold, warm, log_dir)
        finally:
            moto.close()
    return results, extension


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
    results, extension = measure_all(names, args.cold, args.warm)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"cold_runs": args.cold, "warm_runs": args.warm, "loop_budget_s": LOOP_BUDGET_S},
        "results": results,
    }
    if extension is not None:
        report["extension"] = extension
    previous = args.out / "results.json"
    if previous.is_file() and "builds" in (earlier := json.loads(previous.read_text())):
        report["builds"] = earlier["builds"]  # measured by --builds, for the commit it names
    write_report(report, names, args.out)


if __name__ == "__main__":
    main()
