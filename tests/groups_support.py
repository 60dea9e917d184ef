"""Helpers shared by the report-group tests: apps and keys (through the real AppStore), report bodies,
detail payloads and ingest calls through the real handler."""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from typing import Any

from fleetreport.apps.models import AppChange, NewApp
from fleetreport.apps.store import AppStore
from fleetreport_local.invoker import HttpResult

NOW = "2026-05-20T10:00:00.000Z"


def make_app(stack: Any, tenant: str = "t1", name: str = "test", reports: bool = True) -> tuple[str, str]:
    """An app with a report key, stored by the admin function's own AppStore; returns (app_id, key).
    `reports=False` turns reports off after creation, which deletes the key: it answers 401."""
    store = AppStore(stack.table("AppsTable"))
    app, key = store.create(tenant, NewApp(name=name, reports=True))
    assert key is not None
    if not reports:
        store.update(tenant, app, AppChange(reports=False, name=None))
    return app.app_id, key.plaintext


def report(
    name: str = "test",
    version: str = "1.4.2",
    channel: str = "stable",
    platform: str = "windows",
    arch: str = "amd64",
    type: str = "update_failure",
    reason: str = "checksum_mismatch",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application": {"name": name, "version": version, "channel": channel},
        "system": {"platform": platform, "arch": arch},
        "event": {"type": type, "reason": reason},
    }
    if details is not None:
        body["details"] = details
    return body


def gzip_details(raw: bytes = b'{"log": "boom"}', *, gz: bytes | None = None) -> dict[str, str]:
    payload = gz if gz is not None else gzip.compress(raw)
    return {
        "encoding": "gzip+base64",
        "content_type": "application/json",
        "payload": base64.b64encode(payload).decode(),
    }


def ingest(
    stack: Any,
    key: str,
    body: Any,
    device: str | None = "device-1",
    headers: dict[str, str] | None = None,
) -> HttpResult:
    sent = {"Authorization": f"Bearer {key}"}
    if device is not None:
        sent["X-Device-ID"] = device
    sent.update(headers or {})
    return stack.http("POST", "/reports/ingest", headers=sent, body=body)


def group_item(stack: Any, app_id: str, group_hash: str) -> dict[str, Any] | None:
    return stack.table("GroupsTable").get_item(Key={"app_id": app_id, "group_hash": group_hash}).get("Item")


def blob_items(stack: Any, app_id: str, group_hash: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    answer = stack.table("BlobsTable").query(
        KeyConditionExpression=Key("group_key").eq(f"{app_id}#{group_hash}")
    )
    return list(answer["Items"])


def no_rate_limits(settings_env: Any) -> None:
    settings_env(
        REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE="0",
        REPORTS_RATE_LIMIT_PER_DEVICE_PER_GROUP_PER_HOUR="0",
        REPORTS_RATE_LIMIT_PER_GROUP_PER_MINUTE="0",
    )


def group_hash_of(*dims: str) -> str:
    return hashlib.sha256("|".join(dims).encode()).hexdigest()


def put_group(
    stack: Any,
    owner: str,
    app_id: str,
    *,
    name: str = "test",
    version: str = "1.4.2",
    channel: str = "stable",
    platform: str = "windows",
    arch: str = "amd64",
    type: str = "update_failure",
    reason: str = "checksum_mismatch",
    last_seen: str = NOW,
    status: str = "open",
    count: int = 1,
    group_hash: str | None = None,
    batch: Any = None,
    **extra: Any,
) -> str:
    """A group item as ingest stores it (docs/data-model.md), for tests that need many or odd groups."""
    dims = (name, version, channel, platform, arch, type, reason)
    group_hash = group_hash or group_hash_of(*dims)
    item = {
        "app_id": app_id,
        "group_hash": group_hash,
        "owner": owner,
        "id": str(uuid.uuid4()),
        "app_name": name,
        "app_version": version,
        "app_channel": channel,
        "sys_platform": platform,
        "sys_arch": arch,
        "event_type": type,
        "event_reason": reason,
        "count": count,
        "first_seen": last_seen,
        "last_seen": last_seen,
        "details_stored": 0,
        "details_rejected": 0,
        "status": status,
        "created_at": last_seen,
        "updated_at": last_seen,
        "app_status": f"{app_id}#{status}",
        **extra,
    }
    item = {name: value for name, value in item.items() if value is not None}  # None: leave it out
    (batch or stack.table("GroupsTable")).put_item(Item=item)
    return group_hash
