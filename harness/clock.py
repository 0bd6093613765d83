"""Emulated time for the AWS emulators (harness/cloudwatch.py, harness/codedeploy.py,
harness/lambda_api.py): a canary's five minutes pass in milliseconds, deterministically.

`VirtualClock` holds epoch seconds. `advance(seconds)` moves it forward in steps of at most `tick`
seconds and, after each step, calls every listener registered with `on_advance`, in registration
order, with the new time (a traffic generator, then alarm evaluation, then CodeDeploy's
progression). `sleep` is `advance`, so code that takes `clock=` and `sleep=` callables (the
release step) runs against it in-process: each of its sleeps plays out what AWS would do meanwhile.

For code that runs in another process (`scripts/release` as `pulumi up` runs it), `running(factor)`
advances the clock from a background thread, `factor` emulated seconds per real second, until the
block ends (and never longer than `limit_seconds` of real time).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# 2026-01-01T00:00:00Z: a round epoch, so that period boundaries (CloudWatch aligns datapoints to
# them) fall on whole minutes of the emulated time.
DEFAULT_START = 1_767_225_600.0


class VirtualClock:
    """Emulated epoch seconds, moved only by `advance` (or by `running`)."""

    def __init__(self, start: float = DEFAULT_START, tick: float = 1.0) -> None:
        if not math.isfinite(start):
            raise ValueError(f"VirtualClock start must be a finite number of epoch seconds, got {start!r}")
        if not (math.isfinite(tick) and tick > 0):
            raise ValueError(f"VirtualClock tick must be a positive number of seconds, got {tick!r}")
        self.tick = tick
        self._now = start
        self._listeners: list[Callable[[float], None]] = []
        # Reading the time takes only this lock, so a listener (or a server thread it waits for)
        # can read the time while `advance` runs it.
        self._time_lock = threading.Lock()
        # One advance at a time: listeners see the steps in order, never two at once.
        self._advance_lock = threading.Lock()

    def now(self) -> float:
        with self._time_lock:
            return self._now

    def on_advance(self, listener: Callable[[float], None]) -> None:
        """Calls `listener(new_time)` after every step of every later `advance`."""
        with self._advance_lock:
            self._listeners.append(listener)

    def advance(self, seconds: float) -> None:
        """Moves time forward by `seconds`, in steps of at most `tick`, calling the listeners after
        each step. A listener's exception stops the advance and propagates."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"VirtualClock.advance needs a finite, non-negative number of seconds, got {seconds!r}")
        with self._advance_lock:
            remaining = seconds
            while remaining > 0:
                step = min(self.tick, remaining)
                remaining -= step
                with self._time_lock:
                    self._now += step
                    now = self._now
                for listener in list(self._listeners):
                    listener(now)

    sleep = advance

    @contextmanager
    def running(self, factor: float, limit_seconds: float = 600.0) -> Iterator[VirtualClock]:
        """Advances the clock from a background thread at `factor` emulated seconds per real second
        while the block runs (for a subprocess that polls the emulators over HTTP). Stops on exit,
        or after `limit_seconds` of real time; re-raises a listener's exception on exit."""
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"VirtualClock.running needs a positive factor (emulated s per real s), got {factor!r}")
        stop = threading.Event()
        failures: list[Exception] = []
        # Real time between steps: one tick of emulated time, but at least 10 ms so that a large
        # factor advances several ticks per wake-up instead of spinning.
        interval = max(self.tick / factor, 0.01)

        def run() -> None:
            deadline = time.monotonic() + limit_seconds
            last = time.monotonic()
            while not stop.wait(interval) and time.monotonic() < deadline:
                current = time.monotonic()
                try:
                    self.advance((current - last) * factor)
                except Exception as error:  # handed to the caller on exit
                    failures.append(error)
                    return
                last = current

        thread = threading.Thread(target=run, name="virtual-clock", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(limit_seconds)
        if failures:
            raise failures[0]
