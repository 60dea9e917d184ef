"""The group and blob answers (pydantic models) put the same bytes on the wire as the hand-written
serializer they replaced, and each is valid against its schema in docs/openapi.json."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fleetreport.groups.answers import Blob, BlobList, Group, GroupList
from fleetreport_local.openapi import DOCUMENT_PATH
from jsonschema import Draft202012Validator

HASH = "ab" * 32
_OPTIONAL = ("tags", "note", "resolved_at", "resolved_by", "mute_until", "mute_ends_at_count")


# ---------------------------------------------------------------- the replaced serializer, verbatim
def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, Decimal)) else 0


def old_group_json(item: dict[str, Any]) -> dict[str, Any]:
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
            "devices": _int(item.get("devices")),  # the one addition since (SPEC §12, issue 23)
        },
        "status": item.get("status", "open"),
    }
    for name in _OPTIONAL:
        value = item.get(name)
        if value:
            body[name] = list(value) if name == "tags" else _int(value) if name.endswith("count") else value
    body["created_at"] = item.get("created_at", "")
    body["updated_at"] = item.get("updated_at", "")
    return body


def old_blob_json(item: dict[str, Any], url: str) -> dict[str, Any]:
    storage = item.get("storage") or {}
    encoding = storage.get("encoding")
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
            "encoding": "gzip" if encoding in (None, "", "gzip+base64") else str(encoding),
        },
        "url": url,
    }


# ---------------------------------------------------------------- stored items as DynamoDB returns them
def stored_group(**extra: Any) -> dict[str, Any]:
    return {
        "app_id": "app-1",
        "group_hash": HASH,
        "owner": "owner-1",  # storage-only: never on the wire
        "gsi1pk": "x",
        "id": "g-1",
        "app_name": "Edge",
        "app_version": "1.2.3",
        "app_channel": "stable",
        "sys_platform": "linux",
        "sys_arch": "amd64",
        "event_type": "crash",
        "event_reason": "SIGSEGV",
        "count": Decimal(7),
        "first_seen": "2026-11-01T00:00:00.000Z",
        "last_seen": "2026-11-02T00:00:00.000Z",
        "details_stored": Decimal(2),
        "details_rejected": Decimal(0),
        "devices": Decimal(2),
        "status": "muted",
        "created_at": "2026-11-01T00:00:00.000Z",
        "updated_at": "2026-11-02T00:00:00.000Z",
        **extra,
    }


EVERY_OPTIONAL = {
    "tags": {"boot"},  # a DynamoDB string set (one element: sets have no order)
    "note": "seen on boot",
    "resolved_at": "2026-11-03T00:00:00.000Z",
    "resolved_by": "user-1",
    "mute_until": "2026-12-01T00:00:00.000Z",
    "mute_ends_at_count": Decimal(100),
}
ACTIVITY = {
    "hourly": [{"hour": "2026-11-02T00:00:00.000Z", "count": 3}],
    "daily": [{"day": "2026-11-02", "count": 3, "devices": 2}],
}
GROUPS = [
    pytest.param(stored_group(), id="no optional field"),
    pytest.param(stored_group(**EVERY_OPTIONAL), id="every optional field"),
    pytest.param(stored_group(tags=[], note="", mute_ends_at_count=Decimal(0)), id="empty optionals"),
    *(pytest.param(stored_group(**{name: value}), id=name) for name, value in EVERY_OPTIONAL.items()),
    pytest.param({"app_id": "app-1", "group_hash": HASH}, id="bare item"),
]


def wire(body: Any) -> bytes:
    """What `json_response` sends."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def validator(path: str) -> Draft202012Validator:
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize("item", GROUPS)
def test_a_group_is_the_old_bytes_and_documented(item: dict[str, Any]) -> None:
    answer = Group.of(item, ACTIVITY).to_json()
    assert wire(answer) == wire({**old_group_json(item), "activity": ACTIVITY})
    if "status" in item:  # a bare item has no timestamps: the schema rightly refuses ""
        validator("/reports/groups/{group_hash}").validate(answer)
    assert "owner" not in answer and "gsi1pk" not in answer


@pytest.mark.parametrize("next_cursor", [None, "opaque"])
def test_a_group_page_is_the_old_bytes_and_documented(next_cursor: str | None) -> None:
    items = [stored_group(), stored_group(**EVERY_OPTIONAL)]
    hourly = {"hourly": ACTIVITY["hourly"]}
    fields: dict[str, Any] = {"items": [Group.fields_of(item, hourly) for item in items], "total": 9}
    old: dict[str, Any] = {
        "items": [{**old_group_json(item), "activity": hourly} for item in items],
        "total": 9,
    }
    fields |= {"page": 1, "limit": 2}
    old |= {"page": 1, "limit": 2}
    if next_cursor is not None:
        fields["next_cursor"] = old["next_cursor"] = next_cursor
    answer = GroupList.model_validate(fields).to_json()  # as list_groups builds it
    assert wire(answer) == wire(old)
    validator("/reports/groups").validate(answer)


def test_a_page_without_activity_has_no_activity_key() -> None:
    paging = {"total": 1, "page": 1, "limit": 1}
    answer = GroupList.model_validate({"items": [Group.fields_of(stored_group())], **paging}).to_json()
    assert wire(answer) == wire({"items": [old_group_json(stored_group())], **paging})


@pytest.mark.parametrize("encoding", [None, "gzip+base64", "gzip"])
def test_blobs_are_the_old_bytes_and_documented(encoding: str | None) -> None:
    blob = {
        "app_id": "app-1",
        "group_hash": HASH,
        "id": "b-1",
        "bucket": "storage-only",
        "application": {"name": "Edge", "version": "1.2.3", "channel": "stable"},
        "system": {"platform": "linux", "arch": "amd64"},
        "event": {"type": "crash", "reason": "SIGSEGV"},
        "created_at": "2026-11-02T00:00:00.000Z",
        "expires_at": "2026-12-02T00:00:00.000Z",
        "storage": {
            "key": "k",
            "compressed_size": Decimal(10),
            "decompressed_size": Decimal(20),
            "content_type": "application/json",
            **({} if encoding is None else {"encoding": encoding}),
        },
    }
    answer = BlobList.model_construct(items=[Blob.of(blob, "https://signed")]).to_json()
    assert wire(answer) == wire({"items": [old_blob_json(blob, "https://signed")]})
    validator("/reports/groups/{group_hash}/blobs").validate(answer)
    assert wire(BlobList.model_construct(items=[]).to_json()) == b'{"items":[]}'
