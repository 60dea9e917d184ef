"""status_trend counts from rollups: stored items for rolled-up days, the open day from the
maintained status counts, anything else computed live.

`StatusCounts.counts_at(instants)` answers the counts of one partition (every consumer, or one
Candlepin owner key) at each instant. An instant on or before the last trustworthy rolled day must be
the last millisecond before a quarter-hour boundary (the end of a local day in any zone in use since
2000); it is read from the item of that UTC day (its `at` entry at or before the boundary, or `end`),
else carried from the latest earlier item. An instant after the wall clock (the end of the open day)
comes from the status counts items (`fleetreport.compliance.counts`) when they can answer it. Other
later instants are computed from the change log since the last rolled day, starting from its `end`.
Reads: the items of the days asked (only days with changes have one), one item before them, the run
state, 1-2 counts items, and — only while the rollup is behind — the changes since the last rolled day.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.compliance import keys as compliance_keys
from fleetreport.compliance.counts import status_counts_at
from fleetreport.compliance.timefmt import to_storage
from fleetreport.compliance.trend import after_deletion_day
from fleetreport.rollup import keys, runs
from fleetreport.rollup.counting import Counts, Partition, applied, deltas_at, plain_counts
from fleetreport.rollup.days import (
    END_LABEL,
    boundary_of,
    day_range,
    day_start,
    instant_before,
    last_ms_before,
    next_day,
)
from fleetreport.rollup.history import Change, change_from_item, changes_on, load_histories
from fleetreport.rollup.names import projection
from fleetreport.storage.pages import query_items

BOUNDS_PAGE = 4  # items per page when looking for the first/last item that saw a snapshot
NEWEST_PAGE = 4  # change-log items per page when looking for the newest snapshot change


class RollupsUnavailable(Exception):
    """Rollups cannot answer this (never rolled up, or an instant off the quarter-hour grid)."""


class StatusCounts:
    def __init__(self, compliance: Any, rollups: Any, tenant: str, owner_key: str | None = None) -> None:
        self.compliance = compliance
        self.rollups = rollups
        self.tenant = tenant
        self.partition: Partition = owner_key
        self.pk = keys.status_pk(tenant, owner_key)
        self._through: str | None = None
        self._changes: dict[str, list[Change]] = {}
        self._deletions: dict[str, str | None] = {}

    @property
    def through(self) -> str:
        """The last UTC day whose rollups are trustworthy (read once)."""
        if self._through is None:
            through = runs.read_run(self.rollups, self.tenant).status_through
            if through is None:
                raise RollupsUnavailable("no rollups yet")
            self._through = through
        return self._through

    def counts_at(self, instants: list[str]) -> list[Counts]:
        covered_end = last_ms_before(self.through, END_LABEL)
        rolled = [instant for instant in instants if instant <= covered_end]
        live = sorted({instant for instant in instants if instant > covered_end})
        answers: dict[str, Counts] = {}
        ends = _Ends(self.rollups, self.pk)
        boundaries = [boundary_of(instant) for instant in rolled]
        if rolled:
            if any(boundary is None for boundary in boundaries):
                raise RollupsUnavailable("an instant is not at a quarter-hour boundary")
            days = [boundary[0] for boundary in boundaries if boundary]
            ends.load(min(days), max(days))
            for instant, boundary in zip(rolled, boundaries, strict=True):
                assert boundary is not None
                answers[instant] = ends.counts_before(*boundary)
        now_counts = self._now_counts(live)
        if now_counts is not None:
            for instant in [instant for instant in live if instant >= now_counts[0]]:
                answers[instant] = now_counts[1]
            live = [instant for instant in live if instant < now_counts[0]]
        if live:
            base = ends.end_through(self.through)
            for instant, counts in zip(live, self._live(base, next_day(self.through), live), strict=True):
                answers[instant] = counts
        return [answers[instant] for instant in instants]

    def _now_counts(self, live: list[str]) -> tuple[str, Counts] | None:
        """The open day from the maintained counts (compliance/counts.py): (first instant they answer,
        the counts), or None when they cannot answer any of `live`."""
        wall = to_storage(datetime.now(UTC))
        open_instants = [instant for instant in live if instant >= wall]
        if not open_instants:
            return None
        counts = status_counts_at(self.compliance, self.tenant, self.partition, open_instants[0])
        return None if counts is None else (open_instants[0], counts)

    def snapshot_bounds(self, up_to: str) -> tuple[str | None, str | None]:
        """Instants of the partition's first snapshot and of its last one dated at or before `up_to`."""
        first = _first_attribute(
            self.rollups, self.pk, "first_snapshot", {"ScanIndexForward": True, "upper": self.through}
        )
        rolled_last = _first_attribute(
            self.rollups, self.pk, "last_snapshot", {"ScanIndexForward": False, "upper": self.through}
        )
        live_days = list(day_range(next_day(self.through), up_to[:10]))
        if first is None:  # nothing rolled yet for this partition: its first snapshot is a live one
            first = next(
                (
                    change.instant
                    for day in live_days
                    for change in self._changes_on(day)
                    if self._counts_snapshot(change, up_to)
                ),
                None,
            )
        return first, self._last_live_snapshot(live_days, up_to) or rolled_last

    def _last_live_snapshot(self, days: list[str], up_to: str) -> str | None:
        """The newest snapshot change of the partition in `days` up to `up_to`: the change-log shards
        read newest first and merged, stopping at the first one (not the days' every change)."""
        for day in reversed(days):
            newest_first = [
                self._newest_changes(day, shard, up_to) for shard in range(compliance_keys.LOG_SHARDS)
            ]
            for change in heapq.merge(*newest_first, key=lambda change: change.key, reverse=True):
                if self._counts_snapshot(change, up_to):
                    return change.instant
        return None

    def _newest_changes(self, day: str, shard: int, up_to: str) -> Iterator[Change]:
        """One shard's changes newest first: its newest alone (every shard is asked), then pages."""
        request: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(compliance_keys.change_log_pk(self.tenant, day, shard))
            & Key("sk").lt(compliance_keys.at_or_before(up_to)),
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": 1,
            **projection("sk", "uuid", "kind", "owner_key"),
        }
        while True:
            answer = self.compliance.query(**request)
            for item in answer.get("Items", []):
                yield change_from_item(item)
            if "LastEvaluatedKey" not in answer:
                return
            request = {**request, "ExclusiveStartKey": answer["LastEvaluatedKey"], "Limit": NEWEST_PAGE}

    def _counts_snapshot(self, change: Change, up_to: str) -> bool:
        """A snapshot of the partition up to `up_to`, not dated on or after its consumer's deletion day
        (the consumer is read only for a change that passes the rest: one item per bound found)."""
        return (
            change.kind == "snapshot"
            and change.instant <= up_to
            and self._in_partition(change)
            and not after_deletion_day(change.instant, self._deleted(change.uuid))
        )

    def _deleted(self, uuid: str) -> str | None:
        if uuid not in self._deletions:
            item = self.compliance.get_item(
                Key=compliance_keys.consumer_key(self.tenant, uuid),
                ConsistentRead=True,
                **projection("deleted"),
            ).get("Item")
            self._deletions[uuid] = (item or {}).get("deleted")
        return self._deletions[uuid]

    def _live(self, base: Counts, first_day: str, instants: list[str]) -> list[Counts]:
        """Counts at instants after the rolled days: `base` moved by the changes since `first_day`."""
        changes = [
            change for day in day_range(first_day, instants[-1][:10]) for change in self._changes_on(day)
        ]
        if not changes:
            return [base for _ in instants]
        histories = load_histories(self.compliance, self.tenant, changes, day_start(first_day), instants[-1])
        deltas = deltas_at(histories.values(), instant_before(first_day), instants)
        return [applied(base, per_partition.get(self.partition)) for per_partition in deltas]

    def _changes_on(self, day: str) -> list[Change]:
        if day not in self._changes:
            self._changes[day] = changes_on(self.compliance, self.tenant, day)
        return self._changes[day]

    def _in_partition(self, change: Change) -> bool:
        return self.partition is None or change.owner_key == self.partition


class _Ends:
    """The items of one partition over a span of days, plus the latest one before it."""

    def __init__(self, rollups: Any, pk: str) -> None:
        self.rollups = rollups
        self.pk = pk
        self.days: list[str] = []
        self.items: list[dict[str, Any]] = []
        self.first: str | None = None  # loaded span: every item in [first, last] is known
        self.last: str | None = None

    def load(self, first: str, last: str) -> None:
        request = {
            "KeyConditionExpression": Key("pk").eq(self.pk) & Key("sk").between(first, last),
            **projection("sk", "end", "at"),
        }
        found = list(query_items(self.rollups, request))
        earlier = self.rollups.query(
            KeyConditionExpression=Key("pk").eq(self.pk) & Key("sk").lt(first),
            ScanIndexForward=False,
            Limit=1,
            **projection("sk", "end"),
        ).get("Items", [])
        self.items = earlier + found
        self.days = [item["sk"] for item in self.items]
        self.first, self.last = first, last

    def counts_before(self, day: str, label: str) -> Counts:
        """The state just before boundary `label` of `day`."""
        index = bisect.bisect_left(self.days, day)
        carried = plain_counts(self.items[index - 1]["end"]) if index else {}
        if index == len(self.days) or self.days[index] != day:
            return carried
        item = self.items[index]
        if label == END_LABEL:
            return plain_counts(item["end"])
        at = item.get("at") or {}
        earlier = [entry for entry in at if entry <= label]
        return plain_counts(at[max(earlier)]) if earlier else carried

    def end_through(self, day: str) -> Counts:
        """Counts at the end of `day`: from the loaded span when it reaches that far, else one Query."""
        if self.last is not None and self.first is not None and self.first <= day <= self.last:
            return self.counts_before(day, END_LABEL)
        lower = next_day(self.last) if self.last is not None and self.last < day else None
        condition = Key("pk").eq(self.pk) & (Key("sk").between(lower, day) if lower else Key("sk").lte(day))
        items = self.rollups.query(
            KeyConditionExpression=condition,
            ScanIndexForward=False,
            Limit=1,
            **projection("end"),
        ).get("Items", [])
        if items:
            return plain_counts(items[0]["end"])
        return self.counts_before(next_day(self.last), END_LABEL) if lower and self.last else {}


def _first_attribute(rollups: Any, pk: str, attribute: str, options: dict[str, Any]) -> str | None:
    """The attribute of the first item (in the given direction) that has it, a few items per page."""
    upper = options.get("upper")
    condition = Key("pk").eq(pk) & Key("sk").lte(upper) if upper else Key("pk").eq(pk)
    request: dict[str, Any] = {
        "KeyConditionExpression": condition,
        "ScanIndexForward": options["ScanIndexForward"],
        **projection(attribute),
        "Limit": BOUNDS_PAGE,
    }
    while True:
        answer = rollups.query(**request)
        for item in answer.get("Items", []):
            if item.get(attribute):
                return str(item[attribute])
        if "LastEvaluatedKey" not in answer:
            return None
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
