"""The first call to AWS after a cold start, against the calls after it: what a function pays once
per environment on its AWS path (the SDK's lazy work: the endpoint's resolution, the credentials'
first resolution, the first signing key, the connection to the endpoint).

Each of `runs` fresh processes of a function gets its AWS-path event `1 + warm` times in a row
against the Runtime API of harness/runtime_api.py; each invocation is timed from its hand-out to the
runtime to its response. The first is the cold one (the init is over by then: it is not counted
here, bench/cold_start.py times it); the others, in the same process, are warm. moto answers on
127.0.0.1 over HTTP, so the first call's TCP connect is in the figure but no TLS handshake (against
AWS, one more round trip or two to the endpoint, the same for every runtime).

    .venv/bin/python -m bench.first_call [--runs 20] [--warm 20] [--only http-api,...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

from bench.binaries import command
from bench.limits import INVOKE_TIMEOUT_S
from bench.pinning import on_function_cpu
from bench.scenarios import Scenario, one_function
from bench.stats import summary
from harness import functions
from harness.processes import stop
from harness.runtime_api import RuntimeApi

# The first call may take at most this much longer than a warm one (P50 against P50, same run).
TARGET_OVER_WARM_MS = 2.0
# Settings that make every AWS-path invocation make the calls the first one makes: s3-processor
# caches its signing key (SECRET_TTL_SECONDS), so otherwise only its first invocation would fetch it.
SAME_CALLS_ENV = {"s3-processor": {"SECRET_TTL_SECONDS": "0"}}


def one_environment(name: str, env: dict[str, str], payload: Any, warm: int, log_dir: Path) -> list[float]:
    """The times (ms, hand-out to response) of `1 + warm` invocations of one fresh process."""
    api = RuntimeApi("bench")
    request_ids = [api.submit(payload) for _ in range(1 + warm)]
    log_path = log_dir / f"{name}-first-call.log"
    with log_path.open("ab") as log:
        with on_function_cpu():
            process = subprocess.Popen(
                command("rust", name), env={**api.runtime_env(), **env}, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            outcomes = api.wait_for(request_ids, INVOKE_TIMEOUT_S)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{name}: the invocations failed ({error}), see {log_path}") from error
        finally:
            stop(process)
            api.close()
    failed = [r for r in request_ids if outcomes[r].kind != "response"]
    if failed:
        raise RuntimeError(f"{name}: {len(failed)} AWS-path invocations failed: {outcomes[failed[0]].body}")
    return [(outcomes[r].received_at - api.state.dispatched_at[r]) * 1000 for r in request_ids]


def first_calls(
    name: str, env: dict[str, str], scenario: Scenario, runs: int, warm: int, log_dir: Path
) -> dict[str, Any]:
    """The first AWS-path invocation of `runs` fresh processes against the warm ones after it."""
    assert scenario.aws is not None
    firsts: list[float] = []
    warms: list[float] = []
    env = {**env, **SAME_CALLS_ENV.get(name, {})}
    for _ in range(runs):
        times = one_environment(name, env, scenario.aws, warm, log_dir)
        firsts.append(times[0])
        warms += times[1:]
    first, later = summary(firsts, 0.5, 0.95), summary(warms, 0.5, 0.95)
    return {
        "first_ms": first,
        "warm_ms": later,
        "over_warm_p50_ms": round(first["p50"] - later["p50"], 3),
        "target_ms": TARGET_OVER_WARM_MS,
        "runs": runs,
        "warm_per_run": warm,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="fresh processes per function")
    parser.add_argument("--warm", type=int, default=20, help="warm AWS-path invocations after the first, per process")
    parser.add_argument("--only", default="", help="comma-separated functions (default: all with an AWS path)")
    args = parser.parse_args()
    names = [name for name in functions.contracts() if not args.only or name in args.only.split(",")]
    for name in names:
        with one_function(name, "bench-first-call-") as (env, scenario, log_dir):
            print(json.dumps({name: first_calls(name, env, scenario, args.runs, args.warm, log_dir)}), flush=True)


if __name__ == "__main__":
    main()
