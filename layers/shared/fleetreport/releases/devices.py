"""A device is active (or crashed) on a version for a UTC day: one item per (app, version, device) in
ReleasesTable, written only when its day changes (SPEC §12, docs/releases.md).

The item is the once-only fact the counts are made from: its conditional write succeeds once per
device and day, and the table's stream turns each change into increments (releases/counting.py).
Repeated beacons of a device-day write nothing: the container remembers the days it wrote or read,
and otherwise an eventually consistent read (0.5 RCU) tells before a write is tried (a refused
conditional write is billed 1 WCU; SPEC §9's budget is 1.5 WCU for a device-day's beacons).
"""

from __future__ import annotations

import hashlib
import hmac
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from fleetreport.storage.aws import dynamodb, is_conditional_failure

DEVICE_SK = "D"
DEVICE_TTL_DAYS = 400  # a device silent on a version for 400 days is forgotten (lifetime counts stay)
_MEMORY_SIZE = 65_536


def device_hash(app_id: str, device_id: str) -> str:
    """Device ids are stored only as a keyed hash: HMAC-SHA256 keyed by the app, so one device's items
    in two apps (or tenants) cannot be joined, and the id cannot be read back."""
    key = f"fleetreport/device/{app_id}".encode()
    return hmac.new(key, device_id.encode("utf-8"), hashlib.sha256).hexdigest()


def device_pk(app_id: str, version: str, digest: str) -> str:
    """Spread by the device hash: 100,000 devices moving to a version write 100,000 partition keys."""
    return f"DV#{app_id}#{version}#{digest}"


def day_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Activity:
    """One device seen on one release slice at one moment; `crashed` when it was a crash report."""

    owner: str
    app_id: str
    version: str
    channel: str
    platform: str
    arch: str
    digest: str
    now: datetime
    crashed: bool = False

    @property
    def day(self) -> str:
        return day_of(self.now)


class DayMemory:
    """What this container knows is already written: (app, version, device) → (active day, crash day)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str], tuple[str, str]] = {}

    def get(self, activity: Activity) -> tuple[str, str]:
        return self._known.get((activity.app_id, activity.version, activity.digest), ("", ""))

    def remember(self, activity: Activity, active_day: str, crash_day: str) -> None:
        if len(self._known) >= _MEMORY_SIZE:
            self._known.clear()  # a forgotten entry costs one eventually consistent read, never a count
        self._known[(activity.app_id, activity.version, activity.digest)] = (active_day, crash_day)


_PROCESS_MEMORY = DayMemory()
_MEMORY: ContextVar[DayMemory | None] = ContextVar("release_days", default=None)


def day_memory() -> DayMemory:
    return _MEMORY.get() or _PROCESS_MEMORY


def use_day_memory(memory: DayMemory) -> None:
    """Give the current context (a simulated container, a test) its own memory."""
    _MEMORY.set(memory)


def _done(activity: Activity, active_day: str, crash_day: str) -> bool:
    return active_day >= activity.day and (not activity.crashed or crash_day >= activity.day)


def mark_active(releases_table: str, activity: Activity) -> bool:
    """Record the device active (and crashed) for the activity's day; True when this call wrote."""
    memory = day_memory()
    if _done(activity, *memory.get(activity)):
        return False
    key = {"pk": device_pk(activity.app_id, activity.version, activity.digest), "sk": DEVICE_SK}
    client = dynamodb().meta.client
    found = (
        client.get_item(TableName=releases_table, Key=key, ProjectionExpression="last_day, crash_day").get(
            "Item"
        )
        or {}
    )
    active_day, crash_day = str(found.get("last_day", "")), str(found.get("crash_day", ""))
    if _done(activity, active_day, crash_day):
        memory.remember(activity, active_day, crash_day)
        return False
    wrote = _write(client, releases_table, key, activity)
    memory.remember(activity, activity.day, activity.day if activity.crashed else crash_day)
    return wrote


def _write(client: Any, releases_table: str, key: dict[str, str], activity: Activity) -> bool:
    sets = [
        "#owner = :owner",
        "app_id = :app",
        "version = :version",
        "channel = :channel",
        "platform = :platform",
        "arch = :arch",
        "first_day = if_not_exists(first_day, :day)",
        "last_day = :day",
        "#ttl = :ttl",
    ]
    values: dict[str, Any] = {
        ":owner": activity.owner,
        ":app": activity.app_id,
        ":version": activity.version,
        ":channel": activity.channel,
        ":platform": activity.platform,
        ":arch": activity.arch,
        ":day": activity.day,
        ":ttl": int((activity.now + timedelta(days=DEVICE_TTL_DAYS)).timestamp()),
    }
    # Days only move forward: a straggler from yesterday never rewinds today's mark (counted twice).
    if activity.crashed:
        sets += ["crash_day = :day", "first_crash_day = if_not_exists(first_crash_day, :day)"]
        condition = "(attribute_not_exists(crash_day) OR crash_day < :day)"
        condition += " AND (attribute_not_exists(last_day) OR last_day <= :day)"
    else:
        condition = "attribute_not_exists(last_day) OR last_day < :day"
    try:
        client.update_item(
            TableName=releases_table,
            Key=key,
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=condition,
            ExpressionAttributeNames={"#owner": "owner", "#ttl": "ttl"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if is_conditional_failure(error):
            return False  # another container wrote this day first
        raise
    return True
