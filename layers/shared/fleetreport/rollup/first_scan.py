"""The first rollup's walk over a tenant's consumers, budgeted and checkpointed (SPEC §9).

A tenant's first rollup starts at its earliest consumer `created` or snapshot: one consumer item and
one first-snapshot Query per consumer, a million of each for a tenant of 1,000,000 consumers — far
more than one unit may read. The walk goes a Query page at a time over the tenant's consumer
partitions; after each page the position (partition, LastEvaluatedKey) and the earliest instant so far
are saved in the run state (`first_scan`), and the walk stops when the unit's items budget is spent
(40,000 items ≈ 20,000 small Queries: minutes, inside a Lambda's 15; the runner checks the deadline
before each day as before). A redelivered or continued unit resumes from the saved position: it never
restarts. A crash between a page and its save reads that page again, which changes nothing (a minimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.compliance import keys as compliance_keys
from fleetreport.rollup import runs
from fleetreport.rollup.names import projection
from fleetreport.rollup.slices import ItemsBudget

PAGE = 200  # consumers per Query page: 400 items read with their first snapshots


@dataclass
class ScanState:
    """Where the walk stands: the next partition, the position in it, what it found so far."""

    shard: int = 0
    after: dict[str, Any] | None = None
    earliest: str | None = None
    seen: bool = False

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> ScanState:
        item = item or {}
        return cls(int(item.get("shard", 0)), item.get("after"), item.get("earliest"), bool(item.get("seen")))

    def as_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"shard": self.shard, "seen": self.seen}
        if self.after is not None:
            item["after"] = self.after
        if self.earliest is not None:
            item["earliest"] = self.earliest
        return item

    def note(self, instant: str | None) -> None:
        if instant and (self.earliest is None or instant < self.earliest):
            self.earliest = instant


def scan_first_day(
    compliance: Any,
    rollups: Any,
    tenant: str,
    last: str,
    budget: ItemsBudget | None,
) -> tuple[bool, str | None, int]:
    """(finished, first day, items read by this call). Not finished: the position is saved and the
    next unit goes on from it. Finished with consumers but no instant: `last` (the run records it)."""
    state = ScanState.from_item(runs.read_first_scan(rollups, tenant))
    partitions = compliance_keys.consumer_partitions(tenant)
    read = 0
    while state.shard < len(partitions):
        if read and budget is not None and not budget.room_for_another():
            return False, None, read
        items = _page(compliance, tenant, partitions[state.shard], state)
        read += 2 * items
        if budget is not None:
            budget.spend(2 * items)
        runs.save_first_scan(rollups, tenant, state.as_item())
    if state.earliest is not None:
        return True, state.earliest[:10], read
    return True, (last if state.seen else None), read


def _page(compliance: Any, tenant: str, partition: str, state: ScanState) -> int:
    """Read one page of consumers and their first snapshots into `state`; move its position."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(partition)
        & Key("sk").begins_with(compliance_keys.CONSUMER_PREFIX),
        "Limit": PAGE,
        "ConsistentRead": True,
        **projection("uuid", "created"),
    }
    if state.after is not None:
        request["ExclusiveStartKey"] = state.after
    answer = compliance.query(**request)
    consumers = answer.get("Items", [])
    for item in consumers:
        state.seen = True
        state.note(item.get("created"))
        first = compliance.query(
            KeyConditionExpression=Key("pk").eq(compliance_keys.snapshot_pk(tenant, item["uuid"])),
            Limit=1,
            **projection("sk"),
        ).get("Items", [])
        if first:
            state.note(first[0]["sk"])
    state.after = answer.get("LastEvaluatedKey")
    if state.after is None:
        state.shard += 1
    return len(consumers)
