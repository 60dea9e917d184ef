"""Detail blobs: the client's gzip bytes in S3, their metadata in BlobsTable, trimming and presigning.

Metadata items live under `group_key = {app_id}#{group_hash}`, sorted by `blob_sk = {created_at}#{id}`,
so "newest first" and "everything but the newest N" are single Queries on one partition.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

from fleetreport.groups.details import CONTENT_TYPE, Details
from fleetreport.groups.models import Dimensions, format_time
from fleetreport.http import logger
from fleetreport.storage.aws import s3, table

PRESIGN_SECONDS = 15 * 60
STORAGE_ERRORS = (ClientError, BotoCoreError)

# What the stored object is (faynoSync's blob.go, SPEC §3.3): the client's gzip bytes, unchanged. The
# wire's `gzip+base64` described the payload in the request, not the object in S3.
STORED_ENCODING = "gzip"


@dataclass(frozen=True)
class BlobLocation:
    """Where one blob lives: its metadata item key and its S3 object."""

    group_key: str
    blob_sk: str
    bucket: str
    key: str


def group_key(app_id: str, group_hash: str) -> str:
    return f"{app_id}#{group_hash}"


def object_key(prefix: str, app_id: str, group_hash: str, now: datetime, blob_id: str) -> str:
    return f"{prefix}/{app_id}/{now:%Y/%m/%d}/{group_hash}-{blob_id}.json.gz"


def store_blob(
    *,
    bucket: str,
    blobs_table: str,
    prefix: str,
    retention_days: int,
    owner: str,
    app_id: str,
    dims: Dimensions,
    details: Details,
    now: datetime,
) -> BlobLocation:
    """Put the gzip bytes unchanged, then their metadata (with TTL); raises the storage error if any.

    If the metadata write fails the object is removed again, so a failure leaves nothing behind.
    """
    blob_id = secrets.token_hex(16)
    key = object_key(prefix, app_id, dims.group_hash, now, blob_id)
    s3().put_object(Bucket=bucket, Key=key, Body=details.gzip_bytes, ContentType="application/gzip")
    expires = now + timedelta(days=retention_days)
    created_at = format_time(now)
    location = BlobLocation(group_key(app_id, dims.group_hash), f"{created_at}#{blob_id}", bucket, key)
    item = {
        "group_key": location.group_key,
        "blob_sk": location.blob_sk,
        "id": blob_id,
        "group_hash": dims.group_hash,
        "app_id": app_id,
        "owner": owner,
        **dims.as_nested(),
        "created_at": created_at,
        "expires_at": format_time(expires),
        "ttl": int(expires.timestamp()),
        "storage": {
            "bucket": bucket,
            "key": key,
            "compressed_size": details.compressed_size,
            "decompressed_size": details.decompressed_size,
            "content_type": CONTENT_TYPE,
            "encoding": STORED_ENCODING,
        },
    }
    try:
        table(blobs_table).put_item(Item=item)
    except STORAGE_ERRORS:
        delete_objects([location])
        raise
    return location


def newest_blobs(
    blobs_table: str, app_id: str, group_hash: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """Metadata items of one group, newest first (all of them when `limit` is None)."""
    query: dict[str, Any] = {
        "KeyConditionExpression": Key("group_key").eq(group_key(app_id, group_hash)),
        "ScanIndexForward": False,
    }
    if limit is not None:
        query["Limit"] = limit
    items: list[dict[str, Any]] = []
    blobs = table(blobs_table)
    while True:
        page = blobs.query(**query)
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start or (limit is not None and len(items) >= limit):
            return items[:limit] if limit is not None else items
        query["ExclusiveStartKey"] = start


def location_of(item: dict[str, Any], default_bucket: str) -> BlobLocation:
    storage = item.get("storage") or {}
    return BlobLocation(
        item["group_key"],
        item["blob_sk"],
        str(storage.get("bucket") or default_bucket),
        str(storage.get("key", "")),
    )


def trim_blobs(blobs_table: str, default_bucket: str, app_id: str, group_hash: str, keep: int) -> int:
    """Delete every blob of the group but the newest `keep` (object and metadata); returns how many."""
    items = newest_blobs(blobs_table, app_id, group_hash)
    doomed = [location_of(item, default_bucket) for item in items[keep:]]
    delete_blobs(blobs_table, doomed)
    return len(doomed)


def delete_blobs(blobs_table: str, locations: list[BlobLocation]) -> None:
    """Objects first, then metadata: the metadata is the index of what exists, so after a crash in
    between the next trim (or DELETE) still finds the leftovers and finishes the job."""
    if not locations:
        return
    delete_objects(locations)
    with table(blobs_table).batch_writer() as batch:
        for location in locations:
            batch.delete_item(Key={"group_key": location.group_key, "blob_sk": location.blob_sk})


def delete_objects(locations: list[BlobLocation]) -> None:
    by_bucket: dict[str, list[str]] = {}
    for location in locations:
        if location.key:
            by_bucket.setdefault(location.bucket, []).append(location.key)
    for bucket, keys in by_bucket.items():
        for start in range(0, len(keys), 1000):
            objects = [{"Key": key} for key in keys[start : start + 1000]]
            s3().delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


def presigned_url(location: BlobLocation) -> str | None:
    """A GET URL valid 15 minutes, or None when it cannot be signed (the blob is then skipped)."""
    try:
        url = s3().generate_presigned_url(
            "get_object", Params={"Bucket": location.bucket, "Key": location.key}, ExpiresIn=PRESIGN_SECONDS
        )
    except (*STORAGE_ERRORS, ValueError) as error:
        logger.warning("blob url not signed", extra={"error_type": type(error).__name__})
        return None
    return str(url)
