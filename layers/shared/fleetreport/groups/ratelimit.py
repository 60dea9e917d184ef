"""Fixed-window rate limits on DynamoDB counters (§3.5), checked per key, per device+group, per group.

Each window is one counter item, bumped with a conditional `ADD n 1` that only succeeds below the
limit: a refused request leaves its own window untouched, and windows bumped before it in the same
request are handed back, so a limited request is not counted anywhere. The store failing never
blocks ingestion (fail open): it is logged and counted in the `RateLimiterErrors` metric.

A window found full is remembered by the container until it ends (`RefusalMemory`): during a crash
storm the requests after it are refused from memory and write nothing, so neither the window's own
counter nor the ones checked before it (taken, then handed back) become the table's hottest items
(SPEC §9, W1; docs/performance.md, "scale model").
"""

from __future__ import annotations

import hashlib
import math
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from fleetreport.errors import RateLimited
from fleetreport.http import logger, metrics
from fleetreport.settings import Settings
from fleetreport.storage.aws import table

_TTL_GRACE_SECONDS = 3600
_MEMORY_SIZE = 4096  # windows remembered per container; expired ones are dropped first


@dataclass(frozen=True)
class Window:
    """One fixed window of one limit: the counter item's key, its limit and when it ends."""

    counter: str
    limit: int
    ends_at: datetime

    def seconds_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.ends_at - now).total_seconds()))


class RefusalMemory:
    """The windows this container found full, until each ends. Keyed by counter and limit: a window is
    only known full at the limit it was found full at (a raised limit forgets it)."""

    def __init__(self) -> None:
        self._full: dict[tuple[str, int], datetime] = {}

    def known_full(self, window: Window, now: datetime) -> bool:
        ends_at = self._full.get((window.counter, window.limit))
        return ends_at is not None and now < ends_at

    def remember(self, window: Window, now: datetime) -> None:
        if len(self._full) >= _MEMORY_SIZE:
            self._full = {key: ends for key, ends in self._full.items() if now < ends}
            if len(self._full) >= _MEMORY_SIZE:
                self._full.clear()
        self._full[(window.counter, window.limit)] = window.ends_at


# One memory per container: a Lambda container's process (the default), or whatever context a model
# of many containers in one process runs each of them in (bench/storm).
_PROCESS_MEMORY = RefusalMemory()
_MEMORY: ContextVar[RefusalMemory | None] = ContextVar("rate_limit_refusals", default=None)


def refusal_memory() -> RefusalMemory:
    return _MEMORY.get() or _PROCESS_MEMORY


def use_refusal_memory(memory: RefusalMemory) -> None:
    """Give the current context (a simulated container, a test) its own memory."""
    _MEMORY.set(memory)


def device_digest(device_id: str) -> str:
    """Device ids are never stored in clear."""
    return hashlib.sha256(device_id.encode("utf-8")).hexdigest()


def windows_for(
    settings: Settings, *, key_id: str, app_id: str, group_hash: str, device_id: str, now: datetime
) -> list[Window]:
    """The enabled windows in the spec's order (a limit of 0 disables its window)."""
    minute = now.replace(second=0, microsecond=0)
    hour = minute.replace(minute=0)
    next_minute, next_hour = minute + timedelta(minutes=1), hour + timedelta(hours=1)
    candidates = [
        (f"key#{key_id}#{minute:%Y%m%d%H%M}", settings.rate_limit_per_key_per_minute, next_minute),
        (
            f"dev#{device_digest(device_id)}#{app_id}#{group_hash}#{hour:%Y%m%d%H}",
            settings.rate_limit_per_device_per_group_per_hour,
            next_hour,
        ),
        (
            f"grp#{app_id}#{group_hash}#{minute:%Y%m%d%H%M}",
            settings.rate_limit_per_group_per_minute,
            next_minute,
        ),
    ]
    return [Window(counter, limit, ends) for counter, limit, ends in candidates if limit > 0]


def enforce_rate_limits(settings: Settings, windows: list[Window], now: datetime) -> list[Window]:
    """Take one unit from every window, or from none: raises RateLimited for the first full one.

    Returns the windows it took (fewer than asked when the store failed open), so a request that is
    then not counted can hand them back with `release_rate_limits`.
    """
    if not windows:
        return []
    memory = refusal_memory()
    for window in windows:
        if memory.known_full(window, now):
            _refuse(window, now)  # the request would end refused: it need not take and hand back units
    counters = table(settings.counters_table)
    taken: list[Window] = []
    for window in windows:
        try:
            allowed = _take(counters, window)
        except (ClientError, BotoCoreError) as error:
            _fail_open(error)
            return taken
        if not allowed:
            memory.remember(window, now)
            _give_back(counters, taken)
            _refuse(window, now)
        taken.append(window)
    return taken


def _refuse(window: Window, now: datetime) -> None:
    metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
    raise RateLimited(window.seconds_left(now))


def release_rate_limits(settings: Settings, taken: list[Window]) -> None:
    """Hand back the units of a request that failed before it was counted (best effort): a client
    retrying after a 503 must not find its own failed attempt holding the window (1 per hour per
    device and group, by default)."""
    if taken:
        _give_back(table(settings.counters_table), taken)


def _take(counters: Any, window: Window) -> bool:
    try:
        counters.update_item(
            Key={"counter": window.counter},
            UpdateExpression="ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
            ExpressionAttributeNames={"#n": "n", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":one": 1,
                ":limit": window.limit,
                ":ttl": int(window.ends_at.timestamp()) + _TTL_GRACE_SECONDS,
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _give_back(counters: Any, taken: list[Window]) -> None:
    """Undo the units a refused request took from earlier windows (best effort)."""
    for window in taken:
        try:
            counters.update_item(
                Key={"counter": window.counter},
                UpdateExpression="ADD #n :minus_one",
                ConditionExpression="attribute_exists(#n)",
                ExpressionAttributeNames={"#n": "n"},
                ExpressionAttributeValues={":minus_one": -1},
            )
        except (ClientError, BotoCoreError) as error:
            _fail_open(error)


def _fail_open(error: Exception) -> None:
    code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
    logger.warning(
        "rate limiter unavailable, allowing", extra={"error_type": type(error).__name__, "code": code}
    )
    metrics.add_metric(name="RateLimiterErrors", unit=MetricUnit.Count, value=1)
