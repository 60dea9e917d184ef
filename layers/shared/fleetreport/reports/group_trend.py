"""group_trend (SPEC §4.5): per-day counts of ingested reports for one app, by event type.

`app` names the app (its name, or its id) among the requester's: a team user only sees the apps in
its `allowed_apps`; an app the requester cannot see answers like one that does not exist. Counts
come from the daily group rollups plus the live hour counters of days not rolled up yet (today).
Days are calendar days in `timezone` (default UTC), keyed like status_trend's. Reports are counted
per UTC hour, so an hour belongs to the local day its start falls in: exact for zones on whole-hour
offsets; for :30/:45 zones a local day runs from the hour that starts in it (Asia/Kolkata's day
starts at 18:00 UTC instead of 18:30). A missing start is the app's first day with reports; a
missing end is today; bounds in the future are clamped to today.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from fleetreport.auth.principal import Principal
from fleetreport.errors import InvalidParameter
from fleetreport.reports.common import TIMEZONE_DESCRIPTION, day_param
from fleetreport.reports.days import day_key, requested_days
from fleetreport.reports.definition import DaysResult, ReportContext, ReportDefinition
from fleetreport.reports.params import Param

if TYPE_CHECKING:
    from fleetreport.rollup.group_counts import Hour

UNKNOWN_APP = "No app with this name or id."
PARAMETERS = (
    Param("app", "The name (or id) of the app whose reports are counted", mandatory=True),
    Param("version", "The application version on which to filter"),
    Param("channel", "The release channel on which to filter"),
    Param("platform", "The platform on which to filter"),
    Param("arch", "The architecture on which to filter"),
    Param("type", "The event type on which to filter"),
    Param("reason", "The event reason on which to filter"),
    day_param("start_date", "The start date on which to filter"),
    day_param("end_date", "The end date on which to filter"),
    Param("timezone", TIMEZONE_DESCRIPTION, kind="timezone"),
)


def resolve_app(tenant: str, principal: Principal | None, app: str) -> str:
    """The id of the requester's app called (or identified by) `app`; else 400 on `app`."""
    from fleetreport.apps.store import default_store, find_apps_by_name  # storage only when run

    candidates = find_apps_by_name(tenant, app)
    if not candidates and default_store().get(tenant, app) is not None:
        candidates = [app]
    visible = [app_id for app_id in candidates if principal is not None and principal.sees_app(app_id)]
    if not visible:
        raise InvalidParameter("app", UNKNOWN_APP)
    return visible[0]


def run(context: ReportContext) -> DaysResult:
    # Imported when the report runs: the catalogue (GET /reports) imports this module too.
    from fleetreport.rollup.group_counts import GroupCounts, GroupFilter
    from fleetreport.settings import get_settings
    from fleetreport.storage.aws import table

    params = context.params
    app_id = resolve_app(context.tenant, context.principal, params.text("app") or "")
    settings = get_settings()
    counts = GroupCounts(table(settings.groups_table), table(settings.rollups_table), context.tenant, app_id)
    zone = params.zone
    today = context.now.astimezone(zone).date()
    first, last = requested_days(params, today)
    if first is None:
        first_hour = counts.first_hour()
        if first_hour is None:
            return DaysResult([])
        first = _local_day(date.fromisoformat(first_hour[0]), int(first_hour[1]), zone)
    last = last or today
    if first > last:
        return DaysResult([])
    matcher = GroupFilter(
        type=params.text("type"),
        version=params.text("version"),
        channel=params.text("channel"),
        platform=params.text("platform"),
        arch=params.text("arch"),
        reason=params.text("reason"),
    )
    hourly = counts.hourly(_utc_day(first, zone), _utc_day(last + timedelta(days=1), zone), matcher)
    return DaysResult(_by_local_day(hourly, first, last, zone))


def _by_local_day(
    hourly: dict[Hour, Counter[str]], first: date, last: date, zone: tzinfo
) -> list[tuple[str, dict[str, int]]]:
    days: dict[date, Counter[str]] = {}
    for (day, hour), per_type in hourly.items():
        local = _local_day(date.fromisoformat(day), int(hour), zone)
        if first <= local <= last:
            days.setdefault(local, Counter()).update(per_type)
    result = []
    day = first
    while day <= last:
        per_type = days.get(day, Counter())
        result.append(
            (day_key(day, zone), {kind: count for kind, count in sorted(per_type.items()) if count > 0})
        )
        day += timedelta(days=1)
    return result


def _local_day(day: date, hour: int, zone: tzinfo) -> date:
    """The local day of the UTC hour starting at `day` `hour`:00."""
    return datetime.combine(day, time(hour), tzinfo=UTC).astimezone(zone).date()


def _utc_day(day: date, zone: tzinfo) -> str:
    """The UTC day in which local `day` starts."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).date().isoformat()


DEFINITION = ReportDefinition(
    key="group_trend",
    description="Lists the per-day counts of ingested reports for one app, by event type",
    parameters=PARAMETERS,
    run=run,
    sort_fields={"date": lambda entry: entry[0]},
)
