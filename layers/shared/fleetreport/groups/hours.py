"""One group's reports per UTC hour, from what already exists: the hour counters ingest keeps on the
group item (`h{yyyymmddHH}`, in its one write) for days not rolled up yet, and the app's group
rollups (RollupsTable `GT#{app_id}`, rollup/groups.py) for rolled days. Nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetreport.rollup.group_counts import GroupCounts, GroupFilter
from fleetreport.rollup.groups import counters_from_item

Hour = tuple[str, str]  # (UTC day "yyyy-mm-dd", "HH")


def hour_of(moment: datetime) -> Hour:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H")


def parse_stamp(stamp: str) -> datetime:
    """A stored RFC 3339 `...Z` timestamp as an aware datetime."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def item_hours(item: dict[str, Any]) -> dict[Hour, int]:
    """The hour counters still on the group item."""
    counters = counters_from_item(item)
    return {
        (day, hour): count for day, per_hour in counters.hours.items() for hour, count in per_hour.items()
    }


def group_hours(item: dict[str, Any], rollups: Any, first_day: str, last_day: str) -> Counter[Hour]:
    """Reports per UTC hour of the group over days [first_day, last_day].

    Days at or before the rollup's `groups_day` come from the rollup rows of this group's dimensions
    (its counters may linger on the item until the cleanup, so they are skipped there); later days
    from the item. Costs the run-state read plus the app's month items of the range, only when the
    range reaches a rolled day.
    """
    counts: Counter[Hour] = Counter()
    counter = GroupCounts(None, rollups, str(item.get("owner", "")), str(item["app_id"]))
    rolled = counter.rolled_through
    if rolled is not None and first_day <= rolled:
        dims = counters_from_item(item).dims  # type, version, channel, platform, arch, reason
        match = GroupFilter(*dims)
        for hour, per_type in counter.hourly(first_day, min(last_day, rolled), match).items():
            counts[hour] += sum(per_type.values())
    for (day, hour), count in item_hours(item).items():
        if first_day <= day <= last_day and (rolled is None or day > rolled):
            counts[(day, hour)] += count
    return counts


def hours_back(end: datetime, hours: int) -> list[Hour]:
    """The `hours` UTC hours ending with (and including) the hour of `end`, oldest first."""
    start = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return [hour_of(start - timedelta(hours=back)) for back in range(hours - 1, -1, -1)]
