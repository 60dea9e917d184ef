"""A group's recent activity (SPEC §10): reports per hour over the last 24 h and per day over the
last 30 days, from the hour counters on the group items and the app's group rollups.

The list adds the 24 hours to every item of a page: one rollup read per app on the page (the app's
month items hold every group's rows), never one per group.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fleetreport.errors import BadRequest
from fleetreport.groups.devices import day_counts
from fleetreport.groups.hours import Hour, hour_of, hours_back, item_hours
from fleetreport.rollup.group_counts import GroupCounts
from fleetreport.rollup.groups import DIMENSIONS
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

HOURS = 24
DAYS = 30
GroupKey = tuple[str, str]


def hours_by_group(
    items: list[dict[str, Any]], first_day: str, last_day: str
) -> dict[GroupKey, Counter[Hour]]:
    """Reports per UTC hour of each item's group over days [first_day, last_day]."""
    rollups = table(get_settings().rollups_table)
    result: dict[GroupKey, Counter[Hour]] = {(i["app_id"], i["group_hash"]): Counter() for i in items}
    by_app: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        by_app.setdefault((str(item.get("owner", "")), item["app_id"]), []).append(item)
    for (owner, app_id), group_items in by_app.items():
        counts = GroupCounts(None, rollups, owner, app_id)
        rolled = counts.rolled_through
        if rolled is not None and first_day <= rolled:
            wanted = {
                tuple(str(i.get(name, "")) for name in DIMENSIONS): i["group_hash"] for i in group_items
            }
            # the rollup rows of these groups (GroupCounts reads the app's month items once)
            for day, rows in counts._rolled(first_day, min(last_day, rolled)):
                for row in rows:
                    group_hash = wanted.get(tuple(str(value) for value in row[:-1]))
                    if group_hash:
                        for hour, count in row[-1].items():
                            result[(app_id, group_hash)][(day, hour)] += int(count)
        for item in group_items:
            for (day, hour), count in item_hours(item).items():
                if first_day <= day <= last_day and (rolled is None or day > rolled):
                    result[(app_id, item["group_hash"])][(day, hour)] += count
    return result


def _hourly(counts: Counter[Hour], now: datetime) -> list[dict[str, Any]]:
    return [
        {"hour": f"{day}T{hh}:00:00.000Z", "count": counts.get((day, hh), 0)}
        for day, hh in hours_back(now, HOURS)
    ]


def _daily(counts: Counter[Hour], devices: dict[str, int], now: datetime) -> list[dict[str, Any]]:
    per_day: Counter[str] = Counter()
    for (day, _), count in counts.items():
        per_day[day] += count
    days = [(now - timedelta(days=back)).strftime("%Y-%m-%d") for back in range(DAYS - 1, -1, -1)]
    return [{"day": day, "count": per_day.get(day, 0), "devices": devices.get(day, 0)} for day in days]


def group_activity(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    """`{"hourly": [24 x {hour, count}], "daily": [30 x {day, count, devices}]}`, oldest first.

    Devices per day are the group item's own `dv{yyyymmdd}` counters (groups/devices.py): ingest keeps
    them in the report's one UpdateItem, for the 30 days of the series."""
    first_day = (now - timedelta(days=DAYS - 1)).strftime("%Y-%m-%d")
    counts = hours_by_group([item], first_day, hour_of(now)[0])[(item["app_id"], item["group_hash"])]
    return {"hourly": _hourly(counts, now), "daily": _daily(counts, day_counts(item), now)}


def hourly_activity(items: list[dict[str, Any]], now: datetime) -> dict[GroupKey, dict[str, Any]]:
    """The last 24 hours of every item's group (the list's sparklines)."""
    first_day = hours_back(now, HOURS)[0][0]
    counts = hours_by_group(items, first_day, hour_of(now)[0])
    return {key: {"hourly": _hourly(value, now)} for key, value in counts.items()}


def parse_activity(raw: str | None) -> bool:
    """`GET /reports/groups?activity=hourly` adds each group's last 24 hours (absent: nothing)."""
    if raw is None or raw == "":
        return False
    if raw != "hourly":
        raise BadRequest("invalid activity")
    return True
