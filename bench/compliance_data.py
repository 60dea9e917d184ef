"""Deterministic compliance data: consumers with a year of snapshots, and the rollups of that year.

A consumer registers in the first half of the year (its first snapshot comes with its registration),
reports `snapshots` times in all, and one in twenty is deleted later. Items follow docs/data-model.md:
the consumer item with its maintained latest status, one item per snapshot (with its gzip document),
the per-day change log, the tenants registry, and in RollupsTable the `ST#` status counts of every
closed day (computed by the rollup's own counting code from the same changes) and the `RUN` state
saying the daily rollup has run through yesterday.

The change log is written only for the days a scenario reads it (today, still open, and yesterday,
which the rollup scenario rolls up again): other days' log partitions are never read once rolled up,
and leaving them out halves the load time without changing any measured cost.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetreport.compliance import keys
from fleetreport.compliance.counts import Counted, counts_key
from fleetreport.compliance.keys import change_log_pk, change_log_sk, log_shard_of
from fleetreport.groups.models import format_time
from fleetreport.rollup.counting import Partition, deltas_at, touched_partitions
from fleetreport.rollup.days import END_LABEL, LABELS, instant_before, last_ms_before
from fleetreport.rollup.history import Change, ConsumerHistory, State
from fleetreport.rollup.keys import status_pk
from fleetreport.rollup.shard_pages import snapshot_bounds
from fleetreport.rollup.status import StatusRollup

from bench.generate import SEED, YEAR_DAYS, Clock, weighted

STATUSES = (("valid", 7), ("invalid", 2), ("partial", 1))
PRODUCTS = (
    ("RH00001", "Red Hat Enterprise Linux Server, Premium", "Red Hat Enterprise Linux Server"),
    ("RH00004", "Red Hat Enterprise Linux Workstation", "Red Hat Enterprise Linux Workstation"),
    ("MCT2887", "Red Hat Satellite", "Red Hat Satellite Capsule"),
)


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
        **keys.consumer_key(tenant, plan.uuid),
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
    item.update(_counted(plan).attributes())
    return item


def _counted(plan: ConsumerPlan) -> Counted:
    """How the events path's counts (compliance/counts.py) see the consumer after all its events."""
    counted = Counted()
    for moment, status, event_id in plan.snapshots:
        counted = counted.with_snapshot(f"{format_time(moment)}#{event_id}", status, plan.owner_key)
    return counted.with_deletion() if plan.deleted is not None else counted


def counts_items(tenant: str, plans: list[ConsumerPlan]) -> Iterator[dict[str, Any]]:
    """The tenant's counts items, as the counts stream would have left them; `future_until` when a
    generated instant lies after the wall clock."""
    per_item: dict[str | None, Counter[str]] = {None: Counter()}
    latest = ""
    for plan in plans:
        for partition, attribute in _counted(plan).counted_in():
            per_item.setdefault(partition, Counter())[attribute] += 1
        moments = [plan.created, *(moment for moment, _, _ in plan.snapshots)]
        latest = max(
            latest, *(format_time(moment) for moment in moments + ([plan.deleted] if plan.deleted else []))
        )
    for partition, counts in per_item.items():
        item: dict[str, Any] = {**counts_key(tenant, partition), **counts}
        if partition is None and latest > format_time(datetime.now(UTC)):
            item["future_until"] = latest
        yield item


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
            "pk": change_log_pk(tenant, instant[:10], log_shard_of(plan.uuid)),
            "sk": change_log_sk(instant, plan.uuid, kind),
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
    yield from counts_items(tenant, plans)


# ---------------------------------------------------------------------- RollupsTable items
def _history(plan: ConsumerPlan) -> ConsumerHistory:
    """The consumer's whole history, as the rollup would load it (state_at only looks backwards)."""
    return ConsumerHistory(
        created=format_time(plan.created),
        deleted=format_time(plan.deleted) if plan.deleted else None,
        sort_keys=[f"{format_time(moment)}#{event_id}" for moment, _, event_id in plan.snapshots],
        states=[State(status.lower(), plan.owner_key) for _, status, _ in plan.snapshots],
    )


class RollupMismatch(Exception):
    """The fast sweep and the rollup's own counting disagree about a day: generated rollups would lie."""


def status_rollups(tenant: str, plans: list[ConsumerPlan], clock: Clock) -> list[dict[str, Any]]:
    """`ST#` items of every closed day with changes, as `StatusRollup.roll_day` would write them.

    The rollup's own counting (`deltas_at`: every changed consumer at each of 96 boundaries) costs
    minutes over a year of 10k consumers, so the items come from one sweep over the changes in time
    order. The sweep is checked against the rollup's own code (`deltas_at`, `snapshot_bounds`,
    `StatusRollup._item`) on the first, middle and last day, and the rollup scenario re-rolls
    yesterday with the real function and compares; a disagreement stops the bench.
    """
    changes = sorted(
        (
            (format_time(moment), order, kind, status.lower(), plan)
            for plan in plans
            for moment, order, kind, status in plan.changes()
        ),
        key=lambda change: (change[0], change[1], change[4].index),
    )
    days = sorted({clock.day_key(clock.start + timedelta(days=n)) for n in range(YEAR_DAYS - 1)})
    by_day: dict[str, list[Any]] = {}
    for change in changes:
        if change[0][:10] in days:
            by_day.setdefault(change[0][:10], []).append(change)
    sweep = _Sweep()
    checked = {min(by_day), sorted(by_day)[len(by_day) // 2], max(by_day)} if by_day else set()
    items: list[dict[str, Any]] = []
    for day in sorted(by_day):
        day_items = sweep.roll(tenant, day, by_day[day])
        if day in checked:
            _check_against_rollup(tenant, day, by_day[day], plans, sweep, day_items)
        sweep.commit(day_items)
        items += day_items
    return items


class _Sweep:
    """Per-partition counts (None = every consumer, else an owner key) as the changes are applied."""

    def __init__(self) -> None:
        self.counts: defaultdict[Partition, Counter[str]] = defaultdict(Counter)
        self.state: dict[str, tuple[bool, str | None, str | None]] = {}  # uuid -> (exists, status, owner)
        self.ends: dict[Partition, dict[str, int]] = {}

    def of(self, partition: Partition) -> dict[str, int]:
        counts = self.counts.get(partition)
        return {status: n for status, n in sorted(counts.items()) if n > 0} if counts else {}

    def apply(self, uuid: str, kind: str, status: str, owner: str | None) -> set[Partition]:
        exists, current, current_owner = self.state.get(uuid, (False, None, None))
        before = _contributions(exists, current, current_owner)
        if kind == "created":
            exists = True
        elif kind == "deleted":
            exists = False
        else:
            current, current_owner = status, owner
        self.state[uuid] = (exists, current, current_owner)
        after = _contributions(exists, current, current_owner)
        for partition, counted in before:
            self.counts[partition][counted] -= 1
        for partition, counted in after:
            self.counts[partition][counted] += 1
        return {partition for partition, _ in before + after}

    def roll(self, tenant: str, day: str, changes: list[Any]) -> list[dict[str, Any]]:
        start: dict[Partition, dict[str, int]] = {}
        seen: dict[Partition, dict[str, dict[str, int]]] = {}  # partition -> label -> counts
        position = 0
        for label in LABELS:
            limit = last_ms_before(day, label)
            moved: set[Partition] = set()
            while position < len(changes) and changes[position][0] <= limit:
                _, _, kind, status, plan = changes[position]
                for partition in (None, plan.owner_key):
                    if partition not in start:
                        start[partition] = self.of(partition)
                moved |= self.apply(plan.uuid, kind, status, plan.owner_key)
                position += 1
            for partition in moved:
                seen.setdefault(partition, {})[label] = self.of(partition)
        touched = {p for p, labels in seen.items() if any(counts != start[p] for counts in labels.values())}
        logged = [Change(c[0], c[4].uuid, c[2], c[4].owner_key) for c in changes]
        bounds = snapshot_bounds(logged, {c[4].uuid: _history(c[4]) for c in changes})
        owners = sorted(p for p in touched | set(bounds) if p is not None)
        return [self._item(tenant, day, p, seen.get(p, {}), bounds.get(p), owners) for p in [None, *owners]]

    def _item(
        self,
        tenant: str,
        day: str,
        partition: Partition,
        seen: dict[str, dict[str, int]],
        bounds: tuple[str, str] | None,
        owners: list[str],
    ) -> dict[str, Any]:
        last = self.ends.get(partition, {})
        at: dict[str, dict[str, int]] = {}
        for label in LABELS:
            counts = seen.get(label, last)
            if label != END_LABEL and counts != last:
                at[label] = counts
            last = counts
        item: dict[str, Any] = {"pk": status_pk(tenant, partition), "sk": day, "end": last, "at": at}
        if bounds:
            item["first_snapshot"], item["last_snapshot"] = bounds
        if partition is None:
            item["owners"] = owners
        return item

    def commit(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            partition = None if item["pk"].count("#") == 1 else item["pk"].split("#", 2)[2]
            self.ends[partition] = item["end"]


def _contributions(exists: bool, status: str | None, owner: str | None) -> list[tuple[Partition, str]]:
    """Where a consumer counts (as `fleetreport.rollup.counting.contributions`)."""
    if not exists or not status:
        return []
    return [(None, status), (owner, status)] if owner else [(None, status)]


def _check_against_rollup(
    tenant: str,
    day: str,
    changes: list[Any],
    plans: list[ConsumerPlan],
    sweep: _Sweep,
    mine: list[dict[str, Any]],
) -> None:
    """Roll `day` with the rollup's own counting code from the same data and compare."""
    by_uuid = {plan.uuid: plan for plan in plans}
    logged = [Change(c[0], c[4].uuid, c[2], c[4].owner_key) for c in changes]
    histories = {change.uuid: _history(by_uuid[change.uuid]) for change in logged}
    deltas = deltas_at(
        histories.values(), instant_before(day), [last_ms_before(day, label) for label in LABELS]
    )
    bounds = snapshot_bounds(logged, histories)
    owners = sorted(p for p in touched_partitions(deltas) | set(bounds) if p is not None)
    roller = StatusRollup(compliance=None, rollups=None, tenant=tenant)
    real = []
    for partition in [None, *owners]:
        roller._ends[partition] = sweep.ends.get(partition, {})  # what previous_end would read
        item = roller._item(day, partition, deltas, bounds.get(partition))
        if partition is None:
            item["owners"] = owners
        real.append(item)
    if real != mine:
        raise RollupMismatch(f"generated status rollup of {day} differs from the rollup's own counting")
