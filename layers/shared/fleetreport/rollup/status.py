"""Rolling up one UTC day of status counts for one tenant (RollupsTable `ST#...` items).

For day D: read D's change log; for each consumer that changed, its state just before D and at each
quarter-hour boundary of D; move the previous rollup's `end` by the difference. Items are rebuilt
whole from stored data and written with PutItem, so rolling a day again writes identical items.
Days must be rolled in ascending order within one `StatusRollup` (it carries each partition's `end`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.compliance.keys import LOG_SHARDS
from fleetreport.rollup import keys, slices
from fleetreport.rollup.counting import (
    Counts,
    Deltas,
    Partition,
    applied,
    plain_counts,
    touched_partitions,
)
from fleetreport.rollup.days import END_LABEL, LABELS
from fleetreport.rollup.names import projection
from fleetreport.rollup.runs import RunState
from fleetreport.rollup.shard_pages import moment_key, page_part, read_page
from fleetreport.rollup.slices import DayPart, ItemsBudget, ShardProgress


@dataclass(frozen=True)
class DayOutcome:
    day: str
    changes: int
    consumers: int
    items: int


class StatusRollup:
    """One tenant's status rollups, rolled day after day in ascending order."""

    def __init__(
        self,
        compliance: Any,
        rollups: Any,
        tenant: str,
        *,
        run: RunState | None = None,
        budget: ItemsBudget | None = None,
    ) -> None:
        self.compliance = compliance
        self.rollups = rollups
        self.tenant = tenant
        self.run = run  # the tenant's run state when the rollup started: parts saved by an earlier one
        self.budget = budget  # None: the whole day in one go (the CLI, the local stack, backfills)
        self._ends: dict[Partition, Counts] = {}  # each partition's counts at the end of the last day rolled
        self._stored_ends: dict[Partition, Counts] = {}  # the same, by the items this run replaced
        self._last_rolled: str | None = None

    @property
    def converged(self) -> bool:
        """Every partition ends the last re-rolled day as the replaced items did: later days' items,
        computed from those ends, still hold (a re-roll may stop here)."""
        return all(self._stored_ends.get(partition, end) == end for partition, end in self._ends.items())

    def skipped(self) -> None:
        """Days were left as stored: forget the carried ends (later items may hold newer ones)."""
        self._ends.clear()
        self._stored_ends.clear()

    def roll_day(self, day: str, *, rerolling: bool) -> DayOutcome | None:
        """Write day `day`'s items; `rerolling` (the day may hold items already) also deletes owner
        partitions an earlier computation wrote for it and this one does not, and remembers the ends
        of the items it replaces (see `converged`). With an items budget, None when it ran out before
        the day's last shard: the parts computed are saved and the next invocation continues them."""
        if self._last_rolled is not None and day <= self._last_rolled:
            raise ValueError("days must be rolled in ascending order")
        resumed = self.run is not None and self.run.sliced_day == day
        shards = slices.load(self.rollups, self.tenant, day, self._version) if resumed else {}
        walk = _DayWalk(self, day, marked=resumed)
        for shard in range(LOG_SHARDS):
            progress = shards.setdefault(shard, ShardProgress())
            if not walk.finish(shard, progress):
                return None
        self._last_rolled = day
        whole = slices.total(progress.part for progress in shards.values())
        outcome = self._write_day(day, whole, rerolling) if whole.changes else DayOutcome(day, 0, 0, 0)
        if walk.marked:
            slices.forget(self.rollups, self.tenant, day)
        return outcome

    @property
    def _version(self) -> int:
        return self.run.dirty_version if self.run is not None else 0

    def _write_day(self, day: str, whole: DayPart, rerolling: bool) -> DayOutcome:
        partitions = touched_partitions(whole.deltas) | set(whole.bounds) | {None}
        owners = sorted(partition for partition in partitions if partition is not None)
        if rerolling:
            self._replace(day, set(owners))
        for partition in [None, *owners]:
            item = self._item(day, partition, whole.deltas, whole.bounds.get(partition))
            if partition is None:
                item["owners"] = owners
            self.rollups.put_item(Item=item)
            self._ends[partition] = item["end"]
        return DayOutcome(day, whole.changes, whole.consumers, len(owners) + 1)

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
            self._stored_ends.setdefault(partition, self._ends[partition])
        return self._ends[partition]

    def _replace(self, day: str, owners: set[str]) -> None:
        """Before re-rolling `day`: note the stored items' ends, delete owner items no longer written."""
        stored = self.rollups.get_item(
            Key={"pk": keys.status_pk(self.tenant), "sk": day},
            ConsistentRead=True,
            **projection("end", "owners"),
        ).get("Item")
        if stored is None:
            return
        self._remember(None, day, stored["end"])
        for owner in sorted(stored.get("owners") or ()):
            key = {"pk": keys.status_pk(self.tenant, owner), "sk": day}
            item = self.rollups.get_item(Key=key, ConsistentRead=True, **projection("end")).get("Item")
            if item is not None:
                self._remember(owner, day, item["end"])
            if owner not in owners:
                self.rollups.delete_item(Key=key)

    def _remember(self, partition: Partition, day: str, stored_end: Any) -> None:
        self.previous_end(partition, day)
        self._stored_ends[partition] = plain_counts(stored_end)


class _DayWalk:
    """One invocation's walk of a day's shards, a log page at a time: spends the items budget and
    saves the progress it has not saved yet when it stops and every CHECKPOINT_ITEMS items."""

    def __init__(self, rollup: StatusRollup, day: str, *, marked: bool) -> None:
        self.rollup = rollup
        self.day = day
        self.marked = marked  # the run state says the day has saved progress
        self.pending: dict[int, ShardProgress] = {}
        self.unsaved = 0

    def finish(self, shard: int, progress: ShardProgress) -> bool:
        """Read the shard's remaining pages into `progress`; False when the budget ran out first
        (the progress is saved)."""
        rollup, budget = self.rollup, self.rollup.budget
        while not progress.done:
            if budget is not None and not budget.room_for_another():
                self.pending[shard] = progress
                self.checkpoint()
                return False
            counted = moment_key(progress.after["sk"]) if progress.after else None
            changes, progress.after = read_page(
                rollup.compliance, rollup.tenant, self.day, shard, progress.after
            )
            part = page_part(rollup.compliance, rollup.tenant, self.day, changes, counted)
            progress.part.add(part)
            progress.done = progress.after is None
            self.pending[shard] = progress
            self.unsaved += part.items_read
            if budget is not None:
                budget.spend(part.items_read)
            if budget is not None and self.unsaved >= slices.CHECKPOINT_ITEMS:
                self.checkpoint()
        return True

    def checkpoint(self) -> None:
        """Save the progress not saved yet (nothing to do when every shard so far was saved)."""
        if not self.pending:
            return
        rollup = self.rollup
        slices.save(rollup.rollups, rollup.tenant, self.day, rollup._version, self.pending, not self.marked)
        self.marked = True
        self.pending = {}
        self.unsaved = 0
