"""The wire shape of groups and blobs (the faynoSync seed): nested dimensions, `stats`, optional triage.

Storage-only attributes (`owner`, bucket names, index keys, hourly counters, TTLs) never leave here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_OPTIONAL_TRIAGE = ("tags", "note", "resolved_at", "resolved_by", "mute_until", "mute_ends_at_count")


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, Decimal)) else 0


def group_json(item: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.get("id", ""),
        "group_hash": item["group_hash"],
        "app_id": item["app_id"],
        "application": {
            "name": item.get("app_name", ""),
            "version": item.get("app_version", ""),
            "channel": item.get("app_channel", ""),
        },
        "system": {"platform": item.get("sys_platform", ""), "arch": item.get("sys_arch", "")},
        "event": {"type": item.get("event_type", ""), "reason": item.get("event_reason", "")},
        "stats": {
            "count": _int(item.get("count")),
            "first_seen": item.get("first_seen", ""),
            "last_seen": item.get("last_seen", ""),
            "details_stored": _int(item.get("details_stored")),
            "details_rejected": _int(item.get("details_rejected")),
        },
        "status": item.get("status", "open"),
    }
    for name in _OPTIONAL_TRIAGE:
        value = item.get(name)
        if value:
            body[name] = list(value) if name == "tags" else _int(value) if name.endswith("count") else value
    body["created_at"] = item.get("created_at", "")
    body["updated_at"] = item.get("updated_at", "")
    return body


def blob_json(item: dict[str, Any], url: str) -> dict[str, Any]:
    storage = item.get("storage") or {}
    return {
        "id": item["id"],
        "group_hash": item["group_hash"],
        "app_id": item["app_id"],
        "application": item.get("application", {}),
        "system": item.get("system", {}),
        "event": item.get("event", {}),
        "created_at": item["created_at"],
        "expires_at": item.get("expires_at", ""),
        "storage": {
            "key": storage.get("key", ""),
            "compressed_size": _int(storage.get("compressed_size")),
            "decompressed_size": _int(storage.get("decompressed_size")),
            "content_type": storage.get("content_type", ""),
            "encoding": _stored_encoding(storage.get("encoding")),
        },
        "url": url,
    }


def _stored_encoding(value: Any) -> str:
    """The stored object's encoding, always `gzip` (SPEC §3.3). Items written before it was described
    so said `gzip+base64`, the wire's encoding: their objects are the same gzip bytes."""
    return "gzip" if value in (None, "", "gzip+base64") else str(value)
