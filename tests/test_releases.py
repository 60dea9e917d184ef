"""Release health (SPEC §12): the beacon's checks and limit, the releases reads and the rollout gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetreport.releases.beacon import BeaconCounts, use_beacon_counts
from fleetreport.releases.devices import DayMemory, use_day_memory
from groups_support import ingest, make_app, no_rate_limits, report
from releases_support import beacon_body, clock_at, send_beacon

NOON = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_memories() -> None:
    """Each test starts in a container that has seen nothing."""
    use_day_memory(DayMemory())
    use_beacon_counts(BeaconCounts())


def releases(stack: Any, headers: dict[str, str], app_id: str, suffix: str = "", **query: str) -> Any:
    return stack.http("GET", f"/apps/{app_id}/releases{suffix}", headers=headers, query=query or None)


# ---------------------------------------------------------------------- POST /reports/beacon
def test_a_beacon_is_accepted_with_204_and_no_body(stack: Any) -> None:
    _, key = make_app(stack)
    answer = send_beacon(stack, key, beacon_body(is_latest=True))
    assert (answer.status, answer.body) == (204, b"")


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"key": "rpk_" + "0" * 64}, 401, "invalid report key"),
        ({"device": "  "}, 400, "missing X-Device-ID"),
        ({"body": b"not json"}, 400, "invalid request body"),
        ({"body": {"system": {"platform": "windows", "arch": "amd64"}}}, 400, "missing application.name"),
        ({"body": beacon_body(channel="")}, 400, "missing application.channel"),
        ({"body": beacon_body(arch=None)}, 400, "missing system.arch"),
        ({"body": beacon_body(version="1.5.0-beta")}, 400, "invalid application.version"),
        ({"body": beacon_body(platform="win dows")}, 400, "invalid system.platform"),
        ({"body": beacon_body(is_latest="yes")}, 400, "invalid is_latest"),
        ({"body": beacon_body(name="other")}, 403, "report key does not belong to this application"),
        ({"body": b"{" + b" " * 262144 + b"}"}, 413, "request body too large"),
    ],
)
def test_a_beacon_is_checked_like_a_report(
    stack: Any, change: dict[str, Any], status: int, error: str
) -> None:
    _, key = make_app(stack)
    answer = send_beacon(
        stack, change.get("key", key), change.get("body", beacon_body()), device=change.get("device", "d1")
    )
    assert (answer.status, answer.json()) == (status, {"error": error})


def test_beacons_of_an_app_with_reports_off_are_refused(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack, reports=False)
    assert send_beacon(stack, key, beacon_body()).status == 401  # turning reports off revoked the key
    _, key = make_app(stack, name="second")
    settings_env(REPORTS_ENABLED="false")
    answer = send_beacon(stack, key, beacon_body(name="second"))
    assert (answer.status, answer.json()) == (403, {"error": "reports are disabled for this app"})


def test_a_device_may_send_24_beacons_a_day_then_429_until_midnight(stack: Any) -> None:
    _, key = make_app(stack)
    with clock_at(NOON):
        for _ in range(24):
            assert send_beacon(stack, key, beacon_body()).status == 204
        refused = send_beacon(stack, key, beacon_body())
        assert (refused.status, refused.json()) == (429, {"error": "rate limit exceeded"})
        assert refused.header("Retry-After") == str(12 * 3600)
        assert send_beacon(stack, key, beacon_body(), device="d2").status == 204  # another device
    with clock_at(NOON + timedelta(days=1)):
        assert send_beacon(stack, key, beacon_body()).status == 204


def test_the_beacon_limit_is_a_setting_and_zero_turns_it_off(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    settings_env(REPORTS_BEACONS_PER_DEVICE_PER_DAY="2")
    with clock_at(NOON):
        assert [send_beacon(stack, key, beacon_body()).status for _ in range(3)] == [204, 204, 429]
        settings_env(REPORTS_BEACONS_PER_DEVICE_PER_DAY="0")
        use_beacon_counts(BeaconCounts())
        assert {send_beacon(stack, key, beacon_body()).status for _ in range(30)} == {204}


def test_device_ids_are_stored_only_as_a_keyed_hash(stack: Any) -> None:
    _, key = make_app(stack)
    send_beacon(stack, key, beacon_body(), device="serial-ABC-123")
    [item] = stack.table("ReleasesTable").scan()["Items"]
    assert "serial-ABC-123" not in repr(item)
    import hashlib

    assert hashlib.sha256(b"serial-ABC-123").hexdigest() not in repr(item)  # keyed, not a plain digest


def test_repeated_beacons_of_a_device_day_write_the_device_once(stack: Any) -> None:
    app_id, key = make_app(stack)
    with clock_at(NOON):
        for _ in range(3):
            send_beacon(stack, key, beacon_body())
        use_day_memory(DayMemory())  # another container: its read finds the day already marked
        send_beacon(stack, key, beacon_body())
    answer = releases(stack, stack.auth(role="admin", owner="t1"), app_id)
    assert [(r["version"], r["active_devices"]) for r in answer.json()["items"]] == [("1.5.0", 1)]


# ---------------------------------------------------------------------- the reads
def seed_fleet(stack: Any, settings_env: Any) -> tuple[str, str]:
    """1.4.2 on 4 devices (none crashed); 1.5.0 on 3 devices, one crashing twice; 1.10.0 on one."""
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    with clock_at(NOON - timedelta(days=1)):
        for n in range(4):
            send_beacon(stack, key, beacon_body(version="1.4.2"), device=f"d{n}")
    with clock_at(NOON):
        for n in range(3):
            send_beacon(
                stack, key, beacon_body(version="1.5.0", platform="linux" if n else "windows"), device=f"d{n}"
            )
        ingest(stack, key, report(version="1.5.0", type="crash", reason="segv"), device="d0")
        ingest(stack, key, report(version="1.5.0", type="crash", reason="abort"), device="d0")
        send_beacon(stack, key, beacon_body(version="1.10.0", channel="beta"), device="d9")
    return app_id, key


def test_releases_list_versions_newest_first_with_their_days(
    stack: Any, settings_env: Any, admin: Any
) -> None:
    app_id, _ = seed_fleet(stack, settings_env)
    with clock_at(NOON):
        body = releases(stack, admin, app_id, days="2").json()
    assert [r["version"] for r in body["items"]] == ["1.10.0", "1.5.0", "1.4.2"]
    bad = body["items"][1]
    assert (bad["active_devices"], bad["crashed_devices"], bad["crash_free_devices"]) == (3, 1, 66.67)
    assert bad["first_seen"] == "2026-05-20"
    assert bad["days"] == [
        {
            "date": "2026-05-19",
            "active_devices": 0,
            "crashed_devices": 0,
            "crash_free_devices": None,
            "reports": 0,
        },
        {
            "date": "2026-05-20",
            "active_devices": 3,
            "crashed_devices": 1,
            "crash_free_devices": 66.67,
            "reports": bad["days"][1]["reports"],
        },
    ]
    assert body["items"][2]["days"][0]["active_devices"] == 4
    assert (bad["reports"], bad["open_groups"], bad["days"][1]["reports"]) == (2, 2, 2)
    assert (body["items"][2]["reports"], body["items"][2]["open_groups"]) == (0, 0)
    assert body["next_cursor"] is None


def test_open_groups_follow_triage_and_reports_count_every_report(
    stack: Any, settings_env: Any, admin: Any
) -> None:
    app_id, key = seed_fleet(stack, settings_env)
    with clock_at(NOON):
        group_hash = ingest(
            stack, key, report(version="1.5.0", type="crash", reason="segv"), device="d1"
        ).json()["group_hash"]
        resolved = stack.http(
            "PATCH", f"/reports/groups/{group_hash}", headers=admin, body={"status": "resolved"}
        )
        assert resolved.status == 200
        one = releases(stack, admin, app_id, "/1.5.0", days="1").json()
    assert (one["reports"], one["open_groups"], one["days"][0]["reports"]) == (3, 1, 3)
    assert (one["active_devices"], one["crashed_devices"]) == (3, 2)  # d1 crashed too


def test_releases_filter_by_channel_and_platform(stack: Any, settings_env: Any, admin: Any) -> None:
    app_id, _ = seed_fleet(stack, settings_env)
    beta = releases(stack, admin, app_id, channel="beta").json()
    assert [r["version"] for r in beta["items"]] == ["1.10.0"]
    linux = releases(stack, admin, app_id, platform="linux").json()
    assert [(r["version"], r["active_devices"], r["crashed_devices"]) for r in linux["items"]] == [
        ("1.5.0", 2, 0)
    ]


def test_releases_page_with_a_cursor(stack: Any, settings_env: Any, admin: Any) -> None:
    app_id, _ = seed_fleet(stack, settings_env)
    first = releases(stack, admin, app_id, limit="2").json()
    assert [r["version"] for r in first["items"]] == ["1.10.0", "1.5.0"]
    second = releases(stack, admin, app_id, limit="2", cursor=first["next_cursor"]).json()
    assert [r["version"] for r in second["items"]] == ["1.4.2"] and second["next_cursor"] is None


@pytest.mark.parametrize(
    ("suffix", "query", "error"),
    [
        ("", {"days": "91"}, "invalid days"),
        ("", {"days": "0"}, "invalid days"),
        ("", {"days": "two"}, "invalid days"),
        ("", {"limit": "101"}, "invalid limit"),
        ("", {"cursor": "%%%"}, "invalid cursor"),
        ("", {"channel": "no such"}, "invalid channel"),
        ("", {"platform": "a/b"}, "invalid platform"),
        ("/1.5.0", {"days": "100"}, "invalid days"),
        ("/v1", {}, "invalid version"),
        ("/v1/gate", {}, "invalid version"),
        ("/1.5.0/gate", {"channel": "a b"}, "invalid channel"),
    ],
)
def test_release_reads_refuse_bad_parameters(
    stack: Any, admin: Any, suffix: str, query: dict[str, str], error: str
) -> None:
    app_id, _ = make_app(stack)
    answer = releases(stack, admin, app_id, suffix, **query)
    assert (answer.status, answer.json()) == (400, {"error": error})


def test_one_release_and_its_absence(stack: Any, settings_env: Any, admin: Any) -> None:
    app_id, _ = seed_fleet(stack, settings_env)
    with clock_at(NOON):
        one = releases(stack, admin, app_id, "/1.5.0", days="1").json()
    assert (one["version"], one["active_devices"], one["crashed_devices"]) == ("1.5.0", 3, 1)
    assert one["days"][0]["date"] == "2026-05-20" and isinstance(one["top_groups"], list)
    missing = releases(stack, admin, app_id, "/2.0.0")
    assert (missing.status, missing.json()) == (404, {"error": "release not found"})
    foreign = releases(stack, stack.auth(role="admin", owner="t2"), app_id, "/1.5.0")
    assert (foreign.status, foreign.json()) == (404, {"error": "app not found"})


# ---------------------------------------------------------------------- the gate
def put_health(stack: Any, admin: Any, app_id: str, health: Any) -> Any:
    return stack.http("PUT", f"/apps/{app_id}/alerts", headers=admin, body={"release_health": health})


def test_the_gate_needs_min_devices_today_then_halts_below_the_threshold(
    stack: Any, settings_env: Any, admin: Any
) -> None:
    app_id, _ = seed_fleet(stack, settings_env)
    with clock_at(NOON):
        gate = releases(stack, admin, app_id, "/1.5.0/gate").json()
        assert gate == {
            "verdict": "insufficient_data",
            "crash_free_devices": 66.67,
            "active_devices": 3,
            "crashed_devices": 1,
            "threshold": 99.0,
            "min_devices": 250,
            "evaluated_at": "2026-05-20T12:00:00.000Z",
        }
        assert put_health(stack, admin, app_id, {"threshold": 60, "min_devices": 3}).status == 200
        assert releases(stack, admin, app_id, "/1.5.0/gate").json()["verdict"] == "proceed"
        put_health(stack, admin, app_id, {"threshold": 99.5, "min_devices": 3})
        halted = releases(stack, admin, app_id, "/1.5.0/gate").json()
        assert (halted["verdict"], halted["threshold"], halted["min_devices"]) == ("halt", 99.5, 3)
        # 1.4.2's devices were active yesterday, not today: no data for today's verdict
        assert releases(stack, admin, app_id, "/1.4.2/gate").json()["verdict"] == "insufficient_data"
        assert releases(stack, admin, app_id, "/1.5.0/gate", channel="beta").json()["active_devices"] == 0


def test_release_health_settings_are_in_the_alert_rules(stack: Any, admin: Any) -> None:
    app_id, _ = make_app(stack)
    defaults = stack.http("GET", f"/apps/{app_id}/alerts", headers=admin).json()
    assert defaults["release_health"] == {"threshold": 99.0, "min_devices": 250}
    put_health(stack, admin, app_id, {"threshold": 98.5, "min_devices": 100})
    stored = stack.http("GET", f"/apps/{app_id}/alerts", headers=admin).json()
    assert stored["release_health"] == {"threshold": 98.5, "min_devices": 100}


@pytest.mark.parametrize(
    ("health", "error"),
    [
        ("high", "invalid release_health"),
        ({"threshold": 101}, "invalid release_health.threshold: a number from 0 to 100"),
        ({"threshold": True}, "invalid release_health.threshold: a number from 0 to 100"),
        ({"min_devices": 0}, "invalid release_health.min_devices: a whole number from 1 to 100000000"),
        ({"min_devices": 2.5}, "invalid release_health.min_devices: a whole number from 1 to 100000000"),
    ],
)
def test_bad_release_health_settings_are_refused(stack: Any, admin: Any, health: Any, error: str) -> None:
    app_id, _ = make_app(stack)
    answer = put_health(stack, admin, app_id, health)
    assert (answer.status, answer.json()) == (400, {"error": error})


# ---------------------------------------------------------------------- signals
def release_alerts(stack: Any, admin: Any, app_id: str) -> list[dict[str, Any]]:
    answer = stack.http("GET", "/alerts", headers=admin, query={"app": app_id})
    return [a for a in answer.json()["items"] if a["signal"].startswith("release.")]


def test_a_version_turning_halt_signals_once_a_day_and_its_recovery_once(
    stack: Any, settings_env: Any, admin: Any
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    assert put_health(stack, admin, app_id, {"threshold": 90, "min_devices": 4}).status == 200
    with clock_at(NOON):
        for n in range(4):
            send_beacon(stack, key, beacon_body(), device=f"d{n}")
        assert release_alerts(stack, admin, app_id) == []  # 4 devices, none crashed: proceed
        ingest(stack, key, report(version="1.5.0", type="crash", reason="segv"), device="d0")
        ingest(stack, key, report(version="1.5.0", type="crash", reason="abort"), device="d1")
        [unhealthy] = release_alerts(stack, admin, app_id)
        assert unhealthy["signal"] == "release.unhealthy"
        assert unhealthy["release"]["version"] == "1.5.0" and unhealthy["release"]["verdict"] == "halt"
        assert (unhealthy["release"]["active_devices"], unhealthy["release"]["crashed_devices"]) == (4, 1)
        ingest(stack, key, report(version="1.5.0", type="crash", reason="segv"), device="d2")
        assert len(release_alerts(stack, admin, app_id)) == 1  # still halted today: no second signal
    with clock_at(NOON + timedelta(hours=1)):
        for n in range(4, 40):
            send_beacon(stack, key, beacon_body(), device=f"d{n}")
        signals = [a["signal"] for a in release_alerts(stack, admin, app_id)]
        assert signals == ["release.recovered", "release.unhealthy"]  # newest first


def test_release_signals_are_not_filtered_by_event_types(stack: Any) -> None:
    from fleetreport.alerts.rules import AlertRules

    rules = AlertRules(signals=["release.unhealthy"], types=["update_failure"])
    assert rules.wants("release.unhealthy", "")
    assert not rules.wants("release.recovered", "")


def test_a_device_days_three_beacons_in_three_containers_make_one_write(stack: Any) -> None:
    """SPEC §9 W4: a device-day's beacons together ≤ 1.5 WCU. Three beacons, each on a container that
    has not seen the device: one device-item write, reads for the others, no beacon-limit write."""
    from fleetreport.storage.aws import dynamodb

    _, key = make_app(stack)
    calls: list[str] = []
    events = dynamodb().meta.client.meta.events

    def record(params: Any, model: Any, **_: Any) -> None:
        calls.append(f"{model.name} {params.get('TableName', '')}")

    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": "w4-device"}
    events.register("provide-client-params.dynamodb", record, unique_id="w4-count")
    try:
        with clock_at(NOON):
            for _ in range(3):
                use_day_memory(DayMemory())
                use_beacon_counts(BeaconCounts())
                # straight to the function: the stream consumer's writes are not the beacon's
                answer = stack.invoker.http("POST", "/reports/beacon", headers=headers, body=beacon_body())
                assert answer.status == 204
    finally:
        events.unregister("provide-client-params.dynamodb", unique_id="w4-count")
    writes = [c for c in calls if c.split()[0] in ("UpdateItem", "PutItem", "TransactWriteItems")]
    assert writes == [f"UpdateItem {stack.name('ReleasesTable')}"]
    assert calls.count(f"GetItem {stack.name('ReleasesTable')}") == 3  # eventually consistent reads
