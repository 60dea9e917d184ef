"""Fixed-window rate limits on DynamoDB counters (§3.5), checked per key, per device+group, per group.

Each window is one counter item, bumped with a conditional `ADD n 1` that only succeeds below the
limit: a refused request leaves its own window untouched, and windows bumped before it in the same
request are handed back, so a limited request is not counted anywhere. The store failing never
blocks ingestion (fail open): it is logged and counted in the `RateLimiterErrors` metric.

A window found full is remembered by the container until it ends (`RefusalMemory`): during a crash
storm the requests after it are refused from memory and write nothing, so neither the window's own
counter nor the ones checked before it (taken, then handed back) become the table's hottest items
(SPEC §9, W1; docs/performance.md, "scale model").

Before it writes, a request reads its exact windows' counters (one eventually consistent
BatchGetItem, ½ RCU an item): a window already full refuses from that read, in the spec's order, and is
remembered, so the first refusal a container meets costs reads instead of the take, refusal and give
back writes it cost before (~3 WCU: SPEC §9 prices a refused report at ≤ 0.1 WCU). The conditional
writes stay the only authority: a stale read only sends the request on to them.

A window with a big limit (≥ `LEASE_FROM`: a big fleet's per-key limit, 100,000 a minute) is taken in
leases: one conditional `ADD n lease` (`n ≤ limit - lease`) reserves `limit // LEASE_FROM` units for
this container, which spends them from memory. At W3's 1,540 reports/s the key's counter item takes
~15 writes a second instead of 1,540 (one partition key; SPEC §9 caps it at 300 WCU/s). The window
never admits more than its limit; the price is that units a container leased and did not spend by the
window's end are lost, so a window may refuse once it has admitted limit - K x (lease - 1) reports
(K containers; ≤ 5 % at K = 50), and a lease that no longer fits is retried as one unit. Small limits
(the defaults: 100, 1, 30) keep one exact write per unit (docs/decisions.md, ADR 20).
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

from fleetreport.errors import RateLimited, TemporarilyUnavailable
from fleetreport.http import logger, metrics
from fleetreport.settings import Settings
from fleetreport.storage.aws import dynamodb, is_conditional_failure, table
from fleetreport.storage.pages import batch_get

_TTL_GRACE_SECONDS = 3600
_MEMORY_SIZE = 4096  # windows remembered per container; expired ones are dropped first
LEASE_FROM = 1000  # limits from this size are taken in leases of limit // LEASE_FROM units


@dataclass(frozen=True)
class Window:
    """One fixed window of one limit: the counter item's key, its limit and when it ends."""

    counter: str
    limit: int
    ends_at: datetime

    def seconds_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.ends_at - now).total_seconds()))

    @property
    def lease(self) -> int:
        """Units one write reserves: 1 (exact) below `LEASE_FROM`, else limit // LEASE_FROM."""
        return 1 if self.limit < LEASE_FROM else self.limit // LEASE_FROM


class RefusalMemory:
    """The windows this container found full, until each ends, and the units it holds on leased
    windows. Keyed by counter and limit: a window is only known full at the limit it was found full at
    (a raised limit forgets it)."""

    def __init__(self) -> None:
        self._full: dict[tuple[str, int], datetime] = {}
        self._leased: dict[tuple[str, int], tuple[int, datetime]] = {}

    def spend(self, window: Window, now: datetime) -> bool:
        """Take one unit this container leased earlier on the window; False when it holds none."""
        units, ends_at = self._leased.get((window.counter, window.limit), (0, now))
        if units <= 0 or now >= ends_at:
            return False
        self._leased[(window.counter, window.limit)] = (units - 1, ends_at)
        return True

    def hold(self, window: Window, units: int, now: datetime) -> None:
        """Keep `units` leased units of the window (dropping the leases of ended windows)."""
        self._leased = {key: held for key, held in self._leased.items() if now < held[1]}
        self.give(window, units)

    def give(self, window: Window, units: int = 1) -> None:
        """Add units to what this container holds of the window (a lease, or a unit handed back)."""
        key = (window.counter, window.limit)
        held = self._leased.get(key, (0, window.ends_at))[0]
        self._leased[key] = (held + units, window.ends_at)

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
    _refuse_if_read_full(settings, windows, memory, now)
    counters = table(settings.counters_table)
    taken: list[Window] = []
    for window in windows:
        try:
            allowed = memory.spend(window, now) or _take_leased(counters, window, memory, now)
        except (ClientError, BotoCoreError) as error:
            _fail_open(error)
            return taken
        if not allowed:
            memory.remember(window, now)
            _give_back(counters, taken)
            _refuse(window, now)
        taken.append(window)
    return taken


def _refuse_if_read_full(
    settings: Settings, windows: list[Window], memory: RefusalMemory, now: datetime
) -> None:
    """Read the exact windows' counters (leased ones are spent from memory) and refuse at the first
    one, in the spec's order, that is already full; a failed read decides nothing."""
    exact = [window for window in windows if window.lease == 1]
    if not exact:
        return
    keys = [{"counter": window.counter} for window in exact]
    try:
        found = {
            item["counter"]: item for item in batch_get(dynamodb(), settings.counters_table, keys, attempts=1)
        }
    except (ClientError, BotoCoreError, TemporarilyUnavailable):
        return
    for window in exact:
        if int(found.get(window.counter, {}).get("n", 0)) >= window.limit:
            memory.remember(window, now)
            _refuse(window, now)


def _take_leased(counters: Any, window: Window, memory: RefusalMemory, now: datetime) -> bool:
    """Reserve a lease of the window and spend its first unit; a lease that no longer fits the window
    is retried as one unit (the window's last units), so the limit is reached, never passed."""
    for units in dict.fromkeys((window.lease, 1)):
        if _take(counters, window, units):
            memory.hold(window, units - 1, now)
            return True
    return False


def _refuse(window: Window, now: datetime) -> None:
    metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
    raise RateLimited(window.seconds_left(now))


def release_rate_limits(settings: Settings, taken: list[Window]) -> None:
    """Hand back the units of a request that failed before it was counted (best effort): a client
    retrying after a 503 must not find its own failed attempt holding the window (1 per hour per
    device and group, by default)."""
    if taken:
        _give_back(table(settings.counters_table), taken)


def _take(counters: Any, window: Window, units: int = 1) -> bool:
    """`ADD n units` if the window still has them (`n ≤ limit - units`); False when it has not."""
    try:
        counters.update_item(
            Key={"counter": window.counter},
            UpdateExpression="ADD #n :units SET #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression="attribute_not_exists(#n) OR #n <= :room",
            ExpressionAttributeNames={"#n": "n", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":units": units,
                ":room": window.limit - units,
                ":ttl": int(window.ends_at.timestamp()) + _TTL_GRACE_SECONDS,
            },
        )
    except ClientError as error:
        if is_conditional_failure(error):
            return False
        raise
    return True


def _give_back(counters: Any, taken: list[Window]) -> None:
    """Undo the units a refused request took from earlier windows (best effort); a leased window's
    unit goes back to this container's lease, without a write."""
    for window in taken:
        if window.lease > 1:
            refusal_memory().give(window)
            continue
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
