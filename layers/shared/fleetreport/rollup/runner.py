"""Catch-up and backfill across tenants: plan every tenant's days, then roll them in order.

A tenant's status days run from the first day not rolled (or the first dirty one, or a requested
re-roll) through the last closed day — or through the last day already rolled, when a re-roll starts
before it, so later items stay consistent with the recomputed ones. Progress is saved after every
day, so a run cut short (crash, timeout) is completed by the next one and the totals stay exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.apps.store import TENANTS_PK as APPS_TENANTS_PK
from fleetreport.compliance import keys as compliance_keys
from fleetreport.rollup import runs
from fleetreport.rollup.days import day_range, last_closed_day, next_day
from fleetreport.rollup.first_scan import scan_first_day
from fleetreport.rollup.groups import (
    BY_OWNER_INDEX,
    GroupCounters,
    groups_seen_since,
    remove_counters,
    rows_by_app,
    write_day,
)
from fleetreport.rollup.names import projection
from fleetreport.rollup.request import RollupRequest
from fleetreport.rollup.slices import ItemsBudget
from fleetreport.rollup.status import StatusRollup
from fleetreport.storage.pages import query_items

Progress = Callable[[int, int, str], None]  # (days done, days planned, "tenant day")


@dataclass
class TenantPlan:
    tenant: str
    run: runs.RunState
    status_days: list[str]
    group_days: list[str]
    groups: list[GroupCounters] | None  # read when the tenant's turn comes (first run: while planning)
    # A requested re-roll of (first, ...) may leave days in this span as stored once they are consistent.
    may_keep: tuple[str, str] | None = None
    scanning: bool = False  # the first rollup's walk over the consumers is not finished

    @property
    def size(self) -> int:
        return len(self.status_days) + len(self.group_days)


@dataclass
class TenantSummary:
    tenant: str
    status_days: list[str] = field(default_factory=list)
    changes: int = 0
    status_items: int = 0
    group_days: list[str] = field(default_factory=list)
    group_items: int = 0
    groups_cleaned: int = 0
    complete: bool = True

    def as_dict(self) -> dict[str, Any]:
        def span(days: list[str]) -> dict[str, Any]:
            return {"days": len(days), "from": days[0] if days else None, "to": days[-1] if days else None}

        return {
            "tenant": self.tenant,
            "status": {**span(self.status_days), "changes": self.changes, "items": self.status_items},
            "groups": {**span(self.group_days), "items": self.group_items, "cleaned": self.groups_cleaned},
            "complete": self.complete,
        }


class Rollup:
    """One invocation's work. `out_of_time()` is checked before each day (Lambda's remaining time)."""

    def __init__(
        self,
        *,
        compliance: Any,
        rollups: Any,
        groups: Any,
        apps: Any,
        now: datetime,
        out_of_time: Callable[[], bool] = lambda: False,
        progress: Progress | None = None,
        items_limit: int | None = None,
    ) -> None:
        self.compliance = compliance
        self.rollups = rollups
        self.groups = groups
        self.apps = apps
        self.closed = last_closed_day(now)
        self.out_of_time = out_of_time
        # Status-day items this invocation may read (a worker's unit, SPEC §9); None: no bound.
        self.budget = ItemsBudget(items_limit) if items_limit is not None else None
        self.progress = progress or (lambda done, total, label: None)
        self._done = 0
        self._total = 0
        self._walked = 0  # items read by first-rollup walks that finished in this invocation
        self._walk_stopped = False  # a walk stopped at the budget: its continuation goes on

    def run(self, request: RollupRequest) -> dict[str, Any]:
        tenants = list(request.tenants) if request.tenants is not None else self.tenants()
        plans = [self.plan(tenant, request) for tenant in tenants]
        self._done, self._total = 0, sum(plan.size for plan in plans)
        summaries = [self.execute(plan) for plan in plans]
        return {
            "closed_day": self.closed,
            "complete": all(summary.complete for summary in summaries),
            # a day written or a part of one computed: an unfinished unit may go on at once
            "progressed": self._done > 0
            or self._walk_stopped
            or (self.budget is not None and self.budget.read > self._walked),
            "tenants": [summary.as_dict() for summary in summaries],
        }

    # ------------------------------------------------------------------ planning
    def tenants(self) -> list[str]:
        """Every tenant with compliance data or apps: the two registries (one Query each, no Scan)."""
        found = {item["sk"] for item in _query_all(self.compliance, Key("pk").eq(compliance_keys.TENANTS_PK))}
        found.update(item["sk"] for item in _query_all(self.apps, Key("pk").eq(APPS_TENANTS_PK)))
        return sorted(found)

    def plan(self, tenant: str, request: RollupRequest) -> TenantPlan:
        last = self.closed if request.last is None else min(request.last, self.closed)
        run = runs.read_run(self.rollups, tenant)
        may_keep = None
        if request.first is not None and run.last_day is not None and request.first <= run.last_day:
            if run.dirty_from is None and last < run.last_day:
                may_keep = (last, run.last_day)
            runs.mark_dirty(self.rollups, tenant, request.first)  # a crash mid-re-roll leaves it marked
            run = runs.read_run(self.rollups, tenant)
        start = next_day(run.last_day) if run.last_day else run.first_day
        if start is None and run.last_day is None:
            finished, start = self._first_day(tenant, last)
            if not finished:  # the walk goes on in the next unit; nothing else is planned before it ends
                return TenantPlan(tenant, run, [], [], [], scanning=True)
        if start is not None and run.dirty_from is not None:
            start = min(start, run.dirty_from)
        status_end = max(last, run.last_day) if run.last_day else last
        status_days = list(day_range(start, status_end)) if start else []
        groups, group_days = self._plan_groups(tenant, run, last)
        return TenantPlan(tenant, run, status_days, group_days, groups, may_keep)

    def _first_day(self, tenant: str, last: str) -> tuple[bool, str | None]:
        """The first rollup's first day, kept in the run state once found: a walk over every consumer,
        budgeted and checkpointed (rollup/first_scan.py). (False, None): the walk stopped part-way."""
        finished, day, read = scan_first_day(self.compliance, self.rollups, tenant, last, self.budget)
        if finished:
            self._walked += read  # a finished walk leaves `first_day`, not work to continue
        else:
            self._walk_stopped = True
        if finished and day is not None:
            runs.remember_first_day(self.rollups, tenant, day)
            # a walk that spent the unit's budget stops the unit: its continuation starts on the days
            # (failing the record would make them wait for the visibility timeout and spend a receive)
            self._walk_stopped = self.budget is not None and not self.budget.room_for_another()
        return finished, day

    def _plan_groups(
        self, tenant: str, run: runs.RunState, last: str
    ) -> tuple[list[GroupCounters] | None, list[str]]:
        if run.groups_day is None:
            groups = groups_seen_since(self.groups, BY_OWNER_INDEX, ("owner", tenant), None)
            counted = [day for group in groups for day in group.hours if day <= last]
            return groups, list(day_range(min(counted), last)) if counted else []
        return None, list(day_range(next_day(run.groups_day), last))

    def _groups_of(self, plan: TenantPlan) -> list[GroupCounters]:
        """The tenant's groups that may hold counters of days not rolled or not cleaned yet."""
        if plan.groups is None:
            run = plan.run
            start = next_day(run.groups_day) if run.groups_day else None
            # Counters of rolled days may still sit on groups last seen since the last completed cleanup.
            since = min(start, next_day(run.groups_clean)) if start and run.groups_clean else None
            plan.groups = groups_seen_since(self.groups, BY_OWNER_INDEX, ("owner", plan.tenant), since)
        return plan.groups

    # ------------------------------------------------------------------ execution
    def execute(self, plan: TenantPlan) -> TenantSummary:
        summary = TenantSummary(plan.tenant)
        if plan.scanning:
            summary.complete = False
            return summary
        status = StatusRollup(self.compliance, self.rollups, plan.tenant, run=plan.run, budget=self.budget)
        if self._roll_status(plan, status, summary) and self._roll_groups(plan, summary):
            self._clean(plan, summary)
        plan.groups = None  # one tenant's groups in memory at a time
        return summary

    def _tick(self, label: str) -> None:
        self._done += 1
        self.progress(self._done, self._total, label)

    def _roll_groups(self, plan: TenantPlan, summary: TenantSummary) -> bool:
        """Write each planned day's group items, then mark the day final; False when out of time."""
        for index, day in enumerate(plan.group_days):
            if self.out_of_time():
                summary.complete = False
                return False
            written = 0
            for app_id, rows in rows_by_app(self._groups_of(plan), day).items():
                written += write_day(self.rollups, app_id, day, rows)
            summary.group_items += written
            if written or index == len(plan.group_days) - 1:  # a rerun redoes quiet days cheaply
                runs.advance(self.rollups, plan.tenant, "groups_day", day)
            summary.group_days.append(day)
            self._tick(f"{plan.tenant} groups {day}")
        return True

    def _roll_status(self, plan: TenantPlan, status: StatusRollup, summary: TenantSummary) -> bool:
        """Roll the planned status days; False when out of time (progress is saved as it goes)."""
        keeping = False
        for index, day in enumerate(plan.status_days):
            rerolling = plan.run.last_day is not None and day <= plan.run.last_day
            if plan.may_keep and plan.may_keep[0] < day <= plan.may_keep[1] and (keeping or status.converged):
                keeping = True  # the re-roll changed nothing that later stored days depend on
                self._tick(f"{plan.tenant} status {day} (unchanged)")
                continue
            if keeping:
                status.skipped()
                keeping = False
            if self.out_of_time():
                summary.complete = False
                return False
            outcome = status.roll_day(day, rerolling=rerolling)
            if outcome is None:  # out of items: the day's parts so far are saved for the next unit
                summary.complete = False
                return False
            if outcome.changes or index == len(plan.status_days) - 1:
                runs.advance(self.rollups, plan.tenant, "last_day", day)
            if plan.run.dirty_from is not None and plan.run.dirty_from <= day:
                runs.move_dirty_past(self.rollups, plan.tenant, plan.run.dirty_version, day)
            summary.status_days.append(day)
            summary.changes += outcome.changes
            summary.status_items += outcome.items
            self._tick(f"{plan.tenant} status {day}")
        if plan.run.dirty_from is not None:
            runs.clear_dirty(self.rollups, plan.tenant, plan.run.dirty_version)
        return True

    def _clean(self, plan: TenantPlan, summary: TenantSummary) -> None:
        """Remove hour counters of final days from the groups — only after their items are written."""
        through = max(filter(None, [plan.run.groups_day, *summary.group_days]), default=None)
        if through is None or (plan.run.groups_clean is not None and through <= plan.run.groups_clean):
            return  # nothing rolled since the last completed cleanup: no group needs reading
        for group in self._groups_of(plan):
            if self.out_of_time():
                summary.complete = False
                return
            summary.groups_cleaned += remove_counters(self.groups, group, through)
        runs.advance(self.rollups, plan.tenant, "groups_clean", through)


def _query_all(table: Any, condition: Any, *attributes: str) -> list[dict[str, Any]]:
    request: dict[str, Any] = {"KeyConditionExpression": condition}
    if attributes:
        request.update(projection(*attributes))
    return list(query_items(table, request))
