"""The days of a report in its time zone: the requested bounds, an instant's day, a day's key. Shared
by every per-day report and by the rollup-served status trend (reports/status_trend_rollups.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from fleetreport.compliance.timefmt import format_with_offset
from fleetreport.compliance.trend import DayOf
from fleetreport.reports.dates import END_OF_DAY
from fleetreport.reports.params import ReportParams


def day_of_in(zone: tzinfo) -> DayOf:
    if zone is UTC:
        return lambda instant: date.fromisoformat(instant[:10])
    return lambda instant: datetime.fromisoformat(instant).astimezone(zone).date()


def day_key(day: date, zone: tzinfo) -> str:
    return format_with_offset(datetime.combine(day, END_OF_DAY, tzinfo=zone))


def requested_days(params: ReportParams, today: date) -> tuple[date | None, date | None]:
    """The bounds the caller gave, as days in the report's zone, clamped to today."""
    start, end = params.date("start_date"), params.date("end_date")
    first = min(start.local_day(params.zone), today) if start else None
    last = min(end.local_day(params.zone), today) if end else None
    return first, last
