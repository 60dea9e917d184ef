"""Reads of ComplianceTable, each sized to its answer (SPEC §7; docs/data-model.md access patterns).

Consumers come from one of three places: the tenant's consumer partitions (`T#{tenant}#C@{n}`, merged
in uuid order), the ByOwnerKey index (`{tenant}#{owner_key}`, keys only, then a BatchGet of the items),
or a BatchGet by uuid. Snapshots are read per consumer by
key range, newest-first with Limit 1 when only the latest at a date is needed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.compliance import keys
from fleetreport.compliance.records import (
    ConsumerRecord,
    SnapshotRecord,
    consumer_from_item,
    snapshot_from_item,
)
from fleetreport.storage.limits import can_be_key
from fleetreport.storage.pages import batch_get, query_items

# What status computations need of a snapshot: no document, no reasons.
LIGHT_SNAPSHOT = (
    "sk",
    "status",
    "management_enabled",
    "product_names",
    "skus",
    "subscription_names",
    "owner_key",
)
CONSUMER_WITHOUT_DOC = (
    "uuid",
    "name",
    "owner_key",
    "owner_display",
    "created",
    "deleted",
    "last_checkin",
    "facts",
    "status",
    "status_date",
    "reasons",
    "management_enabled",
    "product_names",
    "skus",
    "subscription_names",
)


def projection(fields: Iterable[str]) -> dict[str, Any]:
    """A ProjectionExpression with a placeholder per name (uuid, name, status... are reserved words)."""
    names = {f"#p{index}": field for index, field in enumerate(fields)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


class ComplianceReader:
    """Reads for one tenant; `with_docs` decides whether full snapshot documents come along."""

    def __init__(self, table: Any, tenant: str) -> None:
        self.table = table
        self.tenant = tenant

    # ------------------------------------------------------------------ consumers
    def all_consumers(self, *, with_docs: bool = False) -> Iterator[ConsumerRecord]:
        request = {} if with_docs else projection(CONSUMER_WITHOUT_DOC)
        for item in tenant_consumer_items(self.table, self.tenant, request):
            yield consumer_from_item(item)

    def consumers_of_owner(self, owner_key: str, *, with_docs: bool = False) -> Iterator[ConsumerRecord]:
        """The index holds keys only (a status change then writes nothing to it, SPEC §9 W2): its
        entries name the items, read a hundred at a time in index order."""
        scope = keys.owner_scope(self.tenant, owner_key)
        if not can_be_key(scope):
            return  # an owner key no consumer has (DynamoDB would refuse the key)
        condition = Key("owner_scope").eq(scope)
        request = {"IndexName": keys.OWNER_KEY_INDEX, "KeyConditionExpression": condition}
        fields = None if with_docs else projection(CONSUMER_WITHOUT_DOC)
        wanted: list[dict[str, str]] = []
        for entry in self._pages(request):
            wanted.append({"pk": entry["pk"], "sk": entry["sk"]})
            if len(wanted) == 100:
                yield from self._in_order(wanted, fields)
                wanted = []
        yield from self._in_order(wanted, fields)

    def consumers_by_uuid(self, uuids: Iterable[str], *, with_docs: bool = False) -> Iterator[ConsumerRecord]:
        """One BatchGet loop (storage.pages.batch_get: unprocessed keys retried after a backoff, 503
        when they never go through); unknown uuids are simply absent."""
        wanted = [
            keys.consumer_key(self.tenant, uuid)
            for uuid in dict.fromkeys(uuids)
            if can_be_key(keys.consumer_sk(uuid), sort_key=True)
        ]
        fields = None if with_docs else projection(CONSUMER_WITHOUT_DOC)
        for item in batch_get(self.table.meta.client, self.table.name, wanted, projection=fields):
            yield consumer_from_item(item)

    def _in_order(
        self, wanted: list[dict[str, str]], fields: dict[str, Any] | None
    ) -> Iterator[ConsumerRecord]:
        if not wanted:
            return
        found = batch_get(self.table.meta.client, self.table.name, wanted, projection=_with_sk(fields))
        by_key = {str(item["sk"]): item for item in found}
        for key in wanted:
            if key["sk"] in by_key:
                yield consumer_from_item(by_key[key["sk"]])

    # ------------------------------------------------------------------ snapshots
    def latest_snapshot_at(
        self, uuid: str, instant: str, *, with_docs: bool = False
    ) -> SnapshotRecord | None:
        """The newest snapshot dated at or before `instant` (one item read)."""
        condition = Key("pk").eq(keys.snapshot_pk(self.tenant, uuid)) & Key("sk").lt(
            keys.at_or_before(instant)
        )
        return self._first(uuid, condition, with_docs)

    def latest_snapshot_before(
        self, uuid: str, instant: str, *, with_docs: bool = False
    ) -> SnapshotRecord | None:
        """The newest snapshot dated strictly before `instant` (one item read)."""
        condition = Key("pk").eq(keys.snapshot_pk(self.tenant, uuid)) & Key("sk").lt(instant)
        return self._first(uuid, condition, with_docs)

    def snapshots(
        self,
        uuid: str,
        *,
        since: str | None = None,
        until: str | None = None,
        newest_first: bool = False,
        with_docs: bool = False,
        light: bool = False,
    ) -> Iterator[SnapshotRecord]:
        """Snapshots dated in [since, until] (either bound optional), streamed page by page."""
        if not can_be_key(keys.snapshot_pk(self.tenant, uuid)):
            return  # a uuid no consumer has (DynamoDB would refuse the key)
        condition: Any = Key("pk").eq(keys.snapshot_pk(self.tenant, uuid))
        if since is not None and until is not None:
            condition &= Key("sk").between(since, keys.at_or_before(until))
        elif since is not None:
            condition &= Key("sk").gte(since)
        elif until is not None:
            condition &= Key("sk").lt(keys.at_or_before(until))
        request: dict[str, Any] = {"KeyConditionExpression": condition, "ScanIndexForward": not newest_first}
        request.update(_snapshot_projection(with_docs, light))
        for item in self._pages(request):
            yield snapshot_from_item(uuid, item)

    def _first(self, uuid: str, condition: Any, with_docs: bool) -> SnapshotRecord | None:
        if not can_be_key(keys.snapshot_pk(self.tenant, uuid)):
            return None  # a uuid no consumer has (DynamoDB would refuse the key)
        request: dict[str, Any] = {"KeyConditionExpression": condition, "ScanIndexForward": False, "Limit": 1}
        request.update(_snapshot_projection(with_docs, light=False))
        items = self.table.query(**request).get("Items", [])
        return snapshot_from_item(uuid, items[0]) if items else None

    def _pages(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return query_items(self.table, request)


def tenant_consumer_items(table: Any, tenant: str, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every consumer item of the tenant (`request`: a projection, which must name `uuid` if any), its
    partitions' Queries merged in uuid order — the order one partition gave before they were spread."""
    streams = [
        query_items(
            table,
            {
                **request,
                "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(keys.CONSUMER_PREFIX),
            },
        )
        for pk in keys.consumer_partitions(tenant)
    ]
    return heapq.merge(*streams, key=lambda item: str(item["uuid"]))


def _with_sk(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """A projection that also names `sk` (to match BatchGet answers to their keys)."""
    if fields is None:
        return None
    return {**fields, "ProjectionExpression": fields["ProjectionExpression"] + ", sk"}


def _snapshot_projection(with_docs: bool, light: bool) -> dict[str, Any]:
    if with_docs:
        return {}
    return projection(LIGHT_SNAPSHOT if light else (*LIGHT_SNAPSHOT, "reasons", "last_checkin"))
