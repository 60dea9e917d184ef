"""The aggregates function's work on one groups-table stream record (SPEC §9).

Per record: the status counts move by its delta (counts.py, exactly once); a REMOVE (a DELETE from
the API, or the TTL service expiring a silent group) takes the group's remaining blobs with it; and
an image whose `app_status` disagrees with its `status` (an item written before the ByAppStatus index,
or by a writer that did not set it) is repaired, so the status views find it. Everything is safe to
repeat: a redelivered record changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from botocore.exceptions import ClientError

from fleetreport.aggregates.counts import CountsTables, apply_delta, status_delta, status_of
from fleetreport.groups.blobs import delete_blobs, group_key, location_of
from fleetreport.groups.models import utc_now
from fleetreport.groups.store import app_status
from fleetreport.settings import Settings
from fleetreport.storage.aws import is_conditional_failure, table

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


@dataclass
class StreamSummary:
    """What a batch did, for the function's log line and metrics."""

    counted: int = 0  # records whose delta was applied
    duplicates: int = 0  # redelivered records already counted
    expired: int = 0  # REMOVEs by the TTL service
    deleted: int = 0  # other REMOVEs
    blobs_deleted: int = 0
    repaired: int = 0  # app_status fixed

    def as_dict(self) -> dict[str, Any]:
        return {
            "counted": self.counted,
            "duplicates": self.duplicates,
            "expired": self.expired,
            "deleted": self.deleted,
            "blobs_deleted": self.blobs_deleted,
            "repaired": self.repaired,
        }


def is_ttl_removal(record: DynamoDBRecord) -> bool:
    """TTL deletions are REMOVEs made by the service principal (AWS documents this userIdentity)."""
    identity = record.user_identity or {}
    return identity.get("type") == "Service" and identity.get("principalId") == TTL_PRINCIPAL


def handle_record(record: DynamoDBRecord, settings: Settings, summary: StreamSummary) -> None:
    stream = record.dynamodb
    if stream is None:
        return
    old, new = stream.old_image or None, stream.new_image or None
    image = new or old
    if not image or "group_hash" not in image or "app_id" not in image:
        return  # not a group item (nothing else lives in GroupsTable today; stay safe if it ever does)
    app_id, now = str(image["app_id"]), utc_now()
    delta = status_delta(old, new)
    if delta:
        tables = CountsTables(counts=settings.rollups_table, markers=settings.counters_table)
        owner = str(image.get("owner", ""))
        if apply_delta(
            tables, app_id=app_id, owner=owner, event_id=str(record.event_id), delta=delta, now=now
        ):
            summary.counted += 1
        else:
            summary.duplicates += 1
    if new is None and old is not None:
        if is_ttl_removal(record):
            summary.expired += 1
        else:
            summary.deleted += 1
        summary.blobs_deleted += delete_removed_blobs(settings, old)
    elif new is not None:
        summary.repaired += repair_app_status(settings.groups_table, new)


def delete_removed_blobs(settings: Settings, old: Mapping[str, Any]) -> int:
    """Delete the blobs the removed group left (a DELETE from the API already did: then none).

    Only blobs created up to the group's last report: if the group was recreated by a new report in
    the meantime, the new group's blobs are not this removal's to take.
    """
    app_id, group_hash = str(old["app_id"]), str(old["group_hash"])
    last_seen = str(old.get("last_seen") or "")
    request: dict[str, Any] = {
        "KeyConditionExpression": "group_key = :g AND blob_sk <= :until",
        "ExpressionAttributeValues": {":g": group_key(app_id, group_hash), ":until": f"{last_seen}#~"},
    }
    blobs = table(settings.blobs_table)
    items: list[dict[str, Any]] = []
    while True:
        page = blobs.query(**request)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    delete_blobs(settings.blobs_table, [location_of(item, settings.blob_bucket) for item in items])
    return len(items)


def repair_app_status(groups_table: str, new: Mapping[str, Any]) -> int:
    """Set `app_status` where it disagrees with `status`; conditional on the status the image shows,
    so it never overwrites a newer change (whose own record gets checked in turn). 1 if repaired."""
    app_id, status = str(new["app_id"]), status_of(new) or "open"
    wanted = app_status(app_id, status)
    if new.get("app_status") == wanted:
        return 0
    condition = "attribute_exists(group_hash) AND "
    condition += "#status = :status" if new.get("status") else "attribute_not_exists(#status)"
    values: dict[str, Any] = {":wanted": wanted}
    if new.get("status"):
        values[":status"] = new["status"]
    try:
        table(groups_table).update_item(
            Key={"app_id": app_id, "group_hash": new["group_hash"]},
            UpdateExpression="SET app_status = :wanted",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if is_conditional_failure(error):
            return 0
        raise
    return 1
