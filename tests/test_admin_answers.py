"""The admin routes' success answers are what docs/openapi.json says (one model serializes the answer and
is its schema), with the wire's key order (SPEC §3.6)."""

from __future__ import annotations

import json
from typing import Any

from fleetreport_local.openapi import DOCUMENT_PATH
from jsonschema import Draft202012Validator

APP_KEYS = ["id", "name", "reports", "key_prefix", "created_at", "updated_at"]
KEY_ROW_KEYS = ["id", "app_id", "app_name", "key_prefix", "updated_at"]


def call(stack: Any, method: str, route: str, status: int, body: Any = None, **path: str) -> dict[str, Any]:
    """Call `route` as an admin of t1; the answer's body, checked against the committed document's schema."""
    answer = stack.http(method, route.format(**path), headers=stack.auth(role="admin", owner="t1"), body=body)
    assert answer.status == status, answer.text
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    content = document["paths"][route][method.lower()]["responses"][str(status)]["content"]
    schema = {**content["application/json"]["schema"], "components": document["components"]}
    answered: dict[str, Any] = answer.json()
    Draft202012Validator(schema).validate(answered)
    return answered


def test_admin_answers_match_the_document_in_wire_key_order(stack: Any) -> None:
    created = call(stack, "POST", "/apps", 201, {"name": "desk", "reports": True})
    assert list(created) == ["id", "name", "reports", "report_key", "created_at"]
    quiet = call(stack, "POST", "/apps", 201, {"name": "quiet"})
    assert list(quiet) == ["id", "name", "reports", "created_at"]

    listed = call(stack, "GET", "/apps", 200)["items"]
    by_name = {app["name"]: list(app) for app in listed}
    assert by_name == {"desk": APP_KEYS, "quiet": [key for key in APP_KEYS if key != "key_prefix"]}

    switched_on = call(stack, "PATCH", "/apps/{app_id}", 200, {"reports": True}, app_id=quiet["id"])
    assert list(switched_on) == [*APP_KEYS, "report_key"]
    renamed = call(stack, "PATCH", "/apps/{app_id}", 200, {"name": "calm"}, app_id=quiet["id"])
    assert list(renamed) == APP_KEYS

    rows = call(stack, "GET", "/report-keys/list", 200)["report_keys"]
    assert [list(row) for row in rows] == [KEY_ROW_KEYS, KEY_ROW_KEYS]
    regenerated = call(stack, "POST", "/report-keys/regenerate", 200, {"app_id": created["id"]})
    assert list(regenerated) == ["app_id", "key_value"]
