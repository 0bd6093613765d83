"""Cold starts: init and first invocation of fresh processes.

Timed against the Runtime API of harness/runtime_api.py: init runs from spawning the bootstrap to
its first GET .../invocation/next (Lambda's init phase), the first invocation from there to its
response. As a cross-check, aws-lambda-rie's REPORT "Init Duration" + first "Duration" (the
emulator starts the runtime at the first invoke, so its Init Duration is ~0 and the init lands in
Duration).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.binaries import command, invoke, start
from bench.limits import INVOKE_TIMEOUT_S, LOOP_BUDGET_S
from bench.pinning import on_function_cpu
from bench.stats import summary
from harness.processes import stop
from harness.runtime_api import RuntimeApi


def one_cold_start(
    runtime: str, name: str, env: dict[str, str], payload: Any, log_dir: Path, argv: list[str] | None = None
) -> tuple[float, float]:
    """(init ms, first invocation ms) of a fresh process against our Runtime API; `argv` runs
    another build of the function than bench.binaries' (bench.otel's feature builds)."""
    api = RuntimeApi("bench")
    request_id = api.submit(payload)
    log_path = log_dir / f"{name}-{runtime}-cold.log"
    log = log_path.open("ab")
    try:
        started = time.perf_counter()
        with on_function_cpu():
            process = subprocess.Popen(
                argv or command(runtime, name), env={**api.runtime_env(), **env}, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            outcome = api.wait_for([request_id], INVOKE_TIMEOUT_S)[request_id]
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{name} ({runtime}): the cold start failed ({error}), see {log_path}") from error
        finally:
            stop(process)
        first_next_at = api.state.first_next_at
        assert first_next_at is not None  # an outcome comes only after the runtime asked for work
        return (first_next_at - started) * 1000, (outcome.received_at - first_next_at) * 1000
    finally:
        api.close()
        log.close()


@dataclass
class Target:
    """What one cold start of a function needs: its runtime, name, env and first event."""

    runtime: str
    name: str
    env: dict[str, str]
    payload: Any


@dataclass
class _Samples:
    inits: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    rie_inits: list[float] = field(default_factory=list)
    rie_firsts: list[float] = field(default_factory=list)

    def add(self, target: Target, log_dir: Path) -> None:
        init, first = one_cold_start(target.runtime, target.name, target.env, target.payload, log_dir)
        self.inits.append(init)
        self.firsts.append(first)
        emulator = start(target.runtime, target.name, target.env, log_dir)
        try:
            report = emulator.report_for(invoke(emulator, target.payload).request_id)
        finally:
            emulator.close()
        self.rie_inits.append(report.init_duration_ms or 0.0)
        self.rie_firsts.append(report.duration_ms)

    def result(self) -> dict[str, Any]:
        totals = [a + b for a, b in zip(self.inits, self.firsts, strict=True)]
        rie_totals = [a + b for a, b in zip(self.rie_inits, self.rie_firsts, strict=True)]
        return {
            "init_ms": summary(self.inits, 0.5, 0.95),
            "first_invocation_ms": summary(self.firsts, 0.5, 0.95),
            "total_ms": summary(totals, 0.5, 0.95),
            "rie_report": {
                "init_duration_ms": summary(self.rie_inits, 0.5, 0.95),
                "first_duration_ms": summary(self.rie_firsts, 0.5, 0.95),
                "total_ms": summary(rie_totals, 0.5, 0.95),
            },
            "runs": len(totals),
        }


def cold_starts(targets: list[Target], runs: int, log_dir: Path) -> dict[str, dict[str, Any]]:
    """Per target (by name): init and first invocation of `runs` fresh processes against the timing
    Runtime API, and the same from aws-lambda-rie's REPORT lines (which start the runtime at the
    first invoke). The targets take turns, one cold start each per round, so that every target sees
    the same moments of this shared machine and their ratios (a function's init to the hello
    world's) compare like with like."""
    samples = {target.name: _Samples() for target in targets}
    budget_end = time.monotonic() + LOOP_BUDGET_S
    for _ in range(runs):
        if time.monotonic() > budget_end:
            break
        for target in targets:
            samples[target.name].add(target, log_dir)
    return {name: sample.result() for name, sample in samples.items()}
