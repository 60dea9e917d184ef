"""Rollup lag: how long the oldest closed UTC day still waiting for its rollup has been closed.

The function emits it as `RollupLagHours` after every scheduled catch-up, and the template's
RollupLagAlarm fires when it passes `RollupLagAlarmHours` (SPEC §11: closed days not rolled after N
hours) — or when no run reports it at all for a day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fleetreport.rollup.days import next_day


def rollup_lag_hours(summary: dict[str, Any], now: datetime) -> float:
    """0 when every tenant is rolled through the last closed day; else the hours since the end of
    the oldest day left behind. A tenant cut short before rolling anything counts from the end of
    the last closed day (a lower bound: the run does not say where that tenant's plan started)."""
    pending = [_first_pending_day(tenant, summary["closed_day"]) for tenant in summary["tenants"]]
    waiting = [day for day in pending if day is not None]
    if not waiting:
        return 0.0
    closed_at = datetime.combine(date.fromisoformat(min(waiting)) + timedelta(days=1), time(), UTC)
    return round(max(0.0, (now - closed_at).total_seconds() / 3600), 2)


def _first_pending_day(tenant: dict[str, Any], closed_day: str) -> str | None:
    if tenant["complete"]:
        return None
    rolled = [part["to"] for part in (tenant["status"], tenant["groups"]) if part["days"]]
    # Status days roll before group days: the part that stopped first rolled the fewest.
    return next_day(min(rolled)) if rolled else closed_day
