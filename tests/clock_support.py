"""A clock for tests of code that backs off: the wall clock's time, its sleeps recorded, not slept."""

from __future__ import annotations

from datetime import UTC, datetime


class RecordingClock:
    """The wall clock's time; its sleeps are recorded, not slept."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
