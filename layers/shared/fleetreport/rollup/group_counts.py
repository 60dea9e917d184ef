"""Per-hour report counts of one app for group_trend: rolled-up days from the app's `GT#{app_id}`
month items, later days (today, and any day the rollup has not reached yet) live from the groups'
hour counters.

Reads: the run state, the app's month items of the months asked (only months with reports have one;
plus the part items of a day too big to sit inline), and for the live part the app's groups seen
since the last rolled day (light index, then their items).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.rollup import keys, runs
from fleetreport.rollup.days import next_day
from fleetreport.rollup.groups import (
    BY_APP_INDEX,
    Row,
    decode_rows,
    groups_seen_since,
    month_days,
    read_parts,
)
from fleetreport.storage.pages import query_items

Hour = tuple[str, str]  # (UTC day, "HH")
Dims = tuple[str, ...]  # type, version, channel, platform, arch, reason (the rows' order)
DimsFilter = Callable[[Dims], bool]


@dataclass(frozen=True)
class GroupFilter:
    """group_trend's dimension filters (exact match; None = any)."""

    type: str | None = None
    version: str | None = None
    channel: str | None = None
    platform: str | None = None
    arch: str | None = None
    reason: str | None = None

    def __call__(self, dims: Dims) -> bool:
        wanted = (self.type, self.version, self.channel, self.platform, self.arch, self.reason)
        return all(want is None or want == have for want, have in zip(wanted, dims, strict=True))


class GroupCounts:
    def __init__(self, groups: Any, rollups: Any, tenant: str, app_id: str) -> None:
        self.groups = groups
        self.rollups = rollups
        self.app_id = app_id
        self.rolled_through = runs.read_run(rollups, tenant).groups_day

    def first_hour(self) -> Hour | None:
        """The UTC hour of the app's first report still counted anywhere (rollups, then live)."""
        items = self.rollups.query(
            KeyConditionExpression=Key("pk").eq(keys.group_pk(self.app_id))
            & Key("sk").begins_with(keys.MONTH_PREFIX),
            Limit=1,
        ).get("Items", [])
        for day, rows in self._days_of(items[0] if items else {}):
            hours = [(day, hour) for row in rows for hour in row[-1]]
            if hours:
                return min(hours)
        since = next_day(self.rolled_through) if self.rolled_through else None
        return min((hour for hour, _, _ in self._live_counters(since)), default=None)

    def hourly(self, first: str, last: str, match: DimsFilter) -> dict[Hour, Counter[str]]:
        """Counts by event type of every UTC hour of days [first, last] with matching reports."""
        counts: dict[Hour, Counter[str]] = {}
        if self.rolled_through is not None and first <= self.rolled_through:
            upper = min(last, self.rolled_through)
            for day, rows in self._rolled(first, upper):
                _add_rows(counts, day, rows, match)
        live_from = first if self.rolled_through is None else max(first, next_day(self.rolled_through))
        if live_from <= last:
            for (day, hour), dims, count in self._live_counters(live_from):
                if day <= last and match(dims):
                    counts.setdefault((day, hour), Counter())[dims[0]] += count
        return counts

    def _rolled(self, first: str, last: str) -> Iterable[tuple[str, list[Row]]]:
        request: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(keys.group_pk(self.app_id))
            & Key("sk").between(keys.group_month_sk(first), keys.group_month_sk(last)),
        }
        for item in query_items(self.rollups, request):
            for day, rows in self._days_of(item):
                if first <= day <= last:
                    yield day, rows

    def _days_of(self, item: dict[str, Any]) -> Iterable[tuple[str, list[Row]]]:
        if not item:
            return
        for day, inline, parts in month_days(item):
            yield day, decode_rows(inline) if not parts else read_parts(self.rollups, self.app_id, day)

    def _live_counters(self, since: str | None) -> list[tuple[Hour, Dims, int]]:
        """Hour counters of days after the rolled ones on groups seen since `since` (None: any day)."""
        found = []
        for group in groups_seen_since(self.groups, BY_APP_INDEX, ("app_id", self.app_id), since):
            for day, per_hour in group.hours.items():
                if self.rolled_through is not None and day <= self.rolled_through:
                    continue  # already in a rollup item; the cleanup has not removed it yet
                if since is not None and day < since:
                    continue
                found += [((day, hour), group.dims, count) for hour, count in per_hour.items()]
        return found


def _add_rows(counts: dict[Hour, Counter[str]], day: str, rows: list[Row], match: DimsFilter) -> None:
    for row in rows:
        dims, per_hour = tuple(str(value) for value in row[:-1]), row[-1]
        if match(dims):
            for hour, count in per_hour.items():
                counts.setdefault((day, hour), Counter())[dims[0]] += int(count)
