"""Conditional mutes (SPEC §10): PATCH validation, what is stored and served, and how it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from groups_support import group_item, ingest, report


def patch(stack: Any, headers: dict[str, str], group_hash: str, body: Any) -> Any:
    return stack.http("PATCH", f"/reports/groups/{group_hash}", headers=headers, body=body)


def future(hours: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "muted", "mute_until": "tomorrow"}, "invalid mute_until"),
        ({"status": "muted", "mute_until": 12}, "invalid mute_until"),
        ({"status": "muted", "mute_until": "2020-01-01T00:00:00Z"}, "invalid mute_until"),
        ({"status": "muted", "mute_until": "2026-13-40T00:00:00Z"}, "invalid mute_until"),
        ({"status": "muted", "mute_until_count": 0}, "invalid mute_until_count"),
        ({"status": "muted", "mute_until_count": -3}, "invalid mute_until_count"),
        ({"status": "muted", "mute_until_count": "5"}, "invalid mute_until_count"),
        ({"status": "muted", "mute_until_count": True}, "invalid mute_until_count"),
        ({"status": "muted", "mute_until_count": 1.5}, "invalid mute_until_count"),
        ({"status": "muted", "mute_until_count": 1_000_000_001}, "invalid mute_until_count"),
        ({"mute_until_count": 5}, "mute_until and mute_until_count need status muted"),
        ({"status": "open", "mute_until": future()}, "mute_until and mute_until_count need status muted"),
        ({"status": "bogus", "mute_until_count": 5}, "invalid status"),
    ],
)
def test_bad_mute_bounds_are_400_with_clear_messages(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str], body: dict[str, Any], message: str
) -> None:
    answer = patch(stack, admin, group[2], body)
    assert (answer.status, answer.json()["error"]) == (400, message)
    assert group_item(stack, group[0], group[2])["status"] == "open"


def test_conditional_mute_is_stored_and_served(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    until = future()
    answer = patch(stack, admin, group[2], {"status": "muted", "mute_until": until, "mute_until_count": 5})
    assert answer.status == 200
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert got["status"] == "muted"
    assert got["mute_until"] == until.replace("Z", ".000Z")
    assert got["mute_ends_at_count"] == 1 + 5  # the group had 1 report when muted


def test_a_plain_status_change_clears_the_mute_bounds(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    patch(stack, admin, group[2], {"status": "muted", "mute_until_count": 5})
    for status in ["muted", "open"]:
        assert patch(stack, admin, group[2], {"status": status}).status == 200
        got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
        assert got["status"] == status and "mute_until" not in got and "mute_ends_at_count" not in got


def test_a_new_conditional_mute_replaces_the_earlier_bound(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    patch(stack, admin, group[2], {"status": "muted", "mute_until_count": 5})
    until = future(3)
    patch(stack, admin, group[2], {"status": "muted", "mute_until": until})
    got = stack.http("GET", f"/reports/groups/{group[2]}", headers=admin).json()
    assert "mute_ends_at_count" not in got and got["mute_until"].startswith(until[:19])


def test_ingest_alone_keeps_a_conditionally_muted_group_muted(
    stack: Any, admin: dict[str, str], group: tuple[str, str, str]
) -> None:
    """Reopening is the stream consumer's job (tests/test_alerts_signals.py): ingest stays one write."""
    patch(stack, admin, group[2], {"status": "muted", "mute_until_count": 1})
    ingest(stack, group[1], report())
    item = group_item(stack, group[0], group[2])
    assert (item["status"], int(item["count"]), int(item["mute_ends_at_count"])) == ("muted", 2, 2)
