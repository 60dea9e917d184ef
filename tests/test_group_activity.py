"""A group's recent activity (SPEC §10): reports per hour over 24 h and per day over 30 days, from the
hour counters on the group item and, for rolled-up days, the group rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alerts_support import DIMS
from fleetreport.groups.store import count_report
from fleetreport.settings import get_settings
from groups_support import make_app


def count(app_id: str, at: datetime, times: int = 1) -> None:
    for _ in range(times):
        count_report(get_settings().groups_table, owner="t1", app_id=app_id, dims=DIMS, now=at)


@pytest.fixture
def app_id(stack: Any) -> str:
    return make_app(stack, tenant="t1")[0]


def admin(stack: Any) -> dict[str, str]:
    return stack.auth(role="admin", owner="t1")


def test_group_detail_has_24_hours_and_30_days_of_counts(stack: Any, app_id: str) -> None:
    now = datetime.now(UTC)
    count(app_id, now, 3)
    count(app_id, now - timedelta(hours=5), 2)
    count(app_id, now - timedelta(hours=30))  # outside the 24 hours, inside the 30 days
    count(app_id, now - timedelta(days=40))  # outside both
    got = stack.http("GET", f"/reports/groups/{DIMS.group_hash}", headers=admin(stack)).json()
    hourly, daily = got["activity"]["hourly"], got["activity"]["daily"]
    assert len(hourly) == 24 and len(daily) == 30
    assert hourly[-1] == {"hour": now.strftime("%Y-%m-%dT%H:00:00.000Z"), "count": 3}
    five_ago = (now - timedelta(hours=5)).strftime("%Y-%m-%dT%H:00:00.000Z")
    assert {h["hour"]: h["count"] for h in hourly}[five_ago] == 2
    assert sum(h["count"] for h in hourly) == 5
    assert daily[-1]["day"] == now.strftime("%Y-%m-%d")
    assert sum(d["count"] for d in daily) == 6 and got["stats"]["count"] == 7


def test_rolled_up_days_still_count(stack: Any, app_id: str) -> None:
    now = datetime.now(UTC)
    three_days_ago = now - timedelta(days=3)
    count(app_id, three_days_ago, 4)
    count(app_id, now, 1)
    day = three_days_ago.strftime("%Y-%m-%d")
    stack.invoke("RollupFunction", {"from": day, "to": day, "tenants": ["t1"]})
    item = stack.table("GroupsTable").get_item(Key={"app_id": app_id, "group_hash": DIMS.group_hash})["Item"]
    assert not any(name.startswith(f"h{day.replace('-', '')}") for name in item)  # the rollup took them
    got = stack.http("GET", f"/reports/groups/{DIMS.group_hash}", headers=admin(stack)).json()
    assert {d["day"]: d["count"] for d in got["activity"]["daily"]}[day] == 4


def test_the_list_adds_the_24_hours_only_when_asked(stack: Any, app_id: str) -> None:
    now = datetime.now(UTC)
    count(app_id, now, 2)
    plain = stack.http("GET", "/reports/groups", headers=admin(stack)).json()["items"][0]
    assert "activity" not in plain
    listed = stack.http("GET", "/reports/groups", headers=admin(stack), query={"activity": "hourly"}).json()
    hourly = listed["items"][0]["activity"]["hourly"]
    assert len(hourly) == 24 and hourly[-1]["count"] == 2
    bad = stack.http("GET", "/reports/groups", headers=admin(stack), query={"activity": "daily"})
    assert (bad.status, bad.json()) == (400, {"error": "invalid activity"})
