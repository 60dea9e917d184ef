"""Status counts now: per tenant, how many consumers count under each status, for every consumer and
per Candlepin owner key — status_trend's open day in one GetItem instead of a walk over the day's
changes (docs/data-model.md, "status counts now").

A consumer counts the way status_trend counts it at an instant after everything stored: not deleted,
under the status (and owner key) of its snapshot with the greatest sort key. That counted state sits
on the consumer item (`cnt_sk`, `cnt_status`, `cnt_owner`, `cnt_deleted`, version `cnt_v`); a change
of it and the matching ADDs on the tenant's counts items (every consumer's, and its Candlepin owner
key's; `counts_key`; attributes `s#{status}`) are one transaction, conditional on `cnt_v`. So the
counts never drift: a crash leaves both writes or neither, a retried or redelivered event recomputes
from the consumer and finds nothing left to do.

The counts are sharded (SPEC §9, W2): a consumer's ADDs go to one of `SHARDS` items chosen by a hash
of its uuid, each shard under its own partition key (`T#{tenant}#COUNTS@0` … `@7`, and the same with
`#{owner_key}`), and readers sum the shards in one BatchGetItem. A burst of status changes in one
tenant then spreads over the shards instead of serialising on one item (DynamoDB refuses concurrent
transactions on one item and serves ~1,000 write units/s per partition, a transactional write costing
2); a transaction that still collides is retried after a jittered exponential backoff.

The counts answer an instant only if no stored instant lies after it. Events are rarely dated in the
future, so instead of tracking the latest instant on every write, an event dated after the wall clock
raises `future_until` on the `COUNTS` item; readers use the counts for an instant at or after both
the wall clock and `future_until` (`status_counts_at`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from fleetreport import clock
from fleetreport.compliance import keys
from fleetreport.compliance.timefmt import to_storage
from fleetreport.errors import TemporarilyUnavailable
from fleetreport.storage.pages import batch_get

COUNTS_SK = "COUNTS"
STATUS_PREFIX = "s#"
MAX_ATTEMPTS = 8
# Enough to keep a shard under a third of a partition's write units at ~2,000 status changes a second
# in one tenant; few enough that a reader's BatchGetItem stays far inside the §7 trend budget.
SHARDS = 8
COUNTED_ATTRIBUTES = ("cnt_sk", "cnt_status", "cnt_owner", "cnt_deleted", "cnt_v")


def counts_key(tenant: str, owner_key: str | None = None, shard: int = 0) -> dict[str, str]:
    """One shard of the counts of every consumer (`owner_key` None) or of one Candlepin owner key, each
    under a partition key of its own (`T#{tenant}#COUNTS@{n}`, `…#{owner_key}`): shards that shared a
    partition key would be one partition (SPEC §9). Shard 0 holds `future_until`."""
    pk = f"{keys.tenant_pk(tenant)}#{COUNTS_SK}@{shard}"
    if owner_key is not None:
        pk = f"{pk}#{owner_key}"
    return {"pk": pk, "sk": COUNTS_SK}


def shard_of(uuid: str) -> int:
    """The counts shard a consumer's changes go to (stable across processes, unlike `hash`)."""
    return zlib.crc32(uuid.encode("utf-8")) % SHARDS


@dataclass(frozen=True)
class Counted:
    """How one consumer counts now."""

    sort_key: str = ""  # of the snapshot it counts under ("" = none yet)
    status: str = ""
    owner_key: str = ""
    deleted: bool = False

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> Counted:
        item = item or {}
        return cls(
            sort_key=str(item.get("cnt_sk", "")),
            status=str(item.get("cnt_status", "")),
            owner_key=str(item.get("cnt_owner", "")),
            deleted=bool(item.get("cnt_deleted", False)),
        )

    def counted_in(self) -> list[tuple[str | None, str]]:
        """(partition, attribute) pairs this consumer adds one to: every consumer's, its owner's."""
        if self.deleted or not self.sort_key:
            return []
        attribute = f"{STATUS_PREFIX}{self.status}"
        return [(None, attribute)] + ([(self.owner_key, attribute)] if self.owner_key else [])

    def with_snapshot(self, sort_key: str, status: str, owner_key: str | None) -> Counted:
        if sort_key <= self.sort_key:
            return self  # an older snapshot arriving late changes nothing now
        return Counted(sort_key, status.lower(), owner_key or "", self.deleted)

    def with_deletion(self) -> Counted:
        return Counted(self.sort_key, self.status, self.owner_key, True)

    def attributes(self, version: int) -> dict[str, Any]:
        """The consumer item's `cnt_*` attributes for this state at `version`."""
        return {
            "cnt_sk": self.sort_key,
            "cnt_status": self.status,
            "cnt_owner": self.owner_key,
            "cnt_deleted": self.deleted,
            "cnt_v": version,
        }


class StatusCountsWriter:
    """Keeps one tenant's counts item in step with its consumers (the events path)."""

    def __init__(self, table: Any, tenant: str) -> None:
        self.table = table
        self.client = table.meta.client
        self.tenant = tenant

    def snapshot(self, uuid: str, sort_key: str, status: str, owner_key: str | None, instant: str) -> None:
        self._note_future(instant)
        self._change(uuid, lambda counted: counted.with_snapshot(sort_key, status, owner_key))

    def deleted(self, uuid: str, instant: str) -> None:
        self._note_future(instant)
        self._change(uuid, Counted.with_deletion)

    def created(self, instant: str) -> None:
        """A creation does not change how a consumer counts now — unless it is dated in the future."""
        self._note_future(instant)

    def _change(self, uuid: str, change: Any) -> None:
        consumer_key = keys.consumer_key(self.tenant, uuid)
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                clock.backoff(attempt)
            item = self.table.get_item(
                Key=consumer_key,
                ConsistentRead=True,
                ProjectionExpression=", ".join(COUNTED_ATTRIBUTES),
            ).get("Item")
            before = Counted.from_item(item)
            after = change(before)
            if after == before:
                return
            version = int((item or {}).get("cnt_v", 0))
            try:
                self.client.transact_write_items(
                    TransactItems=[
                        self._consumer_update(consumer_key, after, version),
                        *self._counts_update(before, after, shard_of(uuid)),
                    ]
                )
                return
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                # Another delivery changed this consumer first, or a concurrent transaction held the
                # counts shard (TransactionConflict): back off, read again.
        raise TemporarilyUnavailable()

    def _consumer_update(self, key: dict[str, str], after: Counted, version: int) -> dict[str, Any]:
        condition = "cnt_v = :version" if version else "attribute_not_exists(cnt_v)"
        attributes = after.attributes(version + 1)
        names = {f"#n{index}": name for index, name in enumerate(attributes)}
        values: dict[str, Any] = {f":v{index}": value for index, value in enumerate(attributes.values())}
        if version:
            values[":version"] = version
        return {
            "Update": {
                "TableName": self.table.name,
                "Key": key,
                "UpdateExpression": "SET " + ", ".join(f"#n{i} = :v{i}" for i in range(len(attributes))),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def _counts_update(self, before: Counted, after: Counted, shard: int) -> list[dict[str, Any]]:
        """One ADD per counts item whose numbers move."""
        delta: Counter[tuple[str | None, str]] = Counter(after.counted_in())
        delta.subtract(before.counted_in())
        per_item: dict[str | None, dict[str, int]] = {}
        for (partition, attribute), change in delta.items():
            if change:
                per_item.setdefault(partition, {})[attribute] = change
        updates = []
        for partition, moves in per_item.items():
            names = {f"#c{index}": name for index, name in enumerate(moves)}
            adds = ", ".join(f"{name} :d{index}" for index, name in enumerate(names))
            updates.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": counts_key(self.tenant, partition, shard),
                        "UpdateExpression": f"ADD {adds}",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": {
                            f":d{i}": change for i, change in enumerate(moves.values())
                        },
                    }
                }
            )
        return updates

    def _note_future(self, instant: str) -> None:
        if instant <= to_storage(clock.now()):
            return
        try:
            self.table.update_item(
                Key=counts_key(self.tenant),
                UpdateExpression="SET future_until = :instant",
                ConditionExpression="attribute_not_exists(future_until) OR future_until < :instant",
                ExpressionAttributeValues={":instant": instant},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


def status_counts_at(table: Any, tenant: str, owner_key: str | None, instant: str) -> dict[str, int] | None:
    """The partition's `{status: n}` at `instant`, summed over its shards, or None when the counts
    cannot say (no counted event yet, an instant before the wall clock, or something stored dated
    after it). One BatchGetItem: SHARDS items (+ SHARDS for an owner key)."""
    if instant < to_storage(clock.now()):
        return None
    wanted = [counts_key(tenant, None, shard) for shard in range(SHARDS)]
    if owner_key is not None:
        wanted += [counts_key(tenant, owner_key, shard) for shard in range(SHARDS)]
    items = _get_all(table, wanted)
    if not any(key["pk"] in items for key in wanted[:SHARDS]):
        return None  # nothing counted in this tenant yet
    if str(items.get(counts_key(tenant)["pk"], {}).get("future_until", "")) > instant:
        return None
    found: Counter[str] = Counter()
    for key in wanted[-SHARDS:]:
        for name, value in (items.get(key["pk"]) or {}).items():
            if name.startswith(STATUS_PREFIX):
                found[name[len(STATUS_PREFIX) :]] += int(value)
    return {status: n for status, n in sorted(found.items()) if n > 0}


def _get_all(table: Any, wanted: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Strongly consistent BatchGetItem of `wanted`, by partition key."""
    items = batch_get(table.meta.client, table.name, wanted, consistent=True, attempts=MAX_ATTEMPTS)
    return {str(item["pk"]): item for item in items}
