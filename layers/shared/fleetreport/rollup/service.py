"""The rollup entry point the function and the CLI share: payload in, summary out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fleetreport.compliance.timefmt import utc_now
from fleetreport.rollup import fanout
from fleetreport.rollup.days import last_closed_day
from fleetreport.rollup.request import InvalidRollupRequest, parse_request
from fleetreport.rollup.runner import Progress, Rollup
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

# Stop starting new days when less than this is left of the invocation (or a quarter of what there
# was at the start, for short timeouts); the next run continues where this one stopped.
SAFETY_MARGIN_MS = 60_000


def run_rollup(
    event: Any,
    *,
    remaining_ms: Callable[[], int] | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    items_limit: int | None = None,
) -> dict[str, Any]:
    """Roll up what `event` asks for; a payload it cannot read answers `{"error": ...}` (no retry helps).
    `items_limit` bounds the status-day items read (a fan-out unit); past it the run is unfinished."""
    try:
        request = parse_request(event)
    except InvalidRollupRequest as error:
        return {"error": str(error)}
    settings = get_settings()
    rollup = Rollup(
        compliance=table(settings.compliance_table),
        rollups=table(settings.rollups_table),
        groups=table(settings.groups_table),
        apps=table(settings.apps_table),
        now=now or utc_now(),
        out_of_time=_deadline(remaining_ms),
        progress=progress,
        items_limit=items_limit,
    )
    return rollup.run(request)


def rollup_tenants() -> list[str]:
    """Every tenant with compliance data or apps (the two registries: one Query each)."""
    return _rollup(utc_now()).tenants()


def dispatch_rollup(event: Any, queue_url: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The scheduled (or a fleet-wide backfill) run on AWS: one unit per tenant onto the rollup queue,
    for the workers (rollup/fanout.py); answers `{"error"}` for a payload no worker could read."""
    try:
        parse_request(event)
    except InvalidRollupRequest as error:
        return {"error": str(error)}
    now = now or utc_now()
    tenants = rollup_tenants()
    dispatched = fanout.enqueue(queue_url, fanout.units_for(event, tenants))
    settings = get_settings()
    lag = fanout.lag_hours(table(settings.rollups_table), tenants, now)
    return {"closed_day": last_closed_day(now), "dispatched": dispatched, "lag_hours": lag}


def _rollup(now: datetime) -> Rollup:
    settings = get_settings()
    return Rollup(
        compliance=table(settings.compliance_table),
        rollups=table(settings.rollups_table),
        groups=table(settings.groups_table),
        apps=table(settings.apps_table),
        now=now,
    )


def _deadline(remaining_ms: Callable[[], int] | None) -> Callable[[], bool]:
    if remaining_ms is None:
        return lambda: False
    margin = min(SAFETY_MARGIN_MS, remaining_ms() // 4)
    return lambda: remaining_ms() < margin
