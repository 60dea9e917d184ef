"""group_trend (SPEC §4.5): per-day report counts of one app by event type, from rollups plus today."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fleetreport.groups.models import Dimensions
from fleetreport.groups.store import count_report
from fleetreport.reports.dates import parse_timezone
from fleetreport.reports.status_trend import day_key
from fleetreport.rollup import groups as rollup_groups
from groups_support import make_app
from rollup_support import counting_reads, roll, rollup_items

NOW = datetime.now(UTC)
TODAY = NOW.date()


def report(stack: Any, app_id: str, moment: datetime, tenant: str = "t1", **dims: str) -> None:
    values = {"name": "test", "version": "1.0", "channel": "stable", "platform": "linux", "arch": "amd64"}
    values |= {"type": "crash", "reason": "boom"} | dims
    count_report(
        stack.name("GroupsTable"), owner=tenant, app_id=app_id, dims=Dimensions(**values), now=moment
    )


def expected(moments: list[tuple[datetime, str]], first: date, last: date, zone_name: str) -> dict[str, Any]:
    """Each report in the local day its UTC hour starts in (exact for whole-hour zones)."""
    zone = parse_timezone(zone_name)
    assert zone is not None
    days: dict[date, Counter[str]] = {}
    for moment, kind in moments:
        local = moment.replace(minute=0, second=0, microsecond=0).astimezone(zone).date()
        days.setdefault(local, Counter())[kind] += 1
    result = {}
    day = first
    while day <= last:
        result[day_key(day, zone)] = dict(sorted(days.get(day, Counter()).items()))
        day += timedelta(days=1)
    return result


def trend(stack: Any, query: dict[str, str], tenant: str = "t1", **claims: Any) -> Any:
    headers = stack.auth(role=claims.pop("role", "admin"), owner=tenant, **claims)
    return stack.http("GET", "/reports/group_trend/run", headers=headers, query=query)


@pytest.fixture
def history(stack: Any) -> tuple[str, list[tuple[datetime, str]]]:
    return make_history(stack)


def make_history(stack: Any) -> tuple[str, list[tuple[datetime, str]]]:
    """Reports over the last six days (rolled up) and today (live), on both sides of UTC midnights."""
    app_id, _ = make_app(stack, "t1", name="test")
    start = datetime.combine(TODAY - timedelta(days=6), datetime.min.time(), tzinfo=UTC)
    moments: list[tuple[datetime, str]] = []
    for index in range(40):
        moment = start + timedelta(hours=index * 3.7)
        if moment > NOW:
            break
        kind = ("crash", "update_failure", "install_failure")[index % 3]
        report(stack, app_id, moment, type=kind)
        moments.append((moment, kind))
    report(stack, app_id, NOW, type="crash", version="2.0")
    moments.append((NOW, "crash"))
    roll(NOW)
    return app_id, moments


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago", "Asia/Tokyo", "GMT-0600"])
def test_days_count_reports_by_type_from_rollups_and_today(stack: Any, history: Any, zone: str) -> None:
    _, moments = history
    first, last = TODAY - timedelta(days=5), TODAY
    query = {"app": "test", "start_date": first.isoformat(), "end_date": last.isoformat(), "timezone": zone}
    answer = trend(stack, query)
    assert answer.status == 200, answer.text
    local_today = NOW.astimezone(parse_timezone(zone)).date()  # west of UTC just after midnight: yesterday
    assert answer.json() == expected(moments, first, min(last, local_today), zone)  # later days are clamped


def test_days_too_big_to_sit_in_their_month_item_are_read_from_their_parts(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollup_groups, "MAX_INLINE_DAY_BYTES", 0)
    monkeypatch.setattr(rollup_groups, "MAX_PART_BYTES", 0)  # one row per part
    app_id, moments = make_history(stack)
    sort_keys = {item["sk"][:2] for item in rollup_items(stack) if item["pk"] == f"GT#{app_id}"}
    assert sort_keys == {"M#", "D#"}
    first, last = TODAY - timedelta(days=6), TODAY
    query = {"app": "test", "start_date": first.isoformat(), "end_date": last.isoformat()}
    assert trend(stack, query).json() == expected(moments, first, last, "UTC")
    assert trend(stack, {"app": "test"}).json() == expected(moments, first, last, "UTC")


def test_half_hour_zones_count_each_hour_in_the_day_it_starts(stack: Any, history: Any) -> None:
    _, moments = history
    first, last = TODAY - timedelta(days=4), TODAY - timedelta(days=1)
    query = {"app": "test", "start_date": first.isoformat(), "end_date": last.isoformat()}
    answer = trend(stack, {**query, "timezone": "Asia/Kolkata"})
    assert answer.json() == expected(moments, first, last, "Asia/Kolkata")


def test_dimension_filters_narrow_the_counts(stack: Any, history: Any) -> None:
    _, moments = history
    query = {"app": "test", "start_date": TODAY.isoformat(), "version": "2.0"}
    assert trend(stack, query).json() == {day_key(TODAY, UTC): {"crash": 1}}
    query = {"app": "test", "start_date": (TODAY - timedelta(days=6)).isoformat(), "type": "install_failure"}
    total = sum(sum(day.values()) for day in trend(stack, query).json().values())
    assert total == sum(1 for _, kind in moments if kind == "install_failure")


def test_open_bounds_run_from_the_first_report_to_today(stack: Any, history: Any) -> None:
    _, moments = history
    days = trend(stack, {"app": "test"}).json()
    first = min(moment for moment, _ in moments).date()
    assert list(days) == [day_key(first + timedelta(days=n), UTC) for n in range((TODAY - first).days + 1)]
    assert sum(sum(day.values()) for day in days.values()) == len(moments)


def test_the_app_may_be_named_by_its_id(stack: Any, history: Any) -> None:
    app_id, _ = history
    by_id = trend(stack, {"app": app_id, "start_date": "2026-01-01"})
    assert by_id.status == 200
    assert by_id.json() == trend(stack, {"app": "test", "start_date": "2026-01-01"}).json()


def test_an_unknown_or_foreign_app_is_refused_alike(stack: Any, history: Any) -> None:
    app_id, _ = history
    for query, tenant in (({"app": "nope"}, "t1"), ({"app": "test"}, "t2"), ({"app": app_id}, "t2")):
        answer = trend(stack, query, tenant)
        assert answer.status == 400, answer.text
        assert answer.json()["displayMessage"] == "app: No app with this name or id."


def test_team_users_see_only_their_allowed_apps(stack: Any, history: Any) -> None:
    app_id, _ = history
    allowed = trend(stack, {"app": "test"}, role="team", allowed_apps=[app_id])
    assert allowed.status == 200
    other = trend(stack, {"app": "test"}, role="team", allowed_apps=["someone-else"])
    assert (other.status, other.json()["displayMessage"]) == (400, "app: No app with this name or id.")
    no_read = {"apps": {"download": True}, "reports": {"read": False}}
    assert (
        trend(stack, {"app": "test"}, role="team", allowed_apps=[app_id], permissions=no_read).status == 403
    )


def test_validation_paging_and_csv_are_the_engines(stack: Any, history: Any) -> None:
    missing = trend(stack, {})
    assert (missing.status, missing.json()["displayMessage"]) == (400, "app: Required parameter.")
    bad = trend(stack, {"app": "test", "start_date": "yesterday"})
    assert bad.json()["displayMessage"] == "start_date: Invalid date string. Expected format: yyyy-MM-dd"
    query = {
        "app": "test",
        "start_date": (TODAY - timedelta(days=5)).isoformat(),
        "page": "2",
        "per_page": "2",
    }
    paged = trend(stack, {**query, "order": "asc"})
    assert paged.header("X-Total-Count") == "6"
    assert list(paged.json()) == [day_key(TODAY - timedelta(days=n), UTC) for n in (3, 2)]
    table = list(csv.reader(io.StringIO(trend(stack, {**query, "format": "csv"}).text)))
    assert table[0][0] == "date" and len(table) == 3


def test_a_year_of_days_reads_at_most_400_items_whatever_the_other_apps_hold(stack: Any) -> None:
    app_id, _ = make_app(stack, "t1", name="test")
    other_id, _ = make_app(stack, "t1", name="other")
    start = datetime.combine(TODAY - timedelta(days=364), datetime.min.time(), tzinfo=UTC)
    for day in range(0, 365, 3):
        report(stack, app_id, start + timedelta(days=day, hours=day % 24))
    roll(NOW)
    query = {
        "app": "test",
        "start_date": (TODAY - timedelta(days=364)).isoformat(),
        "end_date": TODAY.isoformat(),
    }
    with counting_reads() as small:
        answer = trend(stack, query)
    assert len(answer.json()) == 365
    for number in range(30):
        report(stack, other_id, NOW, reason=f"r{number}")
    with counting_reads() as large:
        trend(stack, query)
    assert small.items == large.items <= 400
