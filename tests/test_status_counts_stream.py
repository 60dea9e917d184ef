"""Status counts from ComplianceTable's stream (SPEC §9, W2; ADR 25): the events path writes how a
consumer counts on its own item, the ComplianceCounts function sums a batch's moves per counts item
and applies them once, however often the batch is delivered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from clock_support import RecordingClock
from compliance_support import compliance, consumer_deleted
from fleetreport import clock
from fleetreport.compliance.counts import counts_key, status_counts_at
from fleetreport.compliance.events import parse_event
from fleetreport.compliance.ingest import store_event
from fleetreport.compliance.store import ComplianceWriter
from fleetreport.compliance.timefmt import to_storage
from fleetreport.storage.aws import dynamodb, table
from transact_support import conflicting_transactions

FUNCTION = "ComplianceCountsFunction"


@contextmanager
def calls_of(client: Any) -> Iterator[list[str]]:
    """The names of the DynamoDB operations `client` makes."""
    names: list[str] = []

    def record(model: Any, **_: Any) -> None:
        names.append(model.name)

    client.meta.events.register("before-call.dynamodb", record)
    try:
        yield names
    finally:
        client.meta.events.unregister("before-call.dynamodb", record)


def store(stack: Any, events: list[dict[str, Any]]) -> None:
    writer = ComplianceWriter(table(stack.name("ComplianceTable")), "t1")
    for raw in events:
        store_event(writer, parse_event(raw))


def drain_recording(stack: Any) -> list[dict[str, Any]]:
    """Deliver the streams; the batches the counts function was given."""
    batches: list[dict[str, Any]] = []

    def invoke(function: str, event: dict[str, Any]) -> Any:
        if function == FUNCTION:
            batches.append(event)
        return stack.invoke(function, event)

    stack.streams.pump(invoke)
    return batches


def counts_now(stack: Any, owner: str | None = None) -> dict[str, int] | None:
    later = to_storage(datetime.now(UTC) + timedelta(minutes=1))
    return status_counts_at(table(stack.name("ComplianceTable")), "t1", owner, later)


def recent(minutes: int) -> str:
    return to_storage(datetime.now(UTC) - timedelta(minutes=minutes))


def test_a_status_change_makes_no_transaction_and_writes_no_counts_item_on_the_events_path(
    stack: Any,
) -> None:
    with calls_of(dynamodb().meta.client) as calls:
        store(stack, [compliance("c-1", recent(5), "valid"), compliance("c-1", recent(4), "invalid")])
    assert "TransactWriteItems" not in calls
    assert table(stack.name("ComplianceTable")).get_item(Key=counts_key("t1")).get("Item") is None
    assert counts_now(stack) is None  # not delivered yet: readers walk the snapshots instead
    stack.drain()
    assert counts_now(stack) == {"invalid": 1}


def test_a_batch_writes_each_counts_item_once_whatever_the_consumers_it_moves(stack: Any) -> None:
    store(stack, [compliance(f"c-{index}", recent(5), "valid", owner_key="acme") for index in range(40)])
    with calls_of(dynamodb().meta.client) as calls:
        [batch] = drain_recording(stack)
    assert len(batch["Records"]) >= 40
    assert calls.count("TransactWriteItems") == 1  # the marker, every consumer's item, acme's item
    assert counts_now(stack) == {"valid": 40}
    assert counts_now(stack, "acme") == {"valid": 40}


def test_a_redelivered_stream_batch_adds_nothing_twice(stack: Any) -> None:
    store(stack, [compliance(f"c-{index}", recent(5), "valid") for index in range(3)])
    store(stack, [compliance("c-0", recent(3), "invalid"), consumer_deleted("c-1", recent(2))])
    batches = drain_recording(stack)
    assert counts_now(stack) == {"invalid": 1, "valid": 1}
    for batch in batches:
        stack.invoke(FUNCTION, batch)  # Lambda retries the same records after a failed attempt
    assert counts_now(stack) == {"invalid": 1, "valid": 1}
    assert counts_now(stack, "acme") == {"invalid": 1, "valid": 1}


def test_records_of_other_items_move_no_counts(stack: Any) -> None:
    store(stack, [compliance("c-1", recent(5), "valid")])
    stack.drain()
    compliance_table = boto3.resource("dynamodb").Table(stack.name("ComplianceTable"))
    item = compliance_table.get_item(Key=counts_key("t1"))["Item"]
    compliance_table.put_item(Item={"pk": "S#t1#c-9", "sk": "x", "cnt_sk": "x", "cnt_status": "valid"})
    stack.drain()
    assert compliance_table.get_item(Key=counts_key("t1"))["Item"] == item


def test_a_conflicting_transaction_is_retried_after_a_jittered_backoff(stack: Any) -> None:
    store(stack, [compliance("c-1", recent(1), "invalid")])
    recording = RecordingClock()
    previous = clock.install(recording)
    try:
        with conflicting_transactions(2) as conflicts:
            stack.drain()
    finally:
        clock.install(previous)
    assert conflicts[0] == 2
    assert len(recording.sleeps) == 2  # one backoff before each retry, none before the first attempt
    assert 0 <= recording.sleeps[0] <= 0.02 and 0 <= recording.sleeps[1] <= 0.04  # full jitter, doubling
    assert counts_now(stack) == {"invalid": 1}


def test_the_mapping_filter_admits_consumer_items_only() -> None:
    from fleetreport_local.stream_poller import passes_filters, stream_sources
    from fleetreport_local.template import load_template

    [source] = [s for s in stream_sources(load_template()) if s.function == FUNCTION]
    assert source.table == "ComplianceTable" and source.filters

    def record(sk: str) -> dict[str, Any]:
        return {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": "T#t1#C@3"}, "sk": {"S": sk}}}}

    assert passes_filters(record("C#c-1"), source.filters)
    assert not passes_filters(record("COUNTS"), source.filters)  # the function's own writes
    assert not passes_filters(record("2026-05-20T08:00:00.000Z#evt-1"), source.filters)
