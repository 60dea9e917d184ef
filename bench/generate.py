"""Deterministic seed data for the moto tables (loaded in bulk by `bench.store.BenchStore.load`).

Every entity draws from its own `random.Random(f"{seed}:{kind}:{index}")`, so a data set can grow in
place (the first 1k groups of the 100k table are the 1k table) and two runs on the same day write
the same items. Items have exactly the shape the real code writes (docs/data-model.md); the group
hash comes from the real `Dimensions`, apps are created by the real `AppStore`.

Only what a measured path can read is written: the groups of every app with their stable attributes
and today's hour counters; the group-count rollups of the measured app. Compliance data lives in
`bench.compliance_data`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetreport.apps.models import NewApp
from fleetreport.apps.store import AppStore
from fleetreport.groups.models import Dimensions, format_time
from fleetreport.rollup.groups import DIMENSIONS, GroupCounters, day_write, rows_by_app

SEED = 20260520
YEAR_DAYS = 365
VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.2.1", "2.0.0", "2.0.1", "2.1.0")
CHANNELS = (("stable", 6), ("beta", 3), ("nightly", 1))
PLATFORMS = (("windows", 6), ("linux", 3), ("macos", 1))
ARCHES = (("amd64", 7), ("arm64", 3))
TYPES = (
    ("crash", 5),
    ("update_failure", 2),
    ("startup_failure", 1),
    ("install_failure", 1),
    ("rollback_failure", 1),
)
REASONS = ("checksum_mismatch", "timeout", "segfault", "disk_full", "signature_invalid", "oom", "abort")
STATUSES = (("open", 8), ("resolved", 1), ("muted", 1))


def weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def day_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Clock:
    """The run's "now" and the year of data that ends with it (364 closed days and today)."""

    now: datetime

    @property
    def today(self) -> datetime:
        return day_start(self.now)

    @property
    def start(self) -> datetime:
        return self.today - timedelta(days=YEAR_DAYS - 1)

    def instant(self, rng: random.Random, earliest: datetime | None = None) -> datetime:
        """A uniformly random instant between `earliest` (default: the start of the year) and now."""
        low = (earliest or self.start).timestamp()
        high = self.now.timestamp() - 1
        return datetime.fromtimestamp(low + rng.random() * max(0.0, high - low), UTC).replace(
            microsecond=rng.randrange(1000) * 1000
        )

    def day_key(self, moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d")


# ---------------------------------------------------------------------- apps and run state
def run_state(tenant: str, clock: Clock) -> dict[str, Any]:
    """The RUN item of a tenant whose daily rollup has run for every day through yesterday (status
    rolled, group items written and their hour counters removed): the steady state of a deployment."""
    yesterday = clock.day_key(clock.today - timedelta(days=1))
    return {
        "pk": "RUN",
        "sk": tenant,
        "last_day": yesterday,
        "groups_day": yesterday,
        "groups_clean": yesterday,
    }


def tenants_with_apps(apps_table: Any) -> set[str]:
    """Every tenant owning an app (a Scan of the small AppsTable, outside any measurement)."""
    found: set[str] = set()
    request: dict[str, Any] = {}
    while True:
        page = apps_table.scan(**request)
        found.update(item["pk"][2:] for item in page.get("Items", []) if str(item["sk"]).startswith("APP#"))
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def create_apps(
    apps_table: Any, tenant: str, names: list[str], reports: bool = False
) -> list[tuple[str, str]]:
    """Apps made by the real AppStore; returns (app_id, report key plaintext or "")."""
    store = AppStore(apps_table)
    made = []
    for name in names:
        app, key = store.create(tenant, NewApp(name=name, reports=reports))
        made.append((app.app_id, key.plaintext if key else ""))
    return made


# ---------------------------------------------------------------------- groups
@dataclass(frozen=True)
class AppRef:
    tenant: str
    app_id: str
    name: str


@dataclass
class GroupPlan:
    """One report group and the instants of the reports it counted."""

    app: AppRef
    dims: Dimensions
    reports: list[datetime]
    status: str

    def item(self, clock: Clock) -> dict[str, Any]:
        first, last = self.reports[0], self.reports[-1]
        item: dict[str, Any] = {
            "app_id": self.app.app_id,
            "group_hash": self.dims.group_hash,
            "owner": self.app.tenant,
            "id": f"{self.dims.group_hash[:8]}-0000-4000-8000-{self.dims.group_hash[8:20]}",
            "app_name": self.dims.name,
            "app_version": self.dims.version,
            "app_channel": self.dims.channel,
            "sys_platform": self.dims.platform,
            "sys_arch": self.dims.arch,
            "event_type": self.dims.type,
            "event_reason": self.dims.reason,
            "count": len(self.reports),
            "first_seen": format_time(first),
            "created_at": format_time(first),
            "last_seen": format_time(last),
            "updated_at": format_time(last),
            "details_stored": 0,
            "details_rejected": 0,
            "status": self.status,
            "app_status": f"{self.app.app_id}#{self.status}",
        }
        if self.status == "resolved":
            item["resolved_at"] = format_time(last + timedelta(minutes=5))
            item["resolved_by"] = "bench-admin"
        # Hours of closed days were folded into rollups (and removed); today's are still on the item.
        for moment in self.reports:
            if moment >= clock.today:
                hour = f"h{moment:%Y%m%d%H}"
                item[hour] = item.get(hour, 0) + 1
        return item

    def counter_dims(self) -> tuple[str, ...]:
        """The dimensions in the order of the rollup's rows (`fleetreport.rollup.groups.DIMENSIONS`)."""
        values = {
            "event_type": self.dims.type,
            "app_version": self.dims.version,
            "app_channel": self.dims.channel,
            "sys_platform": self.dims.platform,
            "sys_arch": self.dims.arch,
            "event_reason": self.dims.reason,
        }
        return tuple(values[name] for name in DIMENSIONS)


def plan_group(app: AppRef, index: int, clock: Clock, seed: int = SEED) -> GroupPlan:
    """The index-th group of an app: skewed dimensions (filters match a realistic share), 1-20 reports."""
    # Keyed by the app's tenant and name, not its generated id: the same sizes plan the same groups
    # in every run (a smoke run's filtered view always has the same number of matches).
    rng = random.Random(f"{seed}:group:{app.tenant}:{app.name}:{index}")
    dims = Dimensions(
        name=app.name,
        version=rng.choice(VERSIONS),
        channel=weighted(rng, CHANNELS),
        platform=weighted(rng, PLATFORMS),
        arch=weighted(rng, ARCHES),
        type=weighted(rng, TYPES),
        reason=f"{rng.choice(REASONS)}.{index}",  # the index keeps every group of the app distinct
    )
    count = min(20, 1 + int(rng.paretovariate(1.2)))
    first = clock.instant(rng)
    reports = sorted([first, *(clock.instant(rng, earliest=first) for _ in range(count - 1))])
    return GroupPlan(app, dims, reports, weighted(rng, STATUSES))


def group_counts(plans: Iterable[GroupPlan], clock: Clock) -> list[dict[str, Any]]:
    """The status counts items the aggregates function keeps (`GC#{app_id}`) for these groups."""
    from fleetreport.aggregates.counts import COUNTS_SK, counts_pk

    per_app: dict[AppRef, Counter[str]] = {}
    for plan in plans:
        per_app.setdefault(plan.app, Counter())[plan.status] += 1
    return [
        {
            "pk": counts_pk(app.app_id),
            "sk": COUNTS_SK,
            "owner": app.tenant,
            "updated_at": format_time(clock.now),
            **{status: counts.get(status, 0) for status in ("open", "resolved", "muted")},
        }
        for app, counts in per_app.items()
    ]


def group_plans(app: AppRef, count: int, clock: Clock, start: int = 0) -> list[GroupPlan]:
    return [plan_group(app, index, clock) for index in range(start, start + count)]


def group_trend_rollups(app_id: str, plans: list[GroupPlan], clock: Clock) -> list[dict[str, Any]]:
    """`GT#{app_id}` month items (and parts) of the closed days with reports, shaped by `day_write`."""
    counters = []
    for plan in plans:
        group = GroupCounters(app_id, plan.dims.group_hash, plan.counter_dims())
        for moment in plan.reports:
            if moment < clock.today:
                hours = group.hours.setdefault(clock.day_key(moment), {})
                hours[f"{moment:%H}"] = hours.get(f"{moment:%H}", 0) + 1
        counters.append(group)
    items: dict[tuple[str, str], dict[str, Any]] = {}
    days = sorted({day for group in counters for day in group.hours})
    for day in days:
        for app, rows in rows_by_app(counters, day).items():
            write = day_write(app, day, rows)
            for part in write.parts:
                items[(part["pk"], part["sk"])] = part
            month = items.setdefault((write.month_key["pk"], write.month_key["sk"]), dict(write.month_key))
            month.update(write.attributes)
    return list(items.values())
