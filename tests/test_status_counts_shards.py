"""Sharded status counts (SPEC §9, W2): a tenant's counts spread over SHARDS items that readers sum,
and a transaction that collides is retried after a jittered backoff."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from clock_support import RecordingClock
from compliance_support import compliance, load
from fleetreport import clock
from fleetreport.compliance.counts import SHARDS, counts_key, status_counts_at
from fleetreport.compliance.events import parse_event
from fleetreport.compliance.ingest import store_event
from fleetreport.compliance.store import ComplianceWriter
from fleetreport.compliance.timefmt import to_storage
from fleetreport.storage.aws import dynamodb, table


@contextmanager
def conflicting_transactions(times: int) -> Iterator[list[int]]:
    """The next `times` TransactWriteItems are cancelled with TransactionConflict, as DynamoDB cancels
    a transaction on an item another transaction holds (answered before the call reaches moto)."""
    seen = [0]

    class Answer:
        status_code = 400
        headers: dict[str, str] = {}
        content = b""

    def conflict(model: Any, **_: Any) -> Any:
        if model.name != "TransactWriteItems" or seen[0] >= times:
            return None
        seen[0] += 1
        reason = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
        return Answer(), {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled [TransactionConflict]"},
            "CancellationReasons": [reason, reason],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    events = dynamodb().meta.client.meta.events
    events.register("before-call.dynamodb", conflict)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb", conflict)


def counts_items(stack: Any) -> list[dict[str, Any]]:
    """Every counts item of tenant t1 (each under its own partition key: read by key, not by Query)."""
    table = stack.table("ComplianceTable")
    found = []
    for shard in range(SHARDS):
        for owner_key in (None, "acme"):
            item = table.get_item(Key=counts_key("t1", owner_key, shard)).get("Item")
            if item is not None:
                found.append(item)
    return found


def test_a_tenants_counts_spread_over_shards_and_readers_sum_them(stack: Any) -> None:
    moment = to_storage(datetime.now(UTC) - timedelta(minutes=5))
    load(stack, "t1", [compliance(f"c-{index}", moment, "valid", owner_key="acme") for index in range(40)])
    every = [item for item in counts_items(stack) if not item["pk"].endswith("#acme")]
    assert 1 < len(every) <= SHARDS
    assert sum(int(item["s#valid"]) for item in every) == 40
    later = to_storage(datetime.now(UTC) + timedelta(minutes=1))
    compliance_table = table(stack.name("ComplianceTable"))
    assert status_counts_at(compliance_table, "t1", None, later) == {"valid": 40}
    assert status_counts_at(compliance_table, "t1", "acme", later) == {"valid": 40}


def test_a_conflicting_transaction_is_retried_after_a_jittered_backoff(stack: Any) -> None:
    recording = RecordingClock()
    previous = clock.install(recording)
    try:
        writer = ComplianceWriter(table(stack.name("ComplianceTable")), "t1")  # fleetreport's own client
        event = compliance("c-1", to_storage(datetime.now(UTC) - timedelta(minutes=1)), "invalid")
        with conflicting_transactions(2) as conflicts:
            store_event(writer, parse_event(event))
    finally:
        clock.install(previous)
    assert conflicts[0] == 2
    assert len(recording.sleeps) == 2  # one backoff before each retry, none before the first attempt
    assert 0 <= recording.sleeps[0] <= 0.02 and 0 <= recording.sleeps[1] <= 0.04  # full jitter, doubling
    later = to_storage(datetime.now(UTC) + timedelta(minutes=1))
    assert status_counts_at(table(stack.name("ComplianceTable")), "t1", None, later) == {"invalid": 1}
