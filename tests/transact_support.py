"""Watching and disturbing the TransactWriteItems calls of fleetreport's own DynamoDB client (the one
the domain code uses), through botocore's `before-call` hook: answered before moto sees the call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fleetreport.storage.aws import dynamodb

EVENT = "before-call.dynamodb"


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

    with _hooked(conflict):
        yield seen


@contextmanager
def transactions() -> Iterator[list[list[dict[str, Any]]]]:
    """The TransactItems of every TransactWriteItems call made meanwhile (in wire form)."""
    made: list[list[dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "TransactWriteItems":
            made.append(json.loads(params["body"])["TransactItems"])

    with _hooked(record):
        yield made


@contextmanager
def _hooked(handler: Any) -> Iterator[None]:
    """`handler` on the client's `before-call` while the block runs."""
    events = dynamodb().meta.client.meta.events
    events.register(EVENT, handler)
    try:
        yield
    finally:
        events.unregister(EVENT, handler)
