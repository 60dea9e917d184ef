"""Writes applied exactly once: a transaction led by a once-only marker item (SPEC §9's stream
consumers; ADR 25, ADR 28).

A consumer names a batch's work by the records it came from; the marker is put only if absent, first
in the transaction, so a redelivered batch is cancelled on it (`ConditionalCheckFailed` on the first
action) and adds nothing twice. A `TransactionConflict` with another writer of the same items is
retried after `clock.backoff`'s full jitter; after `MAX_ATTEMPTS` the caller's batch fails and Lambda
retries it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from fleetreport import clock
from fleetreport.errors import TemporarilyUnavailable

MARKER_TTL_SECONDS = 2 * 86_400  # a stream keeps records 24 h: a retry never comes after this
MAX_ATTEMPTS = 8  # tries of a transaction cancelled by a TransactionConflict


def marker_put(markers_table: str, marker: str, now: datetime) -> dict[str, Any]:
    """The transaction's first action: the marker, only if absent (it expires by TTL)."""
    return {
        "Put": {
            "TableName": markers_table,
            "Item": {"counter": marker, "ttl": int(now.timestamp()) + MARKER_TTL_SECONDS},
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": {"#key": "counter"},
        }
    }


def transact_once(client: Any, actions: list[dict[str, Any]]) -> bool:
    """Run `actions` (a `marker_put` first) as one transaction; False when the marker was there."""
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            clock.backoff(attempt)
        try:
            client.transact_write_items(TransactItems=actions)
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            if not any(reason.get("Code") == "TransactionConflict" for reason in reasons):
                raise
    raise TemporarilyUnavailable()
