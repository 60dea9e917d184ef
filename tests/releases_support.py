"""Helpers of the release health tests (SPEC §12): beacons through the real handler, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fleetreport import clock
from fleetreport_local.invoker import HttpResult


def beacon_body(
    name: str = "test",
    version: str = "1.5.0",
    channel: str = "stable",
    platform: str = "windows",
    arch: str = "amd64",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "application": {"name": name, "version": version, "channel": channel},
        "system": {"platform": platform, "arch": arch},
        **extra,
    }


def send_beacon(
    stack: Any, key: str, body: Any, device: str | None = "device-1", headers: dict[str, str] | None = None
) -> HttpResult:
    sent = {"Authorization": f"Bearer {key}"}
    if device is not None:
        sent["X-Device-ID"] = device
    sent.update(headers or {})
    return stack.http("POST", "/reports/beacon", headers=sent, body=body)


class SetClock:
    """A clock the test moves (sleeps are not slept)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        pass


@contextmanager
def clock_at(moment: datetime) -> Iterator[SetClock]:
    fake = SetClock(moment.astimezone(UTC))
    previous = clock.install(fake)
    try:
        yield fake
    finally:
        clock.install(previous)
