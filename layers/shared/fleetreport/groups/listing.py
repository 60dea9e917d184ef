"""Reading one page of groups from the light indexes (SPEC §7, §9): cursors, merged partitions, ties.

Order is `last_seen` descending, ties by `group_hash` then `app_id`. An index returns equal
`last_seen` values in an order of its own, so entries are re-sorted within each run of equal
`last_seen` (a run is read to its end before it is used: at ms precision runs are short).

- `read_page` reads lazily: each index partition is queried newest first, from the cursor's position
  (`last_seen <= cursor`), `offset + limit + 3` entries at a time at first (the page, the entry that
  proves there is a next page, the entry that closes its run, the cursor's own entry), then in small
  chunks only while ties or a cursor position need more. One partition: ≤ limit + 3 entries for a page.
- `walk` reads the partitions whole, only the attributes the filters need (page 1 or `page` N of the
  dimension-filtered views and `from`/`to` bounds, whose `total` is a count of what matches; their page
  is then read whole). Their cursor pages continue the walk from the cursor with `read_page`
  (`attributes`; each query twice the last, at most `WALK_CHUNK`): they never walk again from the start.

A cursor is opaque to clients: base64url JSON of the last returned entry's position, a fingerprint
of the filters it was issued for and, for a walked view, the `total` page 1 counted (a cursor page
does not count again); fleetreport/cursors.py checks every field for type, format and size, and
another query's cursor is `invalid cursor`.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from fleetreport import cursors
from fleetreport.cursors import AppId, CursorModel, Fingerprint, Instant, Sha256Hex
from fleetreport.errors import BadRequest
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

Entry = dict[str, Any]
FOLLOW_UP_CHUNK = 10  # entries per extra query once the first one fell short (ties, filters)
MAX_TOTAL = 10**9  # a count of groups; anything larger is not a cursor we issued
WALK_CHUNK = 400  # at most this many entries per query of a filtered walk continued from a cursor


@dataclass(frozen=True)
class Partition:
    """One index partition to read: `index` where `key` = `value`."""

    index: str
    key: str
    value: str


class Cursor(CursorModel):
    """A group list's position: the last returned entry's index sort key and tie-breakers, and the
    fingerprint of the filters it was issued for. `last_seen` becomes a key condition."""

    last_seen: Instant = Field(alias="s")
    group_hash: Sha256Hex = Field(alias="h")
    app_id: AppId = Field(alias="a")
    filters: Fingerprint = Field(alias="f")  # of the query it belongs to
    total: int | None = Field(default=None, alias="t", ge=0, le=MAX_TOTAL)  # a walked view's, from page 1

    def encode(self) -> str:
        return cursors.encode(self)

    @classmethod
    def decode(cls, text: str, filters: str) -> Cursor:
        cursor = cursors.decode(cls, text)
        if cursor.filters != filters:
            raise BadRequest(cursors.INVALID)
        return cursor

    def is_before(self, entry: Mapping[str, Any]) -> bool:
        """The entry comes after this position in the list order (so it belongs to later pages)."""
        if entry["last_seen"] != self.last_seen:
            return bool(entry["last_seen"] < self.last_seen)
        return (entry["group_hash"], entry["app_id"]) > (self.group_hash, self.app_id)


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def cursor_of(entry: Mapping[str, Any], filters: str, total: int | None = None) -> str:
    return Cursor(
        s=str(entry["last_seen"]), h=str(entry["group_hash"]), a=str(entry["app_id"]), f=filters, t=total
    ).encode()


def order_key(entry: Mapping[str, Any]) -> tuple[str, str]:
    """Within a run of equal last_seen: group hash, then app."""
    return str(entry["group_hash"]), str(entry["app_id"])


@dataclass(frozen=True)
class Bounds:
    since: str | None = None
    until: str | None = None


def _query(
    partition: Partition,
    bounds: Bounds,
    first_chunk: int | None,
    chunk: int | None,
    attributes: tuple[str, ...] = (),
    grow: bool = False,
) -> Iterator[Entry]:
    """The partition's entries newest first, fetched `first_chunk` then `chunk` at a time (None: all),
    or with `grow` each query twice the last up to `chunk`; with `attributes`, only those (and the
    keys) of each entry."""
    names = {"#p": partition.key, "#s": "last_seen"}
    values: dict[str, Any] = {":p": partition.value}
    condition = "#p = :p"
    if bounds.since and bounds.until:
        condition += " AND #s BETWEEN :since AND :until"
        values.update({":since": bounds.since, ":until": bounds.until})
    elif bounds.since:
        condition += " AND #s >= :since"
        values[":since"] = bounds.since
    elif bounds.until:
        condition += " AND #s <= :until"
        values[":until"] = bounds.until
    if not (bounds.since or bounds.until):
        del names["#s"]
    request: dict[str, Any] = {}
    if attributes:
        wanted = ("app_id", "group_hash", "last_seen", *attributes)
        names.update({f"#a{n}": name for n, name in enumerate(wanted)})
        request["ProjectionExpression"] = ", ".join(f"#a{n}" for n in range(len(wanted)))
    request |= {
        "IndexName": partition.index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    groups, limit = table(get_settings().groups_table), first_chunk
    while True:
        answer = groups.query(**({**request, "Limit": limit} if limit else request))
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        limit = min(2 * limit, chunk) if grow and limit and chunk else chunk


def _runs(entries: Iterator[Entry]) -> Iterator[list[Entry]]:
    """Consecutive entries of equal last_seen, each run in list order."""
    run: list[Entry] = []
    for entry in entries:
        if run and entry["last_seen"] != run[0]["last_seen"]:
            yield sorted(run, key=order_key)
            run = []
        run.append(entry)
    if run:
        yield sorted(run, key=order_key)


def read_page(
    partitions: list[Partition],
    bounds: Bounds,
    *,
    after: Cursor | None,
    offset: int,
    limit: int,
    matches: Callable[[Entry], bool] = lambda entry: True,
    attributes: tuple[str, ...] = (),
) -> tuple[list[Entry], bool]:
    """The entries of one page and whether more follow, reading no further than needed. With
    `attributes` (a filtered walk continued from its cursor) only those are read, and each query reads
    twice as many as the last (up to `WALK_CHUNK`): matches may be sparse, and the overshoot stays at
    most what the page needed to read."""
    need = offset + limit
    if after is not None:
        top = after.last_seen if bounds.until is None else min(after.last_seen, bounds.until)
        bounds = Bounds(bounds.since, top)
    first, chunk = need + 3, WALK_CHUNK if attributes else FOLLOW_UP_CHUNK
    grow = bool(attributes)
    streams = [_query(partition, bounds, first, chunk, attributes, grow) for partition in partitions]
    merged = heapq.merge(*streams, key=lambda entry: str(entry["last_seen"]), reverse=True)
    taken: list[Entry] = []
    for run in _runs(merged):
        taken += [e for e in run if (after is None or after.is_before(e)) and matches(e)]
        if len(taken) > need:
            break
    return taken[offset:need], len(taken) > need


def walk(partitions: list[Partition], bounds: Bounds, attributes: tuple[str, ...]) -> list[Entry]:
    """Every entry of the partitions within the bounds, in list order, holding only the keys and
    `attributes` (what the filters look at: 100k whole entries would not fit a small function)."""
    entries = [
        entry for partition in partitions for entry in _query(partition, bounds, None, None, attributes)
    ]
    entries.sort(key=order_key)
    entries.sort(key=lambda entry: str(entry["last_seen"]), reverse=True)
    return entries
