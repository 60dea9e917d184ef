"""Listing groups with an opaque cursor (SPEC §9): order, ties, filters, bad cursors, bounded reads."""

from __future__ import annotations

from typing import Any

import pytest
from groups_support import make_app, put_group
from test_groups_read import ReadCounter, times


@pytest.fixture
def admin(stack: Any) -> dict[str, str]:
    return stack.auth(role="admin", owner="t1", sub="admin-1")


def groups(stack: Any, headers: dict[str, str], **query: Any) -> Any:
    return stack.http("GET", "/reports/groups", headers=headers, query=query)


def follow(stack: Any, headers: dict[str, str], **query: Any) -> list[list[str]]:
    """Every page from page 1 through next_cursor, as lists of hashes."""
    pages, cursor = [], None
    while True:
        body = groups(stack, headers, **query, **({"cursor": cursor} if cursor else {})).json()
        pages.append([g["group_hash"] for g in body["items"]])
        cursor = body.get("next_cursor")
        if cursor is None:
            return pages


def test_cursor_pages_cover_every_group_once_in_order(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    made = [put_group(stack, "t1", app_id, reason=f"r{n}", last_seen=times(n)) for n in range(25)]
    newest_first = list(reversed(made))
    pages = follow(stack, admin, limit=7)
    assert pages == [newest_first[i : i + 7] for i in range(0, 25, 7)]
    assert pages == follow(stack, admin, app="test", limit=7)  # the app's index, the owner's: same
    by_page = [
        [g["group_hash"] for g in groups(stack, admin, limit=7, page=p).json()["items"]] for p in (1, 2)
    ]
    assert by_page == pages[:2]  # faynoSync's page numbers agree with the cursor
    last = groups(stack, admin, limit=5, page=5).json()
    assert "next_cursor" not in last and last["total"] == 25  # nothing follows the last page


def test_ties_across_pages_stay_in_group_hash_order(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    tied = sorted(put_group(stack, "t1", app_id, reason=f"tie{n}", last_seen=times(5)) for n in range(9))
    newer = put_group(stack, "t1", app_id, reason="newer", last_seen=times(6))
    older = put_group(stack, "t1", app_id, reason="older", last_seen=times(1))
    pages = follow(stack, admin, limit=4)
    assert [h for page in pages for h in page] == [newer, *tied, older]


def test_status_view_pages_by_cursor_with_total_from_counts(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    other_id, _ = make_app(stack, name="other")
    muted = [
        put_group(stack, "t1", app_id, reason=f"m{n}", status="muted", last_seen=times(n)) for n in range(7)
    ]
    for n in range(5):
        put_group(stack, "t1", app_id, reason=f"o{n}", last_seen=times(10 + n))
    put_group(stack, "t1", other_id, name="other", reason="m", status="muted", last_seen=times(30))
    pages = follow(stack, admin, app="test", status="muted", limit=3)
    assert [h for page in pages for h in page] == list(reversed(muted))
    assert groups(stack, admin, app="test", status="muted").json()["total"] == 7
    assert groups(stack, admin, status="muted").json()["total"] == 8  # every app of the owner
    assert len([h for page in follow(stack, admin, status="muted", limit=3) for h in page]) == 8


def test_dimension_filtered_views_page_by_cursor_too(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    linux = [
        put_group(stack, "t1", app_id, reason=f"l{n}", platform="linux", last_seen=times(2 * n))
        for n in range(6)
    ]
    for n in range(6):
        put_group(stack, "t1", app_id, reason=f"w{n}", last_seen=times(2 * n + 1))
    pages = follow(stack, admin, platform="linux", limit=4)
    assert pages == [list(reversed(linux))[:4], list(reversed(linux))[4:]]
    assert groups(stack, admin, platform="linux", limit=4).json()["total"] == 6


def test_a_bad_cursor_is_400(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    for n in range(3):
        put_group(stack, "t1", app_id, reason=f"r{n}", last_seen=times(n))
    cursor = groups(stack, admin, limit=1).json()["next_cursor"]
    for bad in ["x", "!!!", "eyJzIjoxfQ", cursor[:-3], "bnVsbA"]:
        assert groups(stack, admin, limit=1, cursor=bad).json() == {"error": "invalid cursor"}, bad
    other_view = groups(stack, admin, limit=1, cursor=cursor, status="open")
    assert (other_view.status, other_view.json()) == (400, {"error": "invalid cursor"})
    assert groups(stack, admin, limit=2, cursor=cursor).status == 200  # another limit is fine


def test_page_one_and_cursor_pages_read_at_most_limit_plus_ten(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    with stack.table("GroupsTable").batch_writer() as batch:
        for n in range(300):
            status = "resolved" if n % 3 == 0 else "open"
            put_group(stack, "t1", app_id, reason=f"r{n}", status=status, last_seen=times(n), batch=batch)
    counter = ReadCounter(stack.name("GroupsTable"))
    for query in ({}, {"app": "test"}, {"app": "test", "status": "resolved"}, {"status": "open"}):
        cursor, seen = None, 0
        for _ in range(3):
            stack.drain()
            counter.items = 0
            body = groups(stack, admin, limit=20, **query, **({"cursor": cursor} if cursor else {})).json()
            assert len(body["items"]) == 20 and counter.items <= 20 + 10, (query, counter.items)
            cursor, seen = body["next_cursor"], seen + 20
        assert body["total"] == {"resolved": 100, "open": 200}.get(query.get("status", ""), 300)
    assert counter.scans == 0


def test_a_listed_group_is_its_detail_answer_in_every_index_view(
    stack: Any, group: tuple[str, str, str]
) -> None:
    """A page is served from the indexes' projection: every field the group shows, triage included,
    reaches the list as it reaches the group's own answer."""
    _, _, group_hash = group
    admin = stack.auth(role="admin", owner="t1", sub="alice")
    patch = {"status": "muted", "tags": ["ui", "crash"], "note": "looking", "mute_until_count": 5}
    assert stack.http("PATCH", f"/reports/groups/{group_hash}", headers=admin, body=patch).status == 200
    stack.drain()
    detail = stack.http("GET", f"/reports/groups/{group_hash}", headers=admin).json()
    detail.pop("activity", None)
    assert {"tags", "note", "mute_ends_at_count"} <= set(detail)
    for query in ({}, {"app": "test"}, {"app": "test", "status": "muted"}, {"status": "muted"}):
        items = groups(stack, admin, **query).json()["items"]
        assert items == [detail], query


def test_a_filtered_cursor_page_continues_its_walk_and_keeps_the_total(
    stack: Any, admin: dict[str, str]
) -> None:
    """SPEC §9: page 1 of a dimension-filtered view walks the partition to count its matches; the
    next page starts at the cursor and reads only as far as its own page, never from the start."""
    app_id, _ = make_app(stack)
    linux: list[str] = []
    with stack.table("GroupsTable").batch_writer() as batch:
        for n in range(300):
            platform = "linux" if n % 3 == 0 else "windows"
            made = put_group(
                stack, "t1", app_id, reason=f"r{n}", platform=platform, last_seen=times(n), batch=batch
            )
            if platform == "linux":
                linux.append(made)
    counter = ReadCounter(stack.name("GroupsTable"))
    first = groups(stack, admin, platform="linux", limit=10).json()
    walked, counter.items = counter.items, 0
    second = groups(stack, admin, platform="linux", limit=10, cursor=first["next_cursor"]).json()
    newest_first = list(reversed(linux))
    assert [g["group_hash"] for g in first["items"] + second["items"]] == newest_first[:20]
    assert first["total"] == second["total"] == 100
    assert walked >= 300 and counter.items <= 3 * 20 + 10 + 10, counter.items  # entries up to its page
    assert counter.scans == 0
    pages = follow(stack, admin, platform="linux", limit=30)
    assert [h for page in pages for h in page] == newest_first


def test_a_page_deeper_than_ten_thousand_groups_needs_the_cursor(stack: Any, admin: dict[str, str]) -> None:
    make_app(stack)
    for page, limit in ((101, 100), (501, 20), (10_001, 1)):
        answer = groups(stack, admin, page=page, limit=limit, platform="linux")
        assert (answer.status, answer.json()) == (400, {"error": "use cursor for deep pages"}), (page, limit)
        assert groups(stack, admin, page=page, limit=limit).status == 400
    assert groups(stack, admin, page=100, limit=100).json()["items"] == []  # 10,000 deep is allowed
    assert groups(stack, admin, page=500, limit=20).status == 200
