"""status_trend served from rollups: the unfiltered and `owner`-filtered cases (SPEC §5).

Called first by `fleetreport.reports.status_trend.run` (a report answered from the rollups: it lives
with the reports and reads rollup/ below it); answers None when rollups cannot serve the
request, and the report then computes from snapshots: any other filter (consumer_uuid, product_name,
sku, subscription_name, management_enabled), `owner` given with several keys, no rollup yet, or a
zone whose day ends off the quarter-hour grid (e.g. `GMT+05:07`) within the rolled-up days. The answer
is built exactly like the snapshot computation's: same day keys, same clamping to today, same "data's
own boundary" for a missing bound (the first/last snapshot recorded by the rollups).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from fleetreport.compliance.timefmt import to_storage
from fleetreport.reports.days import day_key, day_of_in, requested_days
from fleetreport.reports.definition import DaysResult, ReportContext
from fleetreport.rollup.keys import status_pk
from fleetreport.rollup.trend import RollupsUnavailable, StatusCounts
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table
from fleetreport.storage.limits import can_be_key

# Filters the rollups do not cover: their presence sends the report to the snapshot computation.
SNAPSHOT_ONLY_FILTERS = ("consumer_uuid", "product_name", "sku", "subscription_name", "management_enabled")
MILLISECOND = timedelta(milliseconds=1)


def status_trend_from_rollups(context: ReportContext) -> DaysResult | None:
    params = context.params
    if any(params.has(name) for name in SNAPSHOT_ONLY_FILTERS):
        return None
    if len(set(params.texts("owner"))) > 1:
        return None  # rollups hold one owner key per partition; several owners match any of them
    owner = params.text("owner")
    if owner is not None and not can_be_key(status_pk(context.tenant, owner)):
        return None  # an owner key no consumer has: the snapshot computation finds none
    zone = params.zone
    counts = StatusCounts(
        context.table, table(get_settings().rollups_table), context.tenant, params.text("owner")
    )
    today = context.now.astimezone(zone).date()
    first, last = requested_days(params, today)
    try:
        if first is None or last is None:
            bounds = _data_days(counts, zone, today)
            if bounds is None:
                return DaysResult([])
            first = first or bounds[0]
            last = last or min(max(bounds[1], first), today)
        days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
        ends = [local_day_end(day, zone) for day in days]
        if any(end is None for end in ends):
            return None
        answers = counts.counts_at([end for end in ends if end is not None])
    except RollupsUnavailable:
        return None
    return DaysResult(
        [(day_key(day, zone), day_counts) for day, day_counts in zip(days, answers, strict=True)]
    )


def _data_days(counts: StatusCounts, zone: tzinfo, today: date) -> tuple[date, date] | None:
    """The days (in `zone`) of the partition's first snapshot and of its last one up to today's end."""
    today_end = local_day_end(today, zone)
    if today_end is None:
        raise RollupsUnavailable("today's end is not an instant of this zone")
    first, last = counts.snapshot_bounds(today_end)
    if first is None or last is None:
        return None
    day_of = day_of_in(zone)
    return day_of(first), day_of(last)


def local_day_end(day: date, zone: tzinfo) -> str | None:
    """The last millisecond of `day` in `zone` (stored form), checked against the report's own notion
    of a day; None when the zone's calendar makes that ambiguous."""
    following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    end = to_storage(following - MILLISECOND)
    day_of = day_of_in(zone)
    if day_of(end) != day or day_of(to_storage(following)) != day + timedelta(days=1):
        return None
    return end
