"""Rolling up one UTC day of status counts for one tenant (RollupsTable `ST#...` items).

For day D: read D's change log; for each consumer that changed, its state just before D and at each
quarter-hour boundary of D; move the previous rollup's `end` by the difference. Items are rebuilt
whole from stored data and written with PutItem, so rolling a day again writes identical items.
Days must be rolled in ascending order within one `StatusRollup` (it carries each partition's `end`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.rollup import keys
from fleetreport.rollup.counting import (
    Counts,
    Deltas,
    Partition,
    applied,
    deltas_at,
    plain_counts,
    touched_partitions,
)
from fleetreport.rollup.days import END_LABEL, LABELS, day_start, instant_before, last_ms_before
from fleetreport.rollup.history import Change, changes_on, load_histories
from fleetreport.rollup.names import projection


@dataclass(frozen=True)
class DayOutcome:
    day: str
    changes: int
    consumers: int
    items: int


class StatusRollup:
    """One tenant's status rollups, rolled day after day in ascending order."""

    def __init__(self, compliance: Any, rollups: Any, tenant: str) -> None:
        self.compliance = compliance
        self.rollups = rollups
        self.tenant = tenant
        self._ends: dict[Partition, Counts] = {}  # each partition's counts at the end of the last day rolled
        self._last_rolled: str | None = None

    def roll_day(self, day: str, *, rerolling: bool) -> DayOutcome:
        """Write day `day`'s items; `rerolling` (the day may hold items already) also deletes owner
        partitions an earlier computation wrote for it and this one does not."""
        if self._last_rolled is not None and day <= self._last_rolled:
            raise ValueError("days must be rolled in ascending order")
        self._last_rolled = day
        changes = changes_on(self.compliance, self.tenant, day)
        if not changes:
            return DayOutcome(day, 0, 0, 0)
        end_of_day = last_ms_before(day, END_LABEL)
        histories = load_histories(self.compliance, self.tenant, changes, day_start(day), end_of_day)
        deltas = deltas_at(
            histories.values(), instant_before(day), [last_ms_before(day, label) for label in LABELS]
        )
        bounds = snapshot_bounds(changes)
        partitions = touched_partitions(deltas) | set(bounds) | {None}
        owners = sorted(partition for partition in partitions if partition is not None)
        if rerolling:
            self._forget_stale_owners(day, set(owners))
        for partition in [None, *owners]:
            item = self._item(day, partition, deltas, bounds.get(partition))
            if partition is None:
                item["owners"] = owners
            self.rollups.put_item(Item=item)
            self._ends[partition] = item["end"]
        return DayOutcome(day, len(changes), len(histories), len(owners) + 1)

    def _item(
        self, day: str, partition: Partition, deltas: list[Deltas], bounds: tuple[str, str] | None
    ) -> dict[str, Any]:
        previous = self.previous_end(partition, day)
        at: dict[str, Counts] = {}
        last = previous
        for label, per_partition in zip(LABELS, deltas, strict=True):
            counts = applied(previous, per_partition.get(partition))
            if label != END_LABEL and counts != last:
                at[label] = counts
            last = counts
        item: dict[str, Any] = {
            "pk": keys.status_pk(self.tenant, partition),
            "sk": day,
            "end": last,
            "at": at,
        }
        if bounds:
            item["first_snapshot"], item["last_snapshot"] = bounds
        return item

    def previous_end(self, partition: Partition, day: str) -> Counts:
        """The partition's counts at the end of the day before `day` (its latest item before `day`)."""
        if partition not in self._ends:
            answer = self.rollups.query(
                KeyConditionExpression=Key("pk").eq(keys.status_pk(self.tenant, partition))
                & Key("sk").lt(day),
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
                **projection("end"),
            )
            items = answer.get("Items", [])
            self._ends[partition] = plain_counts(items[0]["end"]) if items else {}
        return self._ends[partition]

    def _forget_stale_owners(self, day: str, owners: set[str]) -> None:
        """Delete owner items of `day` that an earlier computation wrote and this one does not."""
        answer = self.rollups.get_item(
            Key={"pk": keys.status_pk(self.tenant), "sk": day},
            **projection("owners"),
            ConsistentRead=True,
        )
        for owner in set(answer.get("Item", {}).get("owners") or ()) - owners:
            self.rollups.delete_item(Key={"pk": keys.status_pk(self.tenant, owner), "sk": day})


def snapshot_bounds(changes: Iterable[Change]) -> dict[Partition, tuple[str, str]]:
    """Per partition, the first and last snapshot instants of the day (what "the data's own
    boundary" of status_trend is made of)."""
    bounds: dict[Partition, tuple[str, str]] = {}
    for change in changes:
        if change.kind != "snapshot":
            continue
        partitions: list[Partition] = [None] + ([change.owner_key] if change.owner_key else [])
        for partition in partitions:
            first, last = bounds.get(partition, (change.instant, change.instant))
            bounds[partition] = (min(first, change.instant), max(last, change.instant))
    return bounds
