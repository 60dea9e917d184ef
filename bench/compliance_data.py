"""Deterministic compliance data: consumers with a year of snapshots, and the rollups of that year.

A consumer registers in the first half of the year (its first snapshot comes with its registration),
reports `snapshots` times in all, and one in twenty is deleted later. Items follow docs/data-model.md:
the consumer item with its maintained latest status, one item per snapshot (with its gzip document),
the per-day change log, the tenants registry, and in RollupsTable the `ST#` status counts of every
closed day (computed here by sweeping the same changes the rollup reads) and the `RUN` marker saying
the rollup is done through yesterday.

The change log is written only for the days a scenario reads it (today, still open, and yesterday,
which the rollup scenario rolls up again): other days' log partitions are never read once rolled up,
and leaving them out halves the load time without changing any measured cost.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetreport.groups.models import format_time

from bench.generate import SEED, YEAR_DAYS, Clock, weighted

STATUSES = (("valid", 7), ("invalid", 2), ("partial", 1))
PRODUCTS = (
    ("RH00001", "Red Hat Enterprise Linux Server, Premium", "Red Hat Enterprise Linux Server"),
    ("RH00004", "Red Hat Enterprise Linux Workstation", "Red Hat Enterprise Linux Workstation"),
    ("MCT2887", "Red Hat Satellite", "Red Hat Satellite Capsule"),
)
QUARTER_HOURS = [f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in range(15, 24 * 60, 15)]


@dataclass
class ConsumerPlan:
    index: int
    uuid: str
    owner_key: str
    created: datetime
    deleted: datetime | None
    snapshots: list[tuple[datetime, str, str]]  # (instant, status, event id), oldest first
    product: tuple[str, str, str]
    managed: bool

    def changes(self) -> Iterator[tuple[datetime, int, str, str]]:
        """(instant, order within the instant, kind, status) as the change log records them."""
        yield self.created, 0, "created", ""
        for moment, status, _ in self.snapshots:
            yield moment, 1, "snapshot", status
        if self.deleted is not None:
            yield self.deleted, 2, "deleted", ""


def plan_consumer(tenant: str, index: int, clock: Clock, snapshots: int, owners: int) -> ConsumerPlan:
    rng = random.Random(f"{SEED}:consumer:{tenant}:{index}")
    created = clock.start + timedelta(seconds=rng.random() * YEAR_DAYS * 86400 / 2)
    created = created.replace(microsecond=rng.randrange(1000) * 1000)
    moments = sorted([created, *(clock.instant(rng, earliest=created) for _ in range(snapshots - 1))])
    deleted = None
    if rng.random() < 0.05:
        deleted = clock.instant(rng, earliest=moments[-1])
    plans = [
        (moment, weighted(rng, STATUSES), str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        for moment in moments
    ]
    return ConsumerPlan(
        index=index,
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        owner_key=f"org-{index % owners:02d}",
        created=created,
        deleted=deleted,
        snapshots=plans,
        product=rng.choice(PRODUCTS),
        managed=rng.random() < 0.3,
    )


# ---------------------------------------------------------------------- ComplianceTable items
def _doc(plan: ConsumerPlan, moment: datetime, status: str) -> bytes:
    sku, subscription, product = plan.product
    document = {
        "consumer": {
            "uuid": plan.uuid,
            "name": f"host-{plan.index:05d}.example.com",
            "owner": {"key": plan.owner_key},
        },
        "entitlements": [
            {"productId": sku, "productName": subscription, "providedProducts": [{"productName": product}]}
        ],
        "status": {"status": status, "date": format_time(moment), "reasons": []},
    }
    return gzip.compress(json.dumps(document, separators=(",", ":")).encode(), mtime=0)


def _status_attributes(plan: ConsumerPlan, moment: datetime, status: str) -> dict[str, Any]:
    sku, subscription, product = plan.product
    return {
        "status": status,
        "status_date": format_time(moment),
        "reasons": [] if status == "valid" else [{"key": "NOTCOVERED", "message": "Not covered"}],
        "management_enabled": plan.managed,
        "product_names": {product},
        "skus": {sku},
        "subscription_names": {subscription},
        "doc": _doc(plan, moment, status),
    }


def consumer_item(tenant: str, plan: ConsumerPlan) -> dict[str, Any]:
    latest, status, _ = plan.snapshots[-1]
    item = {
        "pk": f"T#{tenant}",
        "sk": f"C#{plan.uuid}",
        "uuid": plan.uuid,
        "name": f"host-{plan.index:05d}.example.com",
        "owner_key": plan.owner_key,
        "owner_display": f"Organisation {plan.owner_key}",
        "owner_scope": f"{tenant}#{plan.owner_key}",
        "created": format_time(plan.created),
        "last_checkin": format_time(latest),
        "facts": {"uname.machine": "x86_64", "cpu.cpu_socket(s)": "2", "virt.is_guest": "false"},
        **_status_attributes(plan, latest, status),
    }
    if plan.deleted is not None:
        item["deleted"] = format_time(plan.deleted)
    return item


def snapshot_items(tenant: str, plan: ConsumerPlan) -> Iterator[dict[str, Any]]:
    for moment, status, event_id in plan.snapshots:
        yield {
            "pk": f"S#{tenant}#{plan.uuid}",
            "sk": f"{format_time(moment)}#{event_id}",
            "owner_key": plan.owner_key,
            "last_checkin": format_time(moment),
            **_status_attributes(plan, moment, status),
        }


def change_log_items(tenant: str, plan: ConsumerPlan, days: set[str]) -> Iterator[dict[str, Any]]:
    for moment, _, kind, status in plan.changes():
        instant = format_time(moment)
        if instant[:10] not in days:
            continue
        item = {
            "pk": f"L#{tenant}#{instant[:10]}",
            "sk": f"{instant}#{plan.uuid}#{kind}",
            "uuid": plan.uuid,
            "kind": kind,
            "owner_key": plan.owner_key,
        }
        if kind == "snapshot":
            item["status"] = status
        yield item


def compliance_items(tenant: str, plans: list[ConsumerPlan], log_days: set[str]) -> Iterator[dict[str, Any]]:
    yield {"pk": "TENANTS", "sk": tenant}
    for plan in plans:
        yield consumer_item(tenant, plan)
        yield from snapshot_items(tenant, plan)
        yield from change_log_items(tenant, plan, log_days)


# ---------------------------------------------------------------------- RollupsTable items
@dataclass
class _Sweep:
    """Counts per scope (`*` and each owner key) as the changes are applied in time order."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    status_of: dict[str, str] = field(default_factory=dict)

    def apply(self, plan: ConsumerPlan, kind: str, status: str) -> tuple[str, str]:
        scopes = ("*", plan.owner_key)
        before = self.status_of.get(plan.uuid)
        after = None if kind == "deleted" else (status if kind == "snapshot" else before)
        for scope in scopes:
            counts = self.counts.setdefault(scope, Counter())
            if before:
                counts[before] -= 1
            if after:
                counts[after] += 1
        if after:
            self.status_of[plan.uuid] = after
        else:
            self.status_of.pop(plan.uuid, None)
        return scopes

    def of(self, scope: str) -> dict[str, int]:
        return {status: n for status, n in sorted(self.counts.get(scope, Counter()).items()) if n > 0}


def status_rollups(tenant: str, plans: list[ConsumerPlan], clock: Clock) -> list[dict[str, Any]]:
    """`ST#{tenant}#{scope}` items for every closed day with changes in that scope, plus `RUN`."""
    changes = sorted(
        (
            (moment, order, kind, status, plan)
            for plan in plans
            for moment, order, kind, status in plan.changes()
        ),
        key=lambda change: (change[0], change[1], change[4].index),
    )
    sweep, items, position = _Sweep(), [], 0
    for offset in range(YEAR_DAYS - 1):  # closed days only: today is computed live
        day = clock.start + timedelta(days=offset)
        touched: set[str] = set()
        at: dict[str, dict[str, dict[str, int]]] = {}
        previous: dict[str, dict[str, int]] = {}
        for boundary in [*QUARTER_HOURS, None]:
            limit = day + (timedelta(days=1) if boundary is None else _since_midnight(boundary))
            moved: set[str] = set()
            while position < len(changes) and changes[position][0] < limit:
                _, _, kind, status, plan = changes[position]
                for scope in ("*", plan.owner_key):
                    if scope not in previous:  # the scope's counts when the day began
                        previous[scope] = sweep.of(scope)
                moved.update(sweep.apply(plan, kind, status))
                position += 1
            touched |= moved
            if boundary is not None:
                for scope in moved:
                    now_counts = sweep.of(scope)
                    if now_counts != previous[scope]:
                        at.setdefault(scope, {})[boundary] = now_counts
                        previous[scope] = now_counts
        for scope in sorted(touched):
            item: dict[str, Any] = {
                "pk": f"ST#{tenant}#{scope}",
                "sk": clock.day_key(day),
                "end": sweep.of(scope),
            }
            if at.get(scope):
                item["at"] = at[scope]
            items.append(item)
    yesterday = clock.day_key(clock.today - timedelta(days=1))
    items.append({"pk": "RUN", "sk": tenant, "last_day": yesterday})
    return items


def _since_midnight(boundary: str) -> timedelta:
    hours, minutes = boundary.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))
