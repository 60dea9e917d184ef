"""Every cursor-taking route (`GET /reports/groups`, `GET /alerts`) refuses whatever is not a cursor it
issued as 400 `invalid cursor` (fleetreport/cursors.py): bad base64, not JSON, JSON nested deep, a field
of another type, format or size, a missing or an extra field. A cursor's fields become key conditions,
so none of them may reach DynamoDB unchecked (the strict hook would fail the test if one did)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from fleetreport.alerts.log import encode_cursor
from groups_support import make_app, put_group
from test_groups_read import times

Fields = dict[str, Any]
INVALID = (400, {"error": "invalid cursor"})


def encoded(raw: bytes | str) -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decoded(cursor: str) -> Fields:
    fields: Fields = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return fields


def groups_cursor(stack: Any, headers: dict[str, str]) -> str:
    app_id, _ = make_app(stack)
    for n in range(3):
        put_group(stack, "t1", app_id, reason=f"r{n}", last_seen=times(n))
    cursor: str = stack.http("GET", "/reports/groups", headers=headers, query={"limit": 1}).json()[
        "next_cursor"
    ]
    return cursor


def alerts_cursor(stack: Any, headers: dict[str, str]) -> str:
    make_app(stack)
    return encode_cursor(f"{times(1)}#{'0' * 32}")  # the log's sort key format: an empty page after it


ROUTES = {
    "groups": ("/reports/groups", {"limit": 1}, groups_cursor),
    "alerts": ("/alerts", {}, alerts_cursor),
}


def oversized(fields: Fields, name: str) -> Fields:
    """One field 1,100 characters long: over DynamoDB's 1,024-byte sort-key limit."""
    return {**fields, name: str(fields[name])[:1] * 1100}


def spoiled(fields: Fields) -> list[tuple[str, Fields | Any]]:
    """Every way a decoded cursor can be wrong, field by field."""
    cases: list[tuple[str, Fields | Any]] = [("extra field", {**fields, "x": "1"}), ("a list", [fields])]
    for name, value in fields.items():
        cases += [
            (f"{name} missing", {k: v for k, v in fields.items() if k != name}),
            (f"{name} a number", {**fields, name: 7}),
            (f"{name} null", {**fields, name: None}),
            (f"{name} an object", {**fields, name: {"v": value}}),
            (f"{name} longer", {**fields, name: value + "0"}),
            (f"{name} shorter", {**fields, name: value[:-1]}),
            (f"{name} 1,100 characters", oversized(fields, name)),
            (f"{name} another alphabet", {**fields, name: value[:-1] + "#"}),
        ]
    return cases


@pytest.mark.parametrize("route", ROUTES)
def test_every_field_of_a_cursor_is_checked_for_type_format_and_size(stack: Any, route: str) -> None:
    path, query, issue = ROUTES[route]
    headers = stack.auth(role="admin", owner="t1", sub="alice")
    cursor = issue(stack, headers)
    assert stack.http("GET", path, headers=headers, query={**query, "cursor": cursor}).status == 200
    for case, value in spoiled(decoded(cursor)):
        answer = stack.http(
            "GET", path, headers=headers, query={**query, "cursor": encoded(json.dumps(value))}
        )
        assert (answer.status, answer.json()) == INVALID, case


def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "make",
    [
        lambda fields: encoded(json.dumps({**fields, "s": "x"})[:-1] + ',"d":' + deep_json(300) + "}"),
        lambda fields: encoded(deep_json(300)),
        lambda fields: encoded(b"\xff\xfe{}"),  # not UTF-8
        lambda fields: encoded("null"),
        lambda fields: encoded(json.dumps(fields) + " trailing"),
        lambda fields: "!!!" + encoded(json.dumps(fields)),  # outside the base64url alphabet
        lambda fields: encoded(json.dumps(fields)) + "=" * 3,
        lambda fields: "A" * 5000,  # longer than any cursor issued: refused unread
    ],
    ids=["deep field", "deep", "not utf-8", "null", "trailing text", "bad alphabet", "bad padding", "huge"],
)
def test_a_cursor_that_is_not_json_of_a_cursor_is_invalid_not_a_bad_body(
    stack: Any, route: str, make: Callable[[Fields], str]
) -> None:
    path, query, issue = ROUTES[route]
    headers = stack.auth(role="admin", owner="t1", sub="alice")
    fields = decoded(issue(stack, headers))
    answer = stack.http("GET", path, headers=headers, query={**query, "cursor": make(fields)})
    assert (answer.status, answer.json()) == INVALID
