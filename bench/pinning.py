"""CPU pinning: the function under test on a CPU of its own, the harness on the others."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


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


def pin_harness() -> None:
    """Moves this process to the harness's CPUs; call it before starting moto or any thread (they
    inherit it)."""
    if CPU_SPLIT is not None:
        os.sched_setaffinity(0, CPU_SPLIT[0])
