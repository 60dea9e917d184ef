"""Exact release counts from the ReleasesTable stream (SPEC §12; docs/releases.md, docs/decisions.md).

Each device item change is turned into increments by comparing its old and new image: a new item is
a new device for the version (lifetime `active`), a new `last_day` its first activity of that day
(`a_<yyyymmdd>`), a new `crash_day` its first crash of that day (`c_<yyyymmdd>`), a first
`first_crash_day` a newly crashed device (lifetime `crashed`). The device item's conditional write
happens once per device-day, so the increments are exact.

A batch's increments are summed per count item and applied with ONE UpdateItem per item, up to 99
items to a transaction with a single once-only marker named by the batch's records and the chunk's
index (ADR 28): a redelivered batch (Lambda retries the whole batch: no bisecting, no partial answers,
template.yaml) finds the markers of the chunks that committed and adds nothing twice. Count items are
one per (app, slice, version), so no partition key sees more than one write per item per batch,
however many devices move; a batch pays one marker (2 WCU), not one per count item.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from fleetreport.groups.models import format_time
from fleetreport.releases.keys import counts_key, slices_of
from fleetreport.storage.aws import dynamodb
from fleetreport.storage.once import marker_put, transact_once

KEEP_DAYS = 90  # the reads ask for at most 90 days; older a_/c_/r_ attributes are dropped as items change
_DROP_SPAN = 7
PER_TRANSACTION = 99  # TransactWriteItems takes 100 actions: the marker and 99 count items


def day_attr(kind: str, day: str) -> str:
    """`a_20260520` (active devices that day) or `c_20260520` (crashed devices that day)."""
    return f"{kind}_{day.replace('-', '')}"


@dataclass
class Increment:
    """What one batch adds to one count item."""

    owner: str
    app_id: str
    version: str
    adds: dict[str, int] = field(default_factory=dict)
    first_day: str = ""
    last_day: str = ""
    event_ids: list[str] = field(default_factory=list)

    def add(self, attr: str, n: int = 1) -> None:
        self.adds[attr] = self.adds.get(attr, 0) + n


def changes_of(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, int]:
    """How one device item change moves its counts ({} for a TTL removal or a no-op rewrite)."""
    if not new:
        return {}  # a forgotten device leaves the counts it made
    before = old or {}
    delta: dict[str, int] = {}
    if not before:
        delta["active"] = 1
    day = str(new.get("last_day") or "")
    if day and day != before.get("last_day"):
        delta[day_attr("a", day)] = 1
    crash_day = str(new.get("crash_day") or "")
    if crash_day and crash_day != before.get("crash_day"):
        delta[day_attr("c", crash_day)] = 1
    if new.get("first_crash_day") and not before.get("first_crash_day"):
        delta["crashed"] = 1
    return delta


def increments_of(
    records: Iterable[tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> dict[tuple[str, str], Increment]:
    """Sum the changes of (event id, old image, new image) records per count item (every slice)."""
    summed: dict[tuple[str, str], Increment] = {}
    for event_id, old, new in records:
        if not new or not str(new.get("pk", "")).startswith("DV#"):
            continue
        delta = changes_of(old, new)
        if not delta:
            continue
        app_id, version = str(new["app_id"]), str(new["version"])
        day = str(new.get("last_day") or "")
        for slice_name in slices_of(str(new.get("channel", "")), str(new.get("platform", ""))):
            key = counts_key(app_id, slice_name, version)
            inc = summed.setdefault(key, Increment(str(new.get("owner", "")), app_id, version))
            for attr, n in delta.items():
                inc.add(attr, n)
            first = str(new.get("first_day") or day)
            inc.first_day = min(inc.first_day or first, first)
            inc.last_day = max(inc.last_day, day)
            inc.event_ids.append(event_id)
    return summed


def apply_increments(
    counts_table: str, markers_table: str, summed: Mapping[tuple[str, str], Increment], now: datetime
) -> tuple[int, int]:
    """Apply each item's sum once; returns (items updated, items already applied by a delivery before).

    The items go in key order, `PER_TRANSACTION` to a transaction with ONE marker named by the batch's
    records and the chunk's index: a redelivered batch (the same records, so the same items in the
    same order) finds each applied chunk's marker and applies only the chunks that did not commit."""
    keys = sorted(summed)
    batch_id = batch_id_of(summed.values())
    applied = duplicates = 0
    for index, start in enumerate(range(0, len(keys), PER_TRANSACTION)):
        chunk = keys[start : start + PER_TRANSACTION]
        updates = [_update(counts_table, key, summed[key], now) for key in chunk]
        if transact_once(
            dynamodb().meta.client,
            [marker_put(markers_table, _marker(batch_id, index, chunk), now), *updates],
        ):
            applied += len(chunk)
        else:
            duplicates += len(chunk)
    return applied, duplicates


def batch_id_of(increments: Iterable[Increment]) -> str:
    """Names a batch by its counted records (the same records on a retry give the same name)."""
    event_ids = sorted({event_id for inc in increments for event_id in inc.event_ids})
    return hashlib.sha256("|".join(event_ids).encode()).hexdigest()


def _marker(batch_id: str, index: int, chunk: list[tuple[str, str]]) -> str:
    items = "|".join(f"{pk}#{sk}" for pk, sk in chunk)
    return "release#" + hashlib.sha256(f"{batch_id}|{index}|{items}".encode()).hexdigest()


def _stale_days(last_day: str) -> list[str]:
    newest = date.fromisoformat(last_day)
    return [(newest - timedelta(days=KEEP_DAYS + n)).isoformat() for n in range(1, _DROP_SPAN + 1)]


def _update(counts_table: str, key: tuple[str, str], inc: Increment, now: datetime) -> dict[str, Any]:
    """The ADD of one item's sum (and the REMOVE of its day attributes past KEEP_DAYS)."""
    names: dict[str, str] = {"#owner": "owner", "#version": "version"}
    values: dict[str, Any] = {
        ":owner": inc.owner,
        ":version": inc.version,
        ":app": inc.app_id,
        ":first": inc.first_day,
        ":now": format_time(now),
    }
    adds = []
    for i, (attr, n) in enumerate(sorted(inc.adds.items())):
        names[f"#a{i}"] = attr
        values[f":a{i}"] = n
        adds.append(f"#a{i} :a{i}")
    drops = (
        [day_attr(kind, day) for day in _stale_days(inc.last_day) for kind in ("a", "c", "r")]
        if inc.last_day
        else []
    )
    for i, attr in enumerate(drops):
        names[f"#d{i}"] = attr
    expression = "SET #owner = :owner, #version = :version, app_id = :app, "
    expression += "first_seen = if_not_exists(first_seen, :first), updated_at = :now ADD " + ", ".join(adds)
    if drops:
        expression += " REMOVE " + ", ".join(f"#d{i}" for i in range(len(drops)))
    return {
        "Update": {
            "TableName": counts_table,
            "Key": {"pk": key[0], "sk": key[1]},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }
