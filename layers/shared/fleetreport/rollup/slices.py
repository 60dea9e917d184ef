"""Bounded slices of a status day (SPEC §9: no rollup unit reads more than 50,000 items).

A day's change log is spread over `LOG_SHARDS` shards by consumer (compliance/keys.py), so what one
shard's consumers contribute to the day — per partition and quarter-hour label, the change of each
status count, plus the first and last snapshot instants — is a `DayPart` computed from that shard
alone, and the day is the sum of its shards' parts. A shard is walked a Query page of its
log at a time (rollup/shard_pages.py), so a part may also be a shard's first pages and the position
of the next. A rollup invocation given an items budget reads a page only if one as large as the
largest it read still fits; it saves its progress (RollupsTable `SL#{tenant}#{day}`, one item per
shard: the part, the next page's position, whether the shard is done, the run's `dirty_version`) when
it stops and every `CHECKPOINT_ITEMS` items read, and records `sliced_day` in the run state: its
continuation (rollup/fanout.py), or a redelivery of the same unit after a crash, goes on from there
and never starts the day over. A part saved under another `dirty_version` is computed again (a late
event reached the day meanwhile); parts are deleted once the day is written.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.rollup import keys, runs
from fleetreport.rollup.counting import Deltas, Partition
from fleetreport.rollup.days import LABELS
from fleetreport.storage.pages import query_items

# Items read between two saves of a day's progress: what a crash mid-unit may read again.
CHECKPOINT_ITEMS = 10_000


@dataclass
class DayPart:
    """What some consumers of a day contribute to it (see the module docstring)."""

    changes: int = 0
    consumers: int = 0
    items_read: int = 0
    deltas: list[Deltas] = field(default_factory=lambda: [{} for _ in LABELS])
    bounds: dict[Partition, tuple[str, str]] = field(default_factory=dict)

    def add(self, other: DayPart) -> None:
        self.changes += other.changes
        self.consumers += other.consumers
        self.items_read += other.items_read
        for mine, theirs in zip(self.deltas, other.deltas, strict=True):
            for partition, delta in theirs.items():
                mine.setdefault(partition, Counter()).update(delta)  # update keeps negative counts
        for partition, (first, last) in other.bounds.items():
            known = self.bounds.get(partition)
            self.bounds[partition] = (min(known[0], first), max(known[1], last)) if known else (first, last)

    def encode(self) -> bytes:
        deltas = [[[p, dict(d)] for p, d in sorted(per.items(), key=_order) if d] for per in self.deltas]
        bounds = [[p, first, last] for p, (first, last) in sorted(self.bounds.items(), key=_order)]
        raw = {"changes": self.changes, "consumers": self.consumers, "deltas": deltas, "bounds": bounds}
        return zlib.compress(json.dumps(raw, separators=(",", ":")).encode())

    @classmethod
    def decode(cls, data: bytes) -> DayPart:
        raw = json.loads(zlib.decompress(data))
        part = cls(changes=raw["changes"], consumers=raw["consumers"])
        part.deltas = [{p: Counter(d) for p, d in per} for per in raw["deltas"]]
        part.bounds = {p: (first, last) for p, first, last in raw["bounds"]}
        return part


def _order(pair: tuple[Partition, Any]) -> str:
    return "" if pair[0] is None else "#" + pair[0]


@dataclass
class ItemsBudget:
    """Items an invocation may read; a page (or a first-scan page) is read only if one as large as the
    largest so far still fits (the first always is: every invocation makes progress)."""

    limit: int
    read: int = 0
    largest: int = 0

    def spend(self, items: int) -> None:
        self.read += items
        self.largest = max(self.largest, items)

    def room_for_another(self) -> bool:
        return self.read == 0 or self.read + self.largest <= self.limit


@dataclass
class ShardProgress:
    """How far a day's walk of one change-log shard got: the part of the pages read so far and the
    Query position of the next page (`after`), `done` once the last page is in."""

    part: DayPart = field(default_factory=DayPart)
    after: dict[str, Any] | None = None
    done: bool = False


def save(
    rollups: Any, tenant: str, day: str, version: int, shards: dict[int, ShardProgress], mark: bool
) -> None:
    """Keep the shards' progress so far, then (`mark`) say so in the run state — in this order: a
    crash in between leaves parts nobody reads, deleted once the day is written."""
    with rollups.batch_writer() as batch:
        for shard, progress in shards.items():
            item: dict[str, Any] = {
                "pk": keys.slice_pk(tenant, day),
                "sk": f"{shard:02d}",
                "version": version,
                "part": progress.part.encode(),
                "done": progress.done,
            }
            if progress.after is not None:
                item["after"] = progress.after
            batch.put_item(Item=item)
    if mark:
        rollups.update_item(
            Key=runs.run_key(tenant),
            UpdateExpression="SET sliced_day = :day",
            ExpressionAttributeValues={":day": day},
        )


def load(rollups: Any, tenant: str, day: str, version: int) -> dict[int, ShardProgress]:
    """The shards' progress saved for `day` under `version` (others are stale: computed again)."""
    request = {"KeyConditionExpression": Key("pk").eq(keys.slice_pk(tenant, day)), "ConsistentRead": True}
    return {
        int(item["sk"]): ShardProgress(
            DayPart.decode(bytes(item["part"])), item.get("after"), bool(item.get("done", True))
        )
        for item in query_items(rollups, request)
        if int(item.get("version", -1)) == version
    }


def forget(rollups: Any, tenant: str, day: str) -> None:
    """Delete the day's saved parts (every version) and its mark in the run state."""
    request = {"KeyConditionExpression": Key("pk").eq(keys.slice_pk(tenant, day)), "ConsistentRead": True}
    stale = [{"pk": item["pk"], "sk": item["sk"]} for item in query_items(rollups, request)]
    with rollups.batch_writer() as batch:
        for key in stale:
            batch.delete_item(Key=key)
    runs.clear_sliced(rollups, tenant, day)


def total(parts: Iterable[DayPart]) -> DayPart:
    whole = DayPart()
    for part in parts:
        whole.add(part)
    return whole
