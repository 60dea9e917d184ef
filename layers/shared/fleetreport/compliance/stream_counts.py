"""The status counts items from ComplianceTable's stream (SPEC §9, W2; ADR 25; compliance/counts.py).

Each consumer item change (`sk` `C#…`; every other record is skipped, and the template's filter keeps
most of them away) moves the counts by the difference between its new and old counted state. Stream
records of one item arrive once each and in order, so the moves of all records telescope to the
consumers' counted states now: exact, however the events were redelivered or reordered.

A batch's moves are summed per counts item and applied in one transaction (up to `PER_TRANSACTION`
items) with a once-only marker in CountersTable named by the batch's records and the items: a
redelivered batch (the mapping retries whole batches: no bisecting, no partial answers) finds its
markers and adds nothing twice. A counts item is then written once per batch that moves it, whatever
the rate of status changes (two WCU of a transaction), far under a partition key's 300 WCU a second.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetreport.compliance import keys
from fleetreport.compliance.counts import counts_key, moves
from fleetreport.storage.once import marker_put, transact_once

PER_TRANSACTION = 99  # TransactWriteItems takes 100 actions: the marker and 99 counts items

# (tenant, owner key or None) -> {attribute: n}
Summed = dict[tuple[str, str | None], Counter[str]]


@dataclass(frozen=True)
class Applied:
    items: int  # counts items moved
    duplicates: int  # counts items a delivery before already moved
    transactions: int


def tenant_of(pk: str) -> str | None:
    """The tenant of a consumer item's partition key `T#{tenant}#C@{n}` (None for any other key)."""
    if not pk.startswith("T#") or "#C@" not in pk:
        return None
    return pk[2:].rsplit("#C@", 1)[0]


def sum_moves(
    records: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> Summed:
    """Sum the moves of (keys, old image, new image) records per counts item."""
    summed: Summed = {}
    for item_keys, old, new in records:
        tenant = tenant_of(str(item_keys.get("pk", "")))
        if tenant is None or not str(item_keys.get("sk", "")).startswith(keys.CONSUMER_PREFIX):
            continue
        for (owner_key, attribute), n in moves(dict(old or {}), dict(new or {})).items():
            summed.setdefault((tenant, owner_key), Counter())[attribute] += n
    return {place: adds for place, adds in summed.items() if any(adds.values())}


def apply_moves(
    client: Any, table: str, markers: str, batch_id: str, summed: Summed, now: datetime
) -> Applied:
    """Apply the summed moves once: a transaction per `PER_TRANSACTION` counts items, each with its
    own marker (so a retry after a partial failure applies only what is missing)."""
    places = sorted(summed, key=lambda place: (place[0], place[1] or ""))
    items = duplicates = transactions = 0
    for start in range(0, len(places), PER_TRANSACTION):
        chunk = places[start : start + PER_TRANSACTION]
        marker = _marker(batch_id, chunk)
        applied = _apply_chunk(client, table, markers, marker, [(p, summed[p]) for p in chunk], now)
        transactions += 1
        if applied:
            items += len(chunk)
        else:
            duplicates += len(chunk)
    return Applied(items, duplicates, transactions)


def batch_id_of(sequence_numbers: Iterable[str]) -> str:
    """Names a batch by its records (the same records on a retry give the same name)."""
    return hashlib.sha256("|".join(sequence_numbers).encode()).hexdigest()


def _marker(batch_id: str, chunk: list[tuple[str, str | None]]) -> str:
    places = "|".join(f"{tenant}#{owner or ''}" for tenant, owner in chunk)
    return "compliance-counts#" + hashlib.sha256(f"{batch_id}|{places}".encode()).hexdigest()


def _apply_chunk(
    client: Any,
    table: str,
    markers: str,
    marker: str,
    chunk: list[tuple[tuple[str, str | None], Counter[str]]],
    now: datetime,
) -> bool:
    """One transaction: the marker (only if absent) and one ADD per counts item. False when the
    marker was there (applied before); a conflict with another shard's batch is retried."""
    actions = [marker_put(markers, marker, now)] + [_counts_add(table, place, adds) for place, adds in chunk]
    return transact_once(client, actions)


def _counts_add(table: str, place: tuple[str, str | None], adds: Counter[str]) -> dict[str, Any]:
    moved = sorted((attribute, n) for attribute, n in adds.items() if n)
    names = {f"#c{index}": attribute for index, (attribute, _) in enumerate(moved)}
    return {
        "Update": {
            "TableName": table,
            "Key": counts_key(*place),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :d{i}" for i in range(len(moved))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {f":d{i}": n for i, (_, n) in enumerate(moved)},
        }
    }
