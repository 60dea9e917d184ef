"""GroupsTable access: the counting upsert, point reads, triage updates and deletion.

Items carry the dimensions flat (`app_name`, `app_version`, ..., `event_reason`) so the light
indexes ByAppLastSeen/ByOwnerLastSeen can project them; `owner` is stored, never served.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from fleetreport.groups.models import Dimensions, format_time
from fleetreport.storage.aws import dynamodb, table
from fleetreport.storage.pages import batch_get

DIMENSION_ATTRIBUTES = {
    "app_name": "name",
    "app_version": "version",
    "app_channel": "channel",
    "sys_platform": "platform",
    "sys_arch": "arch",
    "event_type": "type",
    "event_reason": "reason",
}
_REOPEN_ATTEMPTS = 5
_BATCH_ATTEMPTS = 6
DAY_SECONDS = 86_400


def app_status(app_id: str, status: str) -> str:
    """`app_status` = `{app_id}#{status}`: the partition key of the ByAppStatus index (status views).

    Every writer that sets `status` sets it in the same write (ingest, triage); the aggregates stream
    function repairs an item where the two disagree (docs/data-model.md).
    """
    return f"{app_id}#{status}"


def expires_at(now: datetime, retention_days: int) -> int | None:
    """The group's TTL (epoch seconds): its last report plus the retention; None keeps it forever."""
    return int(now.timestamp()) + retention_days * DAY_SECONDS if retention_days > 0 else None


@dataclass(frozen=True)
class CountedReport:
    """What the counting upsert left behind: enough to decide whether blobs need trimming."""

    details_stored: int
    status: str


def is_conditional_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def count_report(
    table_name: str,
    *,
    owner: str,
    app_id: str,
    dims: Dimensions,
    now: datetime,
    stored: int = 0,
    rejected: int = 0,
    retention_days: int = 0,
) -> CountedReport:
    """Count one report into its group with one atomic UpdateItem (two when reopening a resolved one).

    DynamoDB cannot branch inside an update expression, so the common case is tried with the
    condition `status <> resolved` (it cannot reopen anything); if the group turns out to be resolved,
    the reopening update runs with the condition `status = resolved`. Each attempt is atomic and a
    failed condition writes nothing, so the report is counted exactly once whatever runs in between
    (a PATCH muting the group, another report reopening it): we simply retry with what is true now.
    """
    groups = table(table_name)
    for _ in range(_REOPEN_ATTEMPTS):
        for reopening in (False, True):
            try:
                request = _upsert(owner, app_id, dims, now, stored, rejected, reopening, retention_days)
                answer = groups.update_item(**request)
            except ClientError as error:
                if is_conditional_failure(error):
                    continue
                raise
            attributes = answer["Attributes"]
            return CountedReport(int(attributes.get("details_stored", 0)), str(attributes.get("status", "")))
    raise RuntimeError("group status kept changing while counting a report")  # pragma: no cover


def _upsert(
    owner: str,
    app_id: str,
    dims: Dimensions,
    now: datetime,
    stored: int,
    rejected: int,
    reopening: bool,
    retention_days: int = 0,
) -> dict[str, Any]:
    stamp = format_time(now)
    names = {"#count": "count", "#status": "status", "#owner": "owner", "#hour": f"h{now:%Y%m%d%H}"}
    values: dict[str, Any] = {
        ":one": 1,
        ":now": stamp,
        ":owner": owner,
        ":id": str(uuid.uuid4()),
        ":open": "open",
        ":resolved": "resolved",
        ":stored": stored,
        ":rejected": rejected,
        ":app_open": app_status(app_id, "open"),
    }
    sets = [
        "#owner = :owner",
        "last_seen = :now",
        "updated_at = :now",
        "id = if_not_exists(id, :id)",
        "first_seen = if_not_exists(first_seen, :now)",
        "created_at = if_not_exists(created_at, :now)",
    ]
    for attribute, field_name in DIMENSION_ATTRIBUTES.items():
        values[f":{attribute}"] = getattr(dims, field_name)
        sets.append(f"{attribute} = :{attribute}")
    expiry = expires_at(now, retention_days)
    if expiry is not None:  # TTL follows the last report: a group expires after N days of silence
        values[":expires"] = expiry
        sets.append("expires_at = :expires")
    if reopening:
        sets += ["#status = :open", "app_status = :app_open"]
        condition = "#status = :resolved"
        tail = " REMOVE resolved_at, resolved_by"
    else:
        sets += [
            "#status = if_not_exists(#status, :open)",
            "app_status = if_not_exists(app_status, :app_open)",
        ]
        condition = "attribute_not_exists(#status) OR #status <> :resolved"
        tail = ""
    expression = (
        "SET " + ", ".join(sets) + " ADD #count :one, details_stored :stored, details_rejected :rejected, "
        "#hour :one" + tail
    )
    return {
        "Key": {"app_id": app_id, "group_hash": dims.group_hash},
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValues": "UPDATED_NEW",
    }


# ---------------------------------------------------------------------- reads
def batch_get_groups(table_name: str, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Full items for (app_id, group_hash) keys, in the order asked; missing ones are left out.

    Unprocessed keys (throttling) are retried with backoff; if they never go through, the request
    fails with 503 rather than silently returning a short page.
    """
    unique = list(dict.fromkeys(keys))
    wanted = [{"app_id": app_id, "group_hash": hash_} for app_id, hash_ in unique]
    found = {
        (item["app_id"], item["group_hash"]): item
        for item in batch_get(dynamodb(), table_name, wanted, attempts=_BATCH_ATTEMPTS)
    }
    return [found[key] for key in unique if key in found]


def find_group(table_name: str, owner: str, app_ids: list[str], group_hash: str) -> dict[str, Any] | None:
    """The group with this hash among the candidate apps (one read per app); the most recently seen
    one if several of the requester's apps share the hash (only possible after an app rename)."""
    items = batch_get_groups(table_name, [(app_id, group_hash) for app_id in app_ids])
    mine = [item for item in items if item.get("owner") == owner]
    return max(mine, key=lambda item: str(item.get("last_seen", ""))) if mine else None


# ---------------------------------------------------------------------- triage and deletion
def update_triage(
    table_name: str, *, owner: str, app_id: str, group_hash: str, sets: dict[str, Any], removes: list[str]
) -> bool:
    """Apply a triage change to an existing group of this owner; False when it is gone.

    A status change moves the group to its ByAppStatus partition in the same write."""
    if "status" in sets:
        sets = {**sets, "app_status": app_status(app_id, str(sets["status"]))}
    names = {f"#{name}": name for name in [*sets, *removes]}
    names["#owner"] = "owner"
    values = {f":{name}": value for name, value in sets.items()}
    values[":owner"] = owner
    expression = "SET " + ", ".join(f"#{name} = :{name}" for name in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{name}" for name in removes)
    try:
        table(table_name).update_item(
            Key={"app_id": app_id, "group_hash": group_hash},
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(group_hash) AND #owner = :owner",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if is_conditional_failure(error):
            return False
        raise
    return True


def delete_group_item(table_name: str, *, owner: str, app_id: str, group_hash: str) -> bool:
    """Delete the group item if it still exists and belongs to the owner; False when it is gone."""
    try:
        table(table_name).delete_item(
            Key={"app_id": app_id, "group_hash": group_hash},
            ConditionExpression="attribute_exists(group_hash) AND #owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": owner},
        )
    except ClientError as error:
        if is_conditional_failure(error):
            return False
        raise
    return True
