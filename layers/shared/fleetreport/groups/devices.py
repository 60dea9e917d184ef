"""Distinct devices per group (SPEC §12 `stats.devices`, and `devices` per day in the 30-day series).

One small item per (app, group, device hash) in CountersTable (no stream reads it): `g` = the
generation of the group the device was counted in (the group's `id`, a fresh UUID each time a group
is created, so a group deleted by triage or expired by retention and then recreated starts from 0),
`day` = the device's last UTC day on the group. Ingest decides, before the group's one UpdateItem,
whether the report's device is new for the group's lifetime and new for the day; that UpdateItem
then ADDs `devices` and `dv{yyyymmdd}` by 0 or 1 (docs/decisions.md ADR 24). The decision is taken
with a conditional write on the device item (from the container's memory, else an eventually
consistent read first), so two containers never both count one device; if the group's UpdateItem
then fails, `hand_back` restores the device item, so counts stay exact.

Device ids are only stored as the keyed HMAC of releases/devices.py (`device_hash`).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from fleetreport.storage.aws import dynamodb, is_conditional_failure

DEVICE_TTL_DAYS = 400  # at least this long after the device's last mark (or the group retention if longer)
DAY_PREFIX = "dv"  # `dv{yyyymmdd}`: devices per UTC day on the group item (not an hour counter `h…`)
SERIES_DAYS = 30
_STALE_DAYS = range(SERIES_DAYS, SERIES_DAYS + 7)  # day counters each report removes (older than the series)
_MEMORY_SIZE = 65_536
_ATTEMPTS = 5


def device_counter(app_id: str, group_hash: str, digest: str) -> str:
    """One partition key per device and group: a crash storm's devices write 20,000 different keys."""
    return f"gdv#{app_id}#{group_hash}#{digest}"


def day_attribute(day: str) -> str:
    """`dv20260520` for `2026-05-20`."""
    return DAY_PREFIX + day.replace("-", "")


def stale_day_attributes(now: datetime) -> list[str]:
    """Day counters just older than the 30-day series: each report removes them (free when absent)."""
    return [day_attribute((now - timedelta(days=back)).strftime("%Y-%m-%d")) for back in _STALE_DAYS]


def day_counts(item: dict[str, Any]) -> dict[str, int]:
    """`{yyyy-mm-dd: devices}` from a group item's day counters."""
    counts: dict[str, int] = {}
    for name, value in item.items():
        digits = name[len(DAY_PREFIX) :]
        if name.startswith(DAY_PREFIX) and len(digits) == 8 and digits.isdigit():
            counts[f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"] = int(value)
    return counts


class GroupDeviceMemory:
    """What one container knows: each group's generation, and each (group, device)'s generation and day.

    Bounded; a forgotten entry costs one eventually consistent read, never a count."""

    def __init__(self) -> None:
        self.generations: dict[tuple[str, str], str] = {}
        self.devices: dict[str, tuple[str, str]] = {}

    def remember_generation(self, app_id: str, group_hash: str, generation: str) -> None:
        if len(self.generations) >= _MEMORY_SIZE:
            self.generations.clear()
        self.generations[(app_id, group_hash)] = generation

    def remember_device(self, counter: str, generation: str, day: str) -> None:
        if len(self.devices) >= _MEMORY_SIZE:
            self.devices.clear()
        self.devices[counter] = (generation, day)

    def forget_device(self, counter: str) -> None:
        self.devices.pop(counter, None)


_PROCESS_MEMORY = GroupDeviceMemory()
_MEMORY: ContextVar[GroupDeviceMemory | None] = ContextVar("group_devices", default=None)


def device_memory() -> GroupDeviceMemory:
    return _MEMORY.get() or _PROCESS_MEMORY


def use_device_memory(memory: GroupDeviceMemory) -> None:
    """Give the current context (a simulated container, a test) its own memory."""
    _MEMORY.set(memory)


@dataclass
class Mark:
    """What a report adds for its device: `devices` (0/1) and the day's `dv…` (0/1); `previous` is the
    device item before this report's write (None when there was none), for the hand-back."""

    counter: str
    generation: str
    day: str
    new_device: int = 0
    new_day: int = 0
    wrote: bool = False
    previous: dict[str, Any] | None = field(default=None)


@dataclass
class GroupDevice:
    """The device of one report on one group, and where its marks live."""

    counters_table: str
    app_id: str
    group_hash: str
    digest: str
    now: datetime
    retention_days: int = 0
    pending: Mark | None = None  # written and not yet followed by a counted group update
    failed: Exception | None = None  # the device store's error: this report was counted without it

    @property
    def counter(self) -> str:
        return device_counter(self.app_id, self.group_hash, self.digest)

    @property
    def day(self) -> str:
        return self.now.strftime("%Y-%m-%d")

    def generation(self, groups_table: str) -> str | None:
        """The group's generation as far as this container knows (memory, else an eventually
        consistent read of its `id`); None when the group does not exist. The group's UpdateItem is
        conditional on it, so a stale answer costs a retry, never a wrong count."""
        memory = device_memory()
        known = memory.generations.get((self.app_id, self.group_hash))
        if known:
            return known
        found = (
            dynamodb()
            .meta.client.get_item(
                TableName=groups_table,
                Key={"app_id": self.app_id, "group_hash": self.group_hash},
                ProjectionExpression="id",
            )
            .get("Item")
        )
        generation = str(found["id"]) if found and found.get("id") else None
        if generation:
            memory.remember_generation(self.app_id, self.group_hash, generation)
        return generation

    def mark(self, generation: str) -> Mark:
        """Decide and record whether the device is new for the group (generation) and for the day."""
        memory = device_memory()
        known = memory.devices.get(self.counter)
        if known and known[0] == generation and known[1] >= self.day:
            return Mark(self.counter, generation, self.day)
        client = dynamodb().meta.client
        consistent = False
        for _ in range(_ATTEMPTS):
            found = client.get_item(
                TableName=self.counters_table, Key={"counter": self.counter}, ConsistentRead=consistent
            ).get("Item")
            mark = self._decide(generation, found)
            if not (mark.new_device or mark.new_day):
                memory.remember_device(self.counter, str(found.get("g", "")) if found else "", mark.day)
                return mark
            if self._write(client, mark, found):
                mark.wrote = True
                self.pending = mark
                memory.remember_device(self.counter, generation, self.day)
                return mark
            consistent = True  # another container marked it between our read and our write
        raise RuntimeError("device mark kept changing while counting a report")  # pragma: no cover

    def _decide(self, generation: str, found: dict[str, Any] | None) -> Mark:
        mark = Mark(self.counter, generation, self.day, previous=found)
        if not found or str(found.get("g", "")) != generation:
            mark.new_device = mark.new_day = 1
        elif str(found.get("day", "")) < self.day:  # a straggler from before midnight is not counted
            mark.new_day = 1
        return mark

    def _write(self, client: Any, mark: Mark, found: dict[str, Any] | None) -> bool:
        values: dict[str, Any] = {":g": mark.generation, ":day": mark.day}
        sets = ["g = :g", "#day = :day", "app_id = :app"]
        values[":app"] = self.app_id
        ttl_days = max(DEVICE_TTL_DAYS, self.retention_days)
        values[":ttl"] = int((self.now + timedelta(days=ttl_days)).timestamp())
        sets.append("#ttl = :ttl")
        names = {"#day": "day", "#ttl": "ttl"}
        if found:
            condition = "g = :old_g AND #day = :old_day"
            values[":old_g"], values[":old_day"] = found.get("g", ""), found.get("day", "")
        else:
            condition = "attribute_not_exists(#counter)"
            names["#counter"] = "counter"
        try:
            client.update_item(
                TableName=self.counters_table,
                Key={"counter": self.counter},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def counted(self) -> None:
        """The group's UpdateItem carrying the pending mark succeeded: nothing to hand back."""
        self.pending = None

    def hand_back(self) -> None:
        """Undo this report's device write (its group UpdateItem failed): put back what was there, only
        if the item is still the one this report wrote. Best effort: a failure is logged by the caller."""
        mark, self.pending = self.pending, None
        if mark is None or not mark.wrote:
            return
        device_memory().forget_device(mark.counter)
        client = dynamodb().meta.client
        guard = {
            "ConditionExpression": "g = :g AND #day = :day",
            "ExpressionAttributeNames": {"#day": "day"},
            "ExpressionAttributeValues": {":g": mark.generation, ":day": mark.day},
        }
        try:
            if mark.previous is None:
                client.delete_item(TableName=self.counters_table, Key={"counter": mark.counter}, **guard)
            else:
                client.put_item(TableName=self.counters_table, Item=mark.previous, **guard)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


def fresh_generation() -> str:
    """The `id` of a group about to be created (its generation)."""
    return str(uuid.uuid4())
