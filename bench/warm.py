"""Warm latency: many invocations of one running function under aws-lambda-rie, timed by its
REPORT "Duration" (the function's time, as Lambda bills it) and by the round trip the caller sees."""

from __future__ import annotations

import time
from typing import Any

from bench.binaries import invoke
from bench.limits import LOOP_BUDGET_S
from bench.stats import summary
from harness.emulator import Emulator

WARM_UP_INVOCATIONS = 20


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
        invocation = invoke(emulator, payload)
        ids.append(invocation.request_id)
        round_trips.append(invocation.round_trip_ms)
    time.sleep(0.2)
    found = emulator.reports()
    durations = [found[i].duration_ms for i in ids if i in found]
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
