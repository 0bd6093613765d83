"""harness/clock.py: emulated time moves only when advanced, in ticks, calling its listeners in order."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pytest

from harness.clock import DEFAULT_START, VirtualClock


def test_advance_steps_by_tick_and_calls_listeners_in_registration_order() -> None:
    clock = VirtualClock(start=1000.0, tick=1.0)
    calls: list[tuple[str, float]] = []
    clock.on_advance(lambda t: calls.append(("traffic", t)))
    clock.on_advance(lambda t: calls.append(("alarms", t)))
    clock.advance(2.5)
    assert clock.now() == 1002.5
    assert calls == [
        ("traffic", 1001.0),
        ("alarms", 1001.0),
        ("traffic", 1002.0),
        ("alarms", 1002.0),
        ("traffic", 1002.5),
        ("alarms", 1002.5),
    ]


def test_sleep_is_advance_and_time_stands_still_otherwise() -> None:
    clock = VirtualClock()
    assert clock.now() == DEFAULT_START
    time.sleep(0.01)
    assert clock.now() == DEFAULT_START
    clock.sleep(300)
    assert clock.now() == DEFAULT_START + 300


def test_a_listener_may_read_the_time_it_is_called_at() -> None:
    clock = VirtualClock(start=0.0, tick=10.0)
    seen: list[float] = []
    clock.on_advance(lambda t: seen.append(clock.now()))
    clock.advance(30)
    assert seen == [10.0, 20.0, 30.0]


def test_a_listeners_failure_stops_the_advance() -> None:
    clock = VirtualClock(start=0.0)

    def fail_at_three(t: float) -> None:
        if t >= 3:
            raise RuntimeError("listener failed")

    clock.on_advance(fail_at_three)
    with pytest.raises(RuntimeError, match="listener failed"):
        clock.advance(10)
    assert clock.now() == 3.0


def test_running_advances_in_the_background_at_the_factor_and_stops_on_exit() -> None:
    clock = VirtualClock(start=0.0)
    with clock.running(factor=1000):
        time.sleep(0.2)
    stopped_at = clock.now()
    # 0.2 s of real time at 1000x: about 200 s (the thread wakes every 10 ms; allow for a slow machine).
    assert 100 <= stopped_at <= 400
    time.sleep(0.05)
    assert clock.now() == stopped_at


def test_running_hands_a_listeners_failure_to_the_caller() -> None:
    clock = VirtualClock(start=0.0)

    def fail(t: float) -> None:
        raise RuntimeError(f"failed at {t}")

    clock.on_advance(fail)
    with pytest.raises(RuntimeError, match=r"failed at 1\.0"), clock.running(factor=100):
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.advance(-1), "VirtualClock.advance needs a finite, non-negative number of seconds, got -1"),
        (lambda c: c.advance(math.inf), "VirtualClock.advance needs a finite, non-negative number of seconds, got inf"),
        (lambda c: VirtualClock(tick=0), "VirtualClock tick must be a positive number of seconds, got 0"),
        (lambda c: c.running(factor=0).__enter__(), "VirtualClock.running needs a positive factor"),
    ],
)
def test_bad_arguments_are_refused_with_what_to_pass(call: Callable[[VirtualClock], object], message: str) -> None:
    with pytest.raises(ValueError) as refused:
        call(VirtualClock())
    assert str(refused.value).startswith(message)
