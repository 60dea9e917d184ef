"""Triage and deletion of report groups (SPEC §3.4): PATCH rules and messages, DELETE with blobs, tenancy."""

from __future__ import annotations

import json
from typing import Any

import boto3
from fleetreport_local.openapi import DOCUMENT_PATH
from fleetreport_local.tokens import ALL_PERMISSIONS
from groups_support import (
    blob_items,
    group_item,
    gzip_details,
    ingest,
    make_app,
    no_rate_limits,
    put_group,
    report,
)
from jsonschema import Draft202012Validator


def patch(stack: Any, headers: dict[str, str], group_hash: str, body: Any, **query: str) -> Any:
    return stack.http(
        "PATCH", f"/reports/groups/{group_hash}", headers=headers, body=body, query=query or None
    )


def error(result: Any) -> tuple[int, str]:
    return result.status, result.json().get("error")


# ---------------------------------------------------------------- PATCH validation
def test_patch_validation_messages(stack: Any, admin: dict[str, str], group: tuple[str, str, str]) -> None:
    group_hash = group[2]
    cases: list[tuple[Any, str]] = [
        ("not json", "invalid request body"),
        ([1, 2], "invalid request body"),
        ({}, "no fields to update"),
        ({"other": 1}, "no fields to update"),
        ({"status": None, "tags": None, "note": None}, "no fields to update"),
        ({"status": "closed"}, "invalid status"),
        ({"status": "all"}, "invalid status"),
        ({"status": "Resolved"}, "invalid status"),
        ({"status": "closed", "tags": ["bad tag"], "note": "x" * 3000}, "invalid status"),
        ({"tags": "a,b"}, "invalid tags"),
        ({"tags": [f"t{n}" for n in range(21)]}, "invalid tags"),
        ({"tags": ["ok", "bad tag"]}, "invalid tags"),
        ({"tags": ["x" * 65]}, "invalid tags"),
        ({"tags": [""]}, "invalid tags"),
        ({"tags": [1]}, "invalid tags"),
        ({"tags": ["bad!"], "note": "x" * 3000}, "invalid tags"),
        ({"note": "x" * 2001}, "note too long"),
        ({"note": "é" * 1001}, "note too long"),  # 2002 bytes in 1001 characters
        ({"note": 5}, "invalid note"),
    ]
    for body, message in cases:
        assert error(patch(stack, admin, group_hash, body)) == (400, message), body
    item = group_item(stack, group[0], group_hash)
    assert item and item["status"] == "open" and "tags" not in item and "note" not in item


def test_patch_limits_are_inclusive(stack: Any, admin: dict[str, str], group: tuple[str, str, str]) -> None:
    tags = [f"t.{n}_-" for n in range(20)]
    assert patch(stack, admin, group[2], {"tags": tags, "note": "é" * 1000}).status == 200
    item = group_item(stack, group[0], group[2])
    assert item and item["tags"] == tags and item["note"] == "é" * 1000
    assert patch(stack, admin, group[2], {"tags": ["x" * 64]}).status == 200


def test_patch_of_unknown_group_is_404_after_validation(stack: Any, admin: dict[str, str]) -> None:
    make_app(stack)
    assert error(patch(stack, admin, "d" * 64, {"status": "muted"})) == (404, "report group not found")
    assert error(patch(stack, admin, "d" * 64, {"status": "nope"})) == (400, "invalid status")
    assert error(patch(stack, admin, "D" * 64, {"status": "muted"})) == (400, "invalid group hash")


# ---------------------------------------------------------------- PATCH effects
def test_resolving_records_who_and_when(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    before = group_item(stack, group[0], group[2])
    result = patch(stack, admin, group[2], {"status": "resolved"})
    assert (result.status, result.json()) == (200, {"group_hash": group[2], "updated": True})
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert got["status"] == "resolved" and got["resolved_by"] == "alice"
    assert before and got["resolved_at"] == got["updated_at"] and got["updated_at"] > before["updated_at"]
    assert got["stats"]["count"] == 1


def test_any_other_status_clears_the_resolution(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    for status in ["muted", "open"]:
        patch(stack, admin, group[2], {"status": "resolved"})
        patch(stack, admin, group[2], {"status": status})
        got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
        assert got["status"] == status and "resolved_at" not in got and "resolved_by" not in got


def test_empty_tags_and_note_clear_them(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    patch(stack, admin, group[2], {"tags": ["a", "b", "a"], "note": "look at this"})
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert got["tags"] == ["a", "b"] and got["note"] == "look at this"
    patch(stack, admin, group[2], {"tags": []})
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert "tags" not in got and got["note"] == "look at this"
    patch(stack, admin, group[2], {"note": ""})
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert "note" not in got and got["status"] == "open"


def test_resolved_group_reopens_on_a_new_report_keeping_tags(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    patch(stack, admin, group[2], {"status": "resolved", "tags": ["known"], "note": "fixed in 1.4.3"})
    ingest(stack, group[1], report())
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert got["status"] == "open" and "resolved_at" not in got and "resolved_by" not in got
    assert (got["tags"], got["note"], got["stats"]["count"]) == (["known"], "fixed in 1.4.3", 2)


def test_muted_group_stays_muted_on_new_reports(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    patch(stack, admin, group[2], {"status": "muted"})
    ingest(stack, group[1], report())
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert (got["status"], got["stats"]["count"]) == ("muted", 2)


def test_patch_with_app_query_targets_that_app(stack: Any, admin: dict[str, str]) -> None:
    first, _ = make_app(stack, name="first")
    second, _ = make_app(stack, name="second")
    shared = "e" * 64
    put_group(stack, "t1", first, name="first", group_hash=shared, last_seen="2026-05-01T00:00:00.000Z")
    put_group(stack, "t1", second, name="second", group_hash=shared, last_seen="2026-05-02T00:00:00.000Z")
    assert patch(stack, admin, shared, {"status": "muted"}, app="first").status == 200
    first_item, second_item = group_item(stack, first, shared), group_item(stack, second, shared)
    assert first_item and second_item and (first_item["status"], second_item["status"]) == ("muted", "open")


# ---------------------------------------------------------------- DELETE
def test_delete_removes_the_group_its_blob_metadata_and_objects(
    stack: Any, settings_env: Any, admin: dict[str, str]
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    for _ in range(3):
        group_hash = ingest(stack, key, report(details=gzip_details())).json()["group_hash"]
    kept = ingest(stack, key, report(reason="other", details=gzip_details())).json()["group_hash"]
    s3 = boto3.client("s3")
    bucket = stack.name("BlobBucket")
    keys = [b["storage"]["key"] for b in blob_items(stack, app_id, group_hash)]
    assert len(keys) == 3
    result = stack.http("DELETE", f"/reports/groups/{group_hash}", headers=admin)
    assert (result.status, result.json()) == (200, {"group_hash": group_hash, "deleted": True})
    assert group_item(stack, app_id, group_hash) is None
    assert blob_items(stack, app_id, group_hash) == []
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert not set(keys) & set(remaining) and len(remaining) == 1
    assert group_item(stack, app_id, kept) and len(blob_items(stack, app_id, kept)) == 1
    again = stack.http("DELETE", f"/reports/groups/{group_hash}", headers=admin)
    assert error(again) == (404, "report group not found")
    assert error(stack.http("GET", f"/reports/groups/{group_hash}", headers=admin)) == (
        404,
        "report group not found",
    )


def test_delete_validates_the_hash(stack: Any, admin: dict[str, str]) -> None:
    assert error(stack.http("DELETE", "/reports/groups/xyz", headers=admin)) == (400, "invalid group hash")


def test_a_deleted_group_starts_afresh_on_the_next_report(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    ingest(stack, group[1], report())
    stack.http("DELETE", f"/reports/groups/{group[2]}", headers=admin)
    ingest(stack, group[1], report())
    item = group_item(stack, group[0], group[2])
    assert item and item["count"] == 1 and item["status"] == "open"


# ---------------------------------------------------------------- tenancy (PATCH, DELETE)
def team(stack: Any, owner: str, allowed: list[str], **flags: bool) -> dict[str, str]:
    permissions = {"apps": {**ALL_PERMISSIONS["apps"], **flags}, "reports": {"read": True}}
    return stack.auth(role="team", owner=owner, allowed_apps=allowed, permissions=permissions, sub="team-1")


def test_write_routes_tenancy_matrix(stack: Any) -> None:
    app_id, _ = make_app(stack, tenant="t1")
    other_app, _ = make_app(stack, tenant="t1", name="other")
    make_app(stack, tenant="t2")
    allowed, hidden, denied = 200, 404, 403
    cases = {
        "admin of the owner": (stack.auth(role="admin", owner="t1"), allowed, allowed),
        "admin of another owner": (stack.auth(role="admin", owner="t2"), hidden, hidden),
        "team, app allowed": (team(stack, "t1", [app_id]), allowed, allowed),
        "team, other app allowed": (team(stack, "t1", [other_app]), hidden, hidden),
        "team, nothing allowed": (team(stack, "t1", []), hidden, hidden),
        "team of another owner naming the app": (team(stack, "t2", [app_id]), hidden, hidden),
        "team without apps.edit": (team(stack, "t1", [app_id], edit=False), denied, allowed),
        "team without apps.delete": (team(stack, "t1", [app_id], delete=False), allowed, denied),
        "team with download only": (team(stack, "t1", [app_id], edit=False, delete=False), denied, denied),
        "ingest role": (stack.auth(role="ingest", owner="t1"), denied, denied),
    }
    for case, (headers, patch_status, delete_status) in cases.items():
        group_hash = put_group(stack, "t1", app_id, status="open")
        patched = patch(stack, headers, group_hash, {"status": "muted"})
        assert patched.status == patch_status, case
        item = group_item(stack, app_id, group_hash)
        assert item and item["status"] == ("muted" if patch_status == allowed else "open"), case
        deleted = stack.http("DELETE", f"/reports/groups/{group_hash}", headers=headers)
        assert deleted.status == delete_status, case
        assert (group_item(stack, app_id, group_hash) is None) == (delete_status == allowed), case
        for result in (patched, deleted):
            if result.status == denied:
                assert result.json() == {"error": "Permission denied"}, case
            if result.status == hidden:
                assert result.json() == {"error": "report group not found"}, case


def test_write_routes_need_a_jwt(stack: Any) -> None:
    for method in ["PATCH", "DELETE"]:
        result = stack.http(method, f"/reports/groups/{'a' * 64}", body={"status": "open"})
        assert result.status == 401, method


# ---------------------------------------------------------------- answers as documented
def test_patch_and_delete_answers_are_the_documented_bytes(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    # One model serializes each answer and is its schema in docs/openapi.json: check both.
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    route = document["paths"]["/reports/groups/{group_hash}"]
    patched = patch(stack, admin, group[2], {"tags": ["a"]})
    deleted = stack.http("DELETE", f"/reports/groups/{group[2]}", headers=admin)
    for method, answer, word in (("patch", patched, "updated"), ("delete", deleted, "deleted")):
        schema = route[method]["responses"]["200"]["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": document["components"]}).validate(answer.json())
        assert answer.body == f'{{"group_hash":"{group[2]}","{word}":true}}'.encode()
