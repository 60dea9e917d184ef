"""Per-app group counts by status, maintained from the groups table's stream (SPEC §9).

Layout (RollupsTable, docs/data-model.md): `pk = GC#{app_id}`, `sk = STATUS`, one number attribute per
status (`open`, `resolved`, `muted`); the app's total is their sum. Each stream record changes them
by the difference between its old and new image (INSERT +1, REMOVE -1, a status change -1/+1).

Exactly once under at-least-once delivery: every change is one TransactWriteItems of two items, a
marker `stream#{eventID}` in CountersTable (put only if absent, TTL two days: a stream keeps records
24 h) and the counts update. A redelivered record finds its marker, the transaction is cancelled and
nothing is counted twice. Deltas commute, so order between shards does not matter (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from fleetreport.groups.counts import COUNTS_SK, counts_pk, read_counts, total_of
from fleetreport.groups.models import STATUSES, format_time
from fleetreport.storage.aws import dynamodb

# The layout and the reading live with the groups that read them (groups/counts.py).
__all__ = ["COUNTS_SK", "CountsTables", "apply_delta", "counts_pk", "read_counts", "status_delta", "total_of"]

MARKER_TTL_SECONDS = 2 * 86_400


def marker_key(event_id: str) -> str:
    return f"stream#{event_id}"


def status_of(image: Mapping[str, Any] | None) -> str | None:
    """The status a group image counts under (None: no group). Items older than triage say nothing: open."""
    if not image:
        return None
    status = str(image.get("status") or "open")
    return status if status in STATUSES else "open"


def status_delta(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, int]:
    """How one change moves the counts: {} when the group's status did not change (most records)."""
    before, after = status_of(old), status_of(new)
    if before == after:
        return {}
    delta: dict[str, int] = {}
    if before is not None:
        delta[before] = delta.get(before, 0) - 1
    if after is not None:
        delta[after] = delta.get(after, 0) + 1
    return delta


@dataclass(frozen=True)
class CountsTables:
    counts: str  # RollupsTable
    markers: str  # CountersTable


def apply_delta(
    tables: CountsTables, *, app_id: str, owner: str, event_id: str, delta: Mapping[str, int], now: datetime
) -> bool:
    """Apply one record's delta once; False when this record was applied before (a redelivery)."""
    names = {f"#{status}": status for status in delta}
    values: dict[str, Any] = {f":{status}": change for status, change in delta.items()}
    values[":owner"] = owner
    values[":now"] = format_time(now)
    adds = ", ".join(f"#{status} :{status}" for status in delta)
    try:
        _client().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": tables.markers,
                        "Item": {
                            "counter": marker_key(event_id),
                            "ttl": int(now.timestamp()) + MARKER_TTL_SECONDS,
                        },
                        "ConditionExpression": "attribute_not_exists(#key)",
                        "ExpressionAttributeNames": {"#key": "counter"},
                    }
                },
                {
                    "Update": {
                        "TableName": tables.counts,
                        "Key": {"pk": counts_pk(app_id), "sk": COUNTS_SK},
                        "UpdateExpression": f"ADD {adds} SET #owner = :owner, updated_at = :now",
                        "ExpressionAttributeNames": {**names, "#owner": "owner"},
                        "ExpressionAttributeValues": values,
                    }
                },
            ]
        )
    except ClientError as error:
        if _already_applied(error):
            return False
        raise
    return True


def _already_applied(error: ClientError) -> bool:
    """The transaction was cancelled because the marker exists (and for no other reason)."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"


def _client() -> Any:
    """The client behind the shared resource (it takes and answers plain Python values)."""
    return dynamodb().meta.client
