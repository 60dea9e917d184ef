"""Run state of a tenant's rollups (RollupsTable `pk=RUN, sk={tenant}`) and the dirty-day marker.

Attributes: `last_day` (status rolled through this UTC day), `dirty_from` (earliest day whose status
rollups are stale: a late event landed there), `dirty_version` (bumped by every mark, so a run that
started before a mark never clears it), `groups_day` (group items written through this day; those
days are final), `groups_clean` (hour counters removed from the groups through this day) and
`sliced_day` (a status day whose shards' parts were saved by a rollup that stopped mid-day) and
`first_day` (the tenant's first day with consumers, found once by its first rollup).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from fleetreport.rollup import keys
from fleetreport.rollup.days import next_day, previous_day


@dataclass(frozen=True)
class RunState:
    last_day: str | None = None
    dirty_from: str | None = None
    dirty_version: int = 0
    groups_day: str | None = None
    groups_clean: str | None = None
    sliced_day: str | None = None
    first_day: str | None = None

    @property
    def status_through(self) -> str | None:
        """The last day whose status items are trustworthy (the day before the first dirty one)."""
        if self.last_day is None:
            return None
        if self.dirty_from is not None and self.dirty_from <= self.last_day:
            return previous_day(self.dirty_from)
        return self.last_day


def run_key(tenant: str) -> dict[str, str]:
    return {"pk": keys.RUN_PK, "sk": tenant}


def read_run(rollups: Any, tenant: str) -> RunState:
    item = rollups.get_item(Key=run_key(tenant), ConsistentRead=True).get("Item") or {}
    return RunState(
        last_day=item.get("last_day"),
        dirty_from=item.get("dirty_from"),
        dirty_version=int(item.get("dirty_version", 0)),
        groups_day=item.get("groups_day"),
        groups_clean=item.get("groups_clean"),
        sliced_day=item.get("sliced_day"),
        first_day=item.get("first_day"),
    )


def mark_dirty(rollups: Any, tenant: str, day: str) -> None:
    """Record that `day`'s stored changes moved after it may have been rolled up (a late event).

    For the events path: call it when a change is dated on a UTC day before today. One conditional
    write lowers `dirty_from`; when an earlier day is already marked, only the version is bumped.
    """
    lowered = _update_if(
        rollups,
        tenant,
        "SET dirty_from = :day ADD dirty_version :one",
        "attribute_not_exists(dirty_from) OR dirty_from > :day",
        {":day": day, ":one": 1},
    )
    if not lowered:
        rollups.update_item(
            Key=run_key(tenant),
            UpdateExpression="ADD dirty_version :one",
            ExpressionAttributeValues={":one": 1},
        )


def advance(rollups: Any, tenant: str, attribute: str, day: str) -> None:
    """Move a progress pointer (`last_day`, `groups_day`, `groups_clean`) forward, never back."""
    _update_if(
        rollups,
        tenant,
        "SET #attr = :day",
        "attribute_not_exists(#attr) OR #attr < :day",
        {":day": day},
        {"#attr": attribute},
    )


def clear_dirty(rollups: Any, tenant: str, seen_version: int) -> bool:
    """Forget `dirty_from` unless a mark arrived since the run read the state (then the next run
    rolls from it again). Returns whether it was cleared."""
    return _update_if(
        rollups,
        tenant,
        "REMOVE dirty_from",
        "attribute_not_exists(dirty_version) OR dirty_version = :seen",
        {":seen": seen_version},
    )


def remember_first_day(rollups: Any, tenant: str, day: str) -> None:
    """Keep what a first rollup found (a read of every consumer) for its redeliveries; the walk's
    checkpoint is done with."""
    rollups.update_item(
        Key=run_key(tenant),
        UpdateExpression="SET first_day = :day REMOVE first_scan",
        ExpressionAttributeValues={":day": day},
    )


def read_first_scan(rollups: Any, tenant: str) -> dict[str, Any] | None:
    """The first rollup's walk position (rollup/first_scan.py), or None when it has not started."""
    item = rollups.get_item(Key=run_key(tenant), ConsistentRead=True, ProjectionExpression="first_scan")
    found: dict[str, Any] | None = (item.get("Item") or {}).get("first_scan")
    return found


def save_first_scan(rollups: Any, tenant: str, scan: dict[str, Any]) -> None:
    rollups.update_item(
        Key=run_key(tenant),
        UpdateExpression="SET first_scan = :scan",
        ExpressionAttributeValues={":scan": scan},
    )


def move_dirty_past(rollups: Any, tenant: str, seen_version: int, day: str) -> None:
    """`day` is rolled again: a unit that stops after it starts from the next day, not from the same
    dirty day forever. Only if no mark arrived since the run read the state (then it stays)."""
    _update_if(
        rollups,
        tenant,
        "SET dirty_from = :next",
        "dirty_version = :seen AND dirty_from <= :day",
        {":next": next_day(day), ":seen": seen_version, ":day": day},
    )


def clear_sliced(rollups: Any, tenant: str, day: str) -> None:
    """Forget `sliced_day` once that day is written (another day's mark stays)."""
    _update_if(rollups, tenant, "REMOVE sliced_day", "sliced_day = :day", {":day": day})


def _update_if(
    rollups: Any,
    tenant: str,
    update: str,
    condition: str,
    values: dict[str, Any],
    names: dict[str, str] | None = None,
) -> bool:
    """One conditional UpdateItem of the tenant's run state; False when the condition did not hold."""
    request: dict[str, Any] = {
        "Key": run_key(tenant),
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    if names:
        request["ExpressionAttributeNames"] = names
    try:
        rollups.update_item(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True
