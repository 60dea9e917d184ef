"""Where the domain code reads the time and waits: the wall clock, unless a model installs another.

The bench's storm model (bench/storm) drives the real handlers on a simulated clock; every `now()` and
every backoff `sleep()` on the hot paths goes through here so that one `install()` moves them all.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


_clock: Clock = WallClock()


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _clock.now()


def sleep(seconds: float) -> None:
    _clock.sleep(seconds)


def install(clock: Clock) -> Clock:
    """Use `clock` from now on (a model's simulated clock); returns the previous one to restore."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def backoff(attempt: int, *, base: float = 0.01, cap: float = 1.0) -> None:
    """Full-jitter exponential backoff before retry `attempt` (1 = the first retry): contenders that
    collided once spread out instead of colliding again in lockstep."""
    sleep(random.uniform(0, min(cap, base * 2**attempt)))  # noqa: S311 (jitter, not a secret)
