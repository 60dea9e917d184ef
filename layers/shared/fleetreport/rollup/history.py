"""What a rollup reads about consumers that changed: the change log, their lifetimes, their snapshots.

Reads are sized to the changes: one Query per change-log day, one BatchGet row per changed consumer,
and per changed consumer one Query of its snapshots newest-first that stops at the first snapshot
dated before the window (the one that carries its status into the window).
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.compliance import keys
from fleetreport.rollup.names import projection
from fleetreport.storage.pages import batch_get, query_items

# Extra items asked for per page once a consumer's first page did not reach the window's start.
FOLLOW_UP_LIMIT = 25


@dataclass(frozen=True)
class Change:
    """One change-log item: something happened to consumer `uuid` at `instant`."""

    instant: str
    uuid: str
    kind: str  # created | deleted | snapshot
    owner_key: str | None

    @property
    def key(self) -> str:
        """Its change-log sort key: the order of one shard, and of the shards merged."""
        return keys.change_log_sk(self.instant, self.uuid, self.kind)


@dataclass(frozen=True)
class State:
    """How a consumer counts at an instant: under `status` (lower-case), for `owner_key` too if any."""

    status: str
    owner_key: str | None


@dataclass
class ConsumerHistory:
    """A consumer's lifetime and its snapshots from the last one before a window to the window's end."""

    created: str | None = None
    deleted: str | None = None
    sort_keys: list[str] = field(default_factory=list)  # ascending snapshot sort keys
    states: list[State] = field(default_factory=list)

    def state_at(self, instant: str) -> State | None:
        """SPEC §4.4: created at or before `instant` (unknown counts as created), not deleted by then,
        and the status of its latest snapshot dated at or before it (ties: the greatest sort key)."""
        if self.created is not None and self.created > instant:
            return None
        if self.deleted is not None and self.deleted <= instant:
            return None
        index = bisect.bisect_left(self.sort_keys, keys.at_or_before(instant))
        return self.states[index - 1] if index else None


def changes_on(table: Any, tenant: str, day: str) -> list[Change]:
    """Every change-log item of one UTC day (every shard), oldest first."""
    shards = [changes_in_shard(table, tenant, day, shard) for shard in range(keys.LOG_SHARDS)]
    return list(heapq.merge(*shards, key=lambda change: change.key))


def changes_in_shard(table: Any, tenant: str, day: str, shard: int) -> list[Change]:
    """The change-log items of one UTC day in one shard (every change of its consumers), oldest first."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.change_log_pk(tenant, day, shard)),
        **projection("sk", "uuid", "kind", "owner_key"),
        "ConsistentRead": True,
    }
    return [change_from_item(item) for item in query_items(table, request)]


def change_from_item(item: dict[str, Any]) -> Change:
    return Change(item["sk"].split("#", 1)[0], item["uuid"], item["kind"], item.get("owner_key"))


def load_histories(
    table: Any, tenant: str, changes: Iterable[Change], since: str, until: str
) -> dict[str, ConsumerHistory]:
    """The history of every consumer in `changes` over [since, until] (instants, both included)."""
    expected: Counter[str] = Counter()
    for change in changes:
        expected[change.uuid] += change.kind == "snapshot"
    histories = {uuid: ConsumerHistory() for uuid in expected}
    for item in _consumer_lifetimes(table, tenant, list(histories)):
        history = histories[item["uuid"]]
        history.created = item.get("created")
        history.deleted = item.get("deleted")
    for uuid, history in histories.items():
        newest_first = list(_snapshots_back_to(table, tenant, uuid, since, until, expected[uuid] + 1))
        for item in reversed(newest_first):
            history.sort_keys.append(item["sk"])
            history.states.append(State(str(item.get("status", "")).lower(), item.get("owner_key")))
    return histories


def _consumer_lifetimes(table: Any, tenant: str, uuids: list[str]) -> Iterator[dict[str, Any]]:
    wanted = [keys.consumer_key(tenant, uuid) for uuid in uuids]
    fields = projection("uuid", "created", "deleted")
    yield from batch_get(table.meta.client, table.name, wanted, consistent=True, projection=fields)


def _snapshots_back_to(
    table: Any, tenant: str, uuid: str, since: str, until: str, limit: int
) -> Iterator[dict[str, Any]]:
    """Snapshots dated at or before `until`, newest first, down to and including the first one dated
    before `since`. `limit` is how many that should take (the change log says), so usually one page."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.snapshot_pk(tenant, uuid))
        & Key("sk").lt(keys.at_or_before(until)),
        "ScanIndexForward": False,
        **projection("sk", "status", "owner_key"),
        "ConsistentRead": True,
        "Limit": max(limit, 1),
    }
    while True:
        answer = table.query(**request)
        for item in answer.get("Items", []):
            yield item
            if item["sk"] < since:
                return
        if "LastEvaluatedKey" not in answer:
            return
        request = {**request, "ExclusiveStartKey": answer["LastEvaluatedKey"], "Limit": FOLLOW_UP_LIMIT}
