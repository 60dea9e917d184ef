"""The demo's report history (docs/demo.md): seeded through the real counting, triage and rollup code,
it tells its story on the first run — weeks of groups, a bad release that spikes, is resolved and
regresses — and the counts the API serves are the story's own."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from fleetreport.rollup import runs
from fleetreport_local import seed_apps, seed_groups, seed_releases
from fleetreport_local.seed_devices import story_device
from fleetreport_local.seed_history import dimensions
from fleetreport_local.seed_story import (
    BAD_RELEASE,
    GROUPS,
    NEW_TODAY,
    REGRESSED_DAY,
    RELEASE_DAY,
    RESOLVED_DAY,
    SPIKE_HOUR,
    story,
)
from fleetreport_local.seeding import SeedContext

NOW = datetime(2026, 5, 20, 15, 30, tzinfo=UTC)


# ---------------------------------------------------------------------- the story as data
def test_the_bad_release_is_new_then_spikes_tenfold_in_its_second_hour() -> None:
    reports, _ = story(NOW)
    release = [r.at for r in reports if r.group is BAD_RELEASE]
    per_hour = Counter(at.replace(minute=0, second=0) for at in release)
    first_hour = min(per_hour)
    assert first_hour.date() == (NOW - timedelta(days=RELEASE_DAY)).date()
    spike = per_hour[first_hour + timedelta(hours=1)]
    assert first_hour.hour + 1 == SPIKE_HOUR
    assert spike >= 10 and spike >= 10 * per_hour[first_hour]  # SPEC §10 group.spike for a young group


def test_the_bad_release_is_resolved_then_reported_again_days_later() -> None:
    reports, triage = story(NOW)
    (resolve,) = [t for t in triage if t.group is BAD_RELEASE]
    assert resolve.patch["status"] == "resolved"
    assert resolve.at.date() == (NOW - timedelta(days=RESOLVED_DAY)).date()
    after = [r.at for r in reports if r.group is BAD_RELEASE and r.at > resolve.at]
    assert min(after).date() == (NOW - timedelta(days=REGRESSED_DAY)).date()  # group.regressed


def test_the_story_spans_35_days_and_never_reports_in_the_future() -> None:
    reports, triage = story(NOW)
    assert (NOW - reports[0].at).days >= 35
    assert max(r.at for r in reports) <= NOW and max(t.at for t in triage) <= NOW
    assert story(NOW) == story(NOW)  # the same demo every run


# ---------------------------------------------------------------------- seeded through the real code
SEEDED_AT = datetime.now(UTC)


@pytest.fixture(scope="module")
def seeded(module_stack: Any) -> tuple[Any, list[str]]:
    """The groups seeder run once against the module's moto stack (the tests only read), its API calls
    through the real handlers."""
    stack = module_stack

    def call(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        answer = stack.http(method, path, headers=headers, body=json.dumps(body))
        return answer.status, answer.json()

    ctx = SeedContext(
        "http://127.0.0.1:3000", None, "demo", "TOKEN", stack.template, boto3.Session(), call=call
    )  # type: ignore[arg-type]
    seed_apps._issued.clear()
    return stack, seed_groups.seed(ctx, now=SEEDED_AT)


def groups_by_name(stack: Any) -> dict[str, dict[str, Any]]:
    page = stack.http(
        "GET", "/reports/groups", query={"limit": "100"}, headers=stack.auth(role="admin", owner="demo")
    ).json()
    by_hash = {item["group_hash"]: item for item in page["items"]}
    return {group.name: by_hash[dimensions(group).group_hash] for group in GROUPS}


def test_seeded_groups_carry_the_storys_counts_statuses_and_dates(seeded: tuple[Any, list[str]]) -> None:
    stack, lines = seeded
    now = SEEDED_AT
    reports, _ = story(now)
    expected = Counter(r.group.name for r in reports)
    groups = groups_by_name(stack)
    for name, count in expected.items():
        assert groups[name]["stats"]["count"] == count, name
    assert groups[NEW_TODAY.name]["stats"]["count"] == seed_groups.TODAY_REPORTS  # posted via the API
    assert groups[NEW_TODAY.name]["stats"]["details_stored"] == seed_groups.TODAY_REPORTS
    bad = groups[BAD_RELEASE.name]
    assert bad["status"] == "open" and "resolved_at" not in bad  # resolved, then reopened by a report
    assert bad["tags"] == ["rollout-halted"]
    assert (groups["rollback"]["status"], groups["rollback"]["resolved_by"]) == ("resolved", "demo-admin")
    assert groups["libssl"]["status"] == "muted"
    first = min(g["stats"]["first_seen"] for g in groups.values())
    assert first[:10] == (now - timedelta(days=35)).date().isoformat()
    assert any("$TOKEN" in line for line in lines)


def story_devices(now: datetime) -> tuple[dict[str, set[str]], dict[str, dict[str, set[str]]]]:
    """Who sent each story report (seed_devices.story_device; a report with a payload is a device of
    its own): the devices of each group, in all and per UTC day, recounted from the story."""
    reports, _ = story(now)
    ever: dict[str, set[str]] = defaultdict(set)
    daily: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    index: Counter[str] = Counter()
    for nth, report in enumerate(reports, 1):
        name = report.group.name
        if report.details:
            device = f"demo-device-{nth}"
        else:
            device = story_device(report.group, index[name])
            index[name] += 1
        ever[name].add(device)
        daily[name][report.at.date().isoformat()].add(device)
    return ever, daily


def test_seeded_groups_count_the_storys_devices_in_all_and_per_day(seeded: tuple[Any, list[str]]) -> None:
    stack, _ = seeded
    ever, daily = story_devices(SEEDED_AT)
    groups = groups_by_name(stack)
    for name, devices in ever.items():
        assert groups[name]["stats"]["devices"] == len(devices), name
    assert groups[NEW_TODAY.name]["stats"]["devices"] == seed_groups.TODAY_REPORTS  # one device each
    admin = stack.auth(role="admin", owner="demo")
    for name in (BAD_RELEASE.name, "oom"):
        detail = stack.http("GET", f"/reports/groups/{groups[name]['group_hash']}", headers=admin).json()
        for day in detail["activity"]["daily"]:
            assert day["devices"] == len(daily[name].get(day["day"], ())), (name, day)


def test_group_trend_shows_the_spike_and_the_regression_on_the_first_run(
    seeded: tuple[Any, list[str]],
) -> None:
    stack, _ = seeded
    trend = stack.http(
        "GET",
        "/reports/group_trend/run",
        query={"app": "desktop-client", "type": "crash", "version": "1.5.0"},
        headers=stack.auth(role="admin", owner="demo"),
    ).json()
    today = datetime.now(UTC).date()

    def crashes(days_ago: int) -> int:
        key = f"{(today - timedelta(days=days_ago)).isoformat()}T23:59:59.999+0000"
        return int(trend.get(key, {}).get("crash", 0))

    assert crashes(RELEASE_DAY) >= 50
    assert crashes(RELEASE_DAY + 1) == 0
    assert all(crashes(days) == 0 for days in range(REGRESSED_DAY + 1, RESOLVED_DAY))  # quiet, resolved
    assert crashes(REGRESSED_DAY) >= 1


def test_closed_days_are_rolled_up_and_only_todays_counters_stay_on_the_groups(
    seeded: tuple[Any, list[str]],
) -> None:
    stack, _ = seeded
    today = datetime.now(UTC).date()
    state = runs.read_run(stack.table("RollupsTable"), "demo")
    assert state.groups_day == state.groups_clean == (today - timedelta(days=1)).isoformat()
    hours = [
        (item["event_reason"], name)
        for item in stack.table("GroupsTable").scan()["Items"]
        for name in item
        if name.startswith("h") and name[1:].isdigit()
    ]
    assert hours, "today's reports (NEW_TODAY) leave hour counters on their group"
    assert all(name[1:9] == f"{today:%Y%m%d}" for _, name in hours), hours


def test_seeding_twice_adds_nothing(seeded: tuple[Any, list[str]]) -> None:
    stack, _ = seeded
    before = {name: g["stats"]["count"] for name, g in groups_by_name(stack).items()}
    ctx = SeedContext("http://127.0.0.1:3000", None, "demo", "TOKEN", stack.template, boto3.Session())  # type: ignore[arg-type]
    assert "already there" in seed_groups.seed(ctx)[0]
    assert {name: g["stats"]["count"] for name, g in groups_by_name(stack).items()} == before


def test_a_failing_seeder_is_one_error_line_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import sys
    import types

    from fleetreport_local.seed import run_seeders

    def broken(ctx: SeedContext) -> list[str]:
        raise RuntimeError("no table")

    monkeypatch.setitem(sys.modules, "fleetreport_local.seed_broken", types.SimpleNamespace(seed=broken))
    monkeypatch.setitem(
        sys.modules, "fleetreport_local.seed_fine", types.SimpleNamespace(seed=lambda ctx: ["fine"])
    )
    steps: list[str] = []
    caplog.set_level(logging.WARNING, logger="fleetreport.local.seed")
    lines = run_seeders(None, ("seed_broken", "seed_fine"), on_step=steps.append)  # type: ignore[arg-type]
    assert lines == ["fine"]
    assert steps == ["seeding seed_broken", "seeding seed_fine"]
    (record,) = caplog.records
    assert record.getMessage() == "seed: seed_broken failed: RuntimeError: no table"
    assert not record.exc_info  # the traceback only when verbose


# ---------------------------------------------------------------------- release health (SPEC §12)
def test_the_fleet_sends_beacons_through_the_bad_releases_whole_story_and_never_in_the_future() -> None:
    marks = seed_releases.device_marks(NOW)
    release_day = (NOW - timedelta(days=RELEASE_DAY)).date()
    bad_days = {mark.at.date() for mark in marks if mark.version == BAD_RELEASE.version}
    assert bad_days == {release_day + timedelta(days=n) for n in range(RELEASE_DAY + 1)}
    assert all(mark.at < NOW for mark in marks)
    assert marks == sorted(marks, key=lambda mark: mark.at)  # a device's days only move forward


def test_every_crash_of_the_bad_release_comes_from_one_of_its_devices() -> None:
    marks = seed_releases.device_marks(NOW)
    reports, _ = story(NOW)
    crashes = [mark for mark in marks if mark.crashed]
    assert [mark.at for mark in crashes] == sorted(r.at for r in reports if r.group is BAD_RELEASE)
    on_bad = {(mark.device, mark.at.date()) for mark in marks if mark.version == BAD_RELEASE.version}
    assert all((mark.device, mark.at.date()) in on_bad for mark in crashes)


@pytest.fixture(scope="module")
def releases_seeded(seeded: tuple[Any, list[str]]) -> tuple[Any, str]:
    """The releases seeder after the groups one (same apps, same module stack); counts come from the
    ReleasesTable stream, which `stack.http` delivers before it reads."""
    stack, _ = seeded

    def call(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        headers = {**headers}
        if headers.get("Authorization") == "Bearer TOKEN":
            headers.update(stack.auth(role="admin", owner="demo"))
        answer = stack.http(method, path, headers=headers, body=json.dumps(body))
        return answer.status, answer.json()

    ctx = SeedContext(
        "http://127.0.0.1:3000", None, "demo", "TOKEN", stack.template, boto3.Session(), call=call
    )  # type: ignore[arg-type]
    seed_releases.seed(ctx, now=SEEDED_AT)
    app_id, _ = seed_apps.create_app(ctx, BAD_RELEASE.app)
    return stack, app_id


def release_get(stack: Any, path: str, query: dict[str, str] | None = None) -> Any:
    answer = stack.http("GET", path, query=query or {}, headers=stack.auth(role="admin", owner="demo"))
    assert answer.status == 200, answer.json()
    return answer.json()


def test_the_bad_release_gate_halts_the_fix_proceeds_and_the_old_version_lacks_data(
    releases_seeded: tuple[Any, str],
) -> None:
    stack, app_id = releases_seeded
    gates = {
        version: release_get(stack, f"/apps/{app_id}/releases/{version}/gate")
        for version in ("1.4.2", BAD_RELEASE.version, "1.5.1")
    }
    bad = gates[BAD_RELEASE.version]
    assert bad["verdict"] == "halt"
    assert bad["crashed_devices"] >= seed_releases.CRASHING_NOW  # posted through the API at start-up
    assert bad["active_devices"] >= seed_releases.GATE["min_devices"]
    assert gates["1.5.1"]["verdict"] == "proceed"
    assert gates["1.4.2"]["verdict"] == "insufficient_data"
    alerts = release_get(stack, "/alerts", {"signal": "release.unhealthy", "limit": "100"})["items"]
    assert alerts, "the bad release turning halt raised release.unhealthy"


def test_the_releases_answer_counts_each_demo_device_once_per_version_and_day(
    releases_seeded: tuple[Any, str],
) -> None:
    stack, app_id = releases_seeded
    marks = seed_releases.device_marks(SEEDED_AT)
    items = {
        item["version"]: item
        for item in release_get(stack, f"/apps/{app_id}/releases", {"days": "15"})["items"]
    }
    fix = items["1.5.1"]
    for day in fix["days"]:
        beacons = {m.device for m in marks if m.version == "1.5.1" and m.at.date().isoformat() == day["date"]}
        assert day["active_devices"] >= len(beacons)  # the fix's own reports may add devices
        assert day["crashed_devices"] == 0
    bad = items[BAD_RELEASE.version]
    release_day = (SEEDED_AT - timedelta(days=RELEASE_DAY)).date().isoformat()
    first = next(day for day in bad["days"] if day["date"] == release_day)
    assert first["crashed_devices"] >= 1 and first["crash_free_devices"] < 99.0
    assert all(day["active_devices"] >= seed_releases.STRAGGLERS for day in bad["days"][-RELEASE_DAY:])
