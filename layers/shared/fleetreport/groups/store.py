"""GroupsTable access: the counting upsert, point reads, triage updates and deletion.

Items carry the dimensions flat (`app_name`, `app_version`, ..., `event_reason`) so the light
indexes ByAppLastSeen/ByOwnerLastSeen can project them; `owner` is stored, never served.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from fleetreport.groups.devices import (
    GroupDevice,
    Mark,
    day_attribute,
    device_memory,
    fresh_generation,
    stale_day_attributes,
)
from fleetreport.groups.models import Dimensions, format_time
from fleetreport.storage.aws import dynamodb, is_conditional_failure, table
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
    device: GroupDevice | None = None,
) -> CountedReport:
    """Count one report into its group with one atomic UpdateItem (two when reopening a resolved one).

    DynamoDB cannot branch inside an update expression, so the common case is tried with the
    condition `status <> resolved` (it cannot reopen anything); if the group turns out to be resolved,
    the reopening update runs with the condition `status = resolved`. Each attempt is atomic and a
    failed condition writes nothing, so the report is counted exactly once whatever runs in between
    (a PATCH muting the group, another report reopening it): we simply retry with what is true now.

    With a `device`, the same UpdateItem also ADDs `devices` and the day's `dv…` by the device's mark
    (groups/devices.py), conditional on the group generation the mark was decided for: when the group
    was deleted or recreated meanwhile, the mark is handed back and decided again. On an exception the
    mark stays `device.pending` for the caller to hand back.
    """
    groups = table(table_name)
    generation = _generation(device, table_name)
    if device is not None and device.failed is not None:
        device = None  # the device store failed: counted without it (fails open, like the rate limits)
    mark: Mark | None = None
    for _ in range(_REOPEN_ATTEMPTS):
        if device is not None and mark is None:
            mark = _mark(device, generation or fresh_generation())
            if mark is None:
                device = None
        for reopening in (False, True):
            upsert = Upsert(owner, app_id, dims, now, stored, rejected, reopening, retention_days)
            try:
                answer = groups.update_item(**upsert.request(mark, generation))
            except ClientError as error:
                if not is_conditional_failure(error):
                    raise
                actual = _generation_in(error)
                if device is not None and actual != generation:  # deleted or recreated meanwhile
                    device.hand_back()
                    mark, generation = None, actual
                    break
                continue
            attributes = answer["Attributes"]
            if device is not None:
                device.counted()
            if attributes.get("id"):  # the container now knows the group's generation (no read next time)
                device_memory().remember_generation(app_id, dims.group_hash, str(attributes["id"]))
            return CountedReport(int(attributes.get("details_stored", 0)), str(attributes.get("status", "")))
    raise RuntimeError("group status kept changing while counting a report")  # pragma: no cover


def _generation(device: GroupDevice | None, table_name: str) -> str | None:
    if device is None:
        return None
    try:
        return device.generation(table_name)
    except (ClientError, BotoCoreError) as error:
        device.failed = error
        return None


def _mark(device: GroupDevice, generation: str) -> Mark | None:
    """The device's mark; None (and `device.failed`) when CountersTable failed: the report is still
    counted, without its device (ingest logs it and counts `GroupDeviceMarksFailed`)."""
    try:
        return device.mark(generation)
    except (ClientError, BotoCoreError) as error:
        device.failed = error
        return None


def _generation_in(error: ClientError) -> str | None:
    """The group's `id` in a refused update's old image (ReturnValuesOnConditionCheckFailure)."""
    old: Any = error.response.get("Item")
    value: Any = old.get("id") if isinstance(old, dict) else None
    return str(TypeDeserializer().deserialize(cast(Any, value))) if isinstance(value, dict) else None


@dataclass(frozen=True)
class Upsert:
    """The counting UpdateItem of one report."""

    owner: str
    app_id: str
    dims: Dimensions
    now: datetime
    stored: int
    rejected: int
    reopening: bool
    retention_days: int = 0

    def request(self, mark: Mark | None = None, generation: str | None = None) -> dict[str, Any]:
        request = _upsert(
            self.owner,
            self.app_id,
            self.dims,
            self.now,
            self.stored,
            self.rejected,
            self.reopening,
            self.retention_days,
        )
        if mark is not None:
            _add_devices(request, mark, generation, self.now)
        return request


def _add_devices(request: dict[str, Any], mark: Mark, generation: str | None, now: datetime) -> None:
    """Fold the device's mark into the report's UpdateItem, conditional on the group's generation
    (`id`): the group the mark was decided for, or none yet (then the mark's generation becomes the
    new group's `id`)."""
    names, values = request["ExpressionAttributeNames"], request["ExpressionAttributeValues"]
    values[":id"] = mark.generation
    values[":devices"] = mark.new_device
    adds = ", #devices :devices"
    names["#devices"] = "devices"
    if mark.new_day:
        names["#device_day"] = day_attribute(mark.day)
        values[":device_day"] = 1
        adds += ", #device_day :device_day"
    stale = stale_day_attributes(now)
    for index, name in enumerate(stale):
        names[f"#stale{index}"] = name
    expression = request["UpdateExpression"]
    head, remove, tail = expression.partition(" REMOVE ")
    removals = ", ".join(f"#stale{index}" for index in range(len(stale)))
    request["UpdateExpression"] = head + adds + " REMOVE " + (tail + ", " if remove else "") + removals
    if generation is None:
        request["ConditionExpression"] = f"attribute_not_exists(id) AND ({request['ConditionExpression']})"
    else:
        values[":generation"] = generation
        request["ConditionExpression"] = f"id = :generation AND ({request['ConditionExpression']})"
    request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"


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
