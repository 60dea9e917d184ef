"""The rollup (SPEC §5): exact, idempotent, crash-safe, catches up, and reads in proportion to changes."""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from compliance_support import compliance, consumer_created, consumer_deleted, load
from fleetreport.groups.models import Dimensions
from fleetreport.groups.store import count_report
from fleetreport.reports.definition import ReportContext
from fleetreport.reports.params import QueryParams, validate
from fleetreport.reports.status_trend import PARAMETERS, run_from_snapshots
from fleetreport.reports.status_trend_rollups import status_trend_from_rollups
from fleetreport.rollup import runs
from fleetreport.rollup.groups import decode_rows
from fleetreport.rollup.request import RollupRequest
from fleetreport.rollup.runner import Rollup
from fleetreport.storage.aws import dynamodb, table
from fleetreport_local.commands import CommandError
from fleetreport_local.commands.rollup import ProgressBar, rollup_payload
from groups_support import make_app
from rollup_support import (
    all_items,
    counting_reads,
    failing_after,
    iso,
    random_history,
    roll,
    rollup_items,
)

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
EVENTS = Path(__file__).parent.parent / "events"


def count_reports(stack: Any, tenant: str, app_id: str, moments: list[datetime], **dims: str) -> None:
    values = {"name": "test", "version": "1.0", "channel": "stable", "platform": "linux", "arch": "amd64"}
    values |= {"type": "crash", "reason": "boom"} | dims
    for moment in moments:
        count_report(
            stack.name("GroupsTable"), owner=tenant, app_id=app_id, dims=Dimensions(**values), now=moment
        )


REPORT_HOURS_AGO = (1, 5, 20, 30, 31, 55, 80, 100)  # crash 1.0 boom; the 3rd to 5th also update_failure 2.0


def seed_tenant(stack: Any, tenant: str, seed: int = 1, now: datetime = NOW) -> str:
    """A random compliance history and an app whose groups got reports over the last days."""
    rng = random.Random(seed)
    history = random_history(rng, 8, now - timedelta(days=6), now)
    # Certain cases of the deletion rule: counted through the day before the deletion, and not after.
    gone = now.replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=2)
    history += [
        consumer_created("gone", iso(gone - timedelta(days=3)), "globex"),
        compliance("gone", iso(gone - timedelta(days=2)), "invalid", owner_key="globex"),
        consumer_deleted("gone", iso(gone), "globex"),
    ]
    load(stack, tenant, history)
    app_id, _ = make_app(stack, tenant, name="test")
    hours = [now - timedelta(hours=hours) for hours in REPORT_HOURS_AGO]
    count_reports(stack, tenant, app_id, hours)
    count_reports(stack, tenant, app_id, hours[2:5], type="update_failure", version="2.0")
    return app_id


def assert_status_days_match_the_snapshots(stack: Any, tenant: str, now: datetime = NOW) -> None:
    """The rolled days against status_trend computed from the snapshots alone (not from rollups), for
    every consumer and per owner key: an independent check of what the rollup wrote."""
    yesterday = (now - timedelta(days=1)).date().isoformat()
    for owner in ("", "acme", "globex"):
        query = [("start_date", "2026-05-01"), ("end_date", yesterday)] + (
            [("owner", owner)] if owner else []
        )
        context = ReportContext(
            tenant, validate(PARAMETERS, QueryParams(query)), now, table(stack.name("ComplianceTable"))
        )
        from_rollups = status_trend_from_rollups(context)
        assert from_rollups is not None, owner
        assert from_rollups.days == run_from_snapshots(context).days, owner
        assert owner or any(counts for _, counts in from_rollups.days), "nothing was counted"


def assert_group_days_match_the_reports(stack: Any, app_id: str, now: datetime = NOW) -> None:
    """The app's rolled group days against the hours seed_tenant counted reports at (closed days only)."""
    expected: dict[str, list[list[Any]]] = {}
    moments = [now - timedelta(hours=hours) for hours in REPORT_HOURS_AGO]
    reports = [("crash", "1.0", moment) for moment in moments]
    reports += [("update_failure", "2.0", moment) for moment in moments[2:5]]
    per_row: dict[tuple[str, str, str], dict[str, int]] = {}
    for kind, version, moment in reports:
        if moment.date() < now.date():
            hours = per_row.setdefault((moment.strftime("%Y-%m-%d"), kind, version), {})
            hours[f"{moment.hour:02d}"] = hours.get(f"{moment.hour:02d}", 0) + 1
    for (day, kind, version), hours in sorted(per_row.items()):
        expected.setdefault(day, []).append([kind, version, "stable", "linux", "amd64", "boom", hours])
    found: dict[str, list[list[Any]]] = {}
    for item in all_items(stack.table("RollupsTable")):
        if item["pk"] == f"GT#{app_id}":
            for name, value in item.items():
                if name.startswith("d") and name[1:].isdigit():
                    found[f"{item['sk'][2:]}-{name[1:]}"] = sorted(decode_rows(value))
    assert found == {day: sorted(rows) for day, rows in expected.items()}


def tenant_items(stack: Any, tenant: str, app_id: str) -> list[dict[str, Any]]:
    """The tenant's rollup items with its app id replaced, so two tenants' items can be compared."""
    found = []
    for item in rollup_items(stack, with_run=True):
        mine = item["pk"].startswith(f"ST#{tenant}") or item["pk"] == f"GT#{app_id}"
        if mine or (item["pk"] == "RUN" and item["sk"] == tenant):
            found.append(_renamed(item, tenant, app_id))
    return found


def _renamed(item: dict[str, Any], tenant: str, app_id: str) -> dict[str, Any]:
    copy = dict(item)
    copy["pk"] = copy["pk"].replace(tenant, "T").replace(app_id, "APP")
    copy["sk"] = "T" if copy["sk"] == tenant else copy["sk"]
    if "rows" in copy:
        copy["rows"] = decode_rows(copy["rows"])
    return copy


def hour_counters(stack: Any, app_id: str) -> list[str]:
    groups = all_items(stack.table("GroupsTable"))
    return sorted(
        name for item in groups if item["app_id"] == app_id for name in item if name.startswith("h20")
    )


def test_rolling_the_same_days_again_writes_identical_items(stack: Any) -> None:
    app_id = seed_tenant(stack, "t1")
    roll(NOW)
    assert_status_days_match_the_snapshots(stack, "t1")
    assert_group_days_match_the_reports(stack, app_id)
    first = rollup_items(stack)
    summary = roll(NOW, {"from": "2026-05-10", "to": "2026-05-19"})
    assert summary["tenants"][0]["status"]["days"] == 10
    assert rollup_items(stack) == first


def test_re_rolling_an_unchanged_day_leaves_the_later_days_as_stored(stack: Any) -> None:
    seed_tenant(stack, "t1")
    roll(NOW)
    first = rollup_items(stack)
    summary = roll(NOW, {"date": "2026-05-16"})["tenants"][0]
    assert (summary["status"]["from"], summary["status"]["to"]) == ("2026-05-16", "2026-05-16")
    assert rollup_items(stack) == first
    assert runs.read_run(stack.table("RollupsTable"), "t1").dirty_from is None


def test_re_rolling_a_status_day_reads_no_group_once_group_days_are_rolled_and_cleaned(stack: Any) -> None:
    seed_tenant(stack, "t1")
    roll(NOW)
    tables: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        tables.extend(params.get("RequestItems", {}) or [params.get("TableName", "")])

    events = dynamodb().meta.client.meta.events
    events.register("before-parameter-build.dynamodb", record)
    try:
        summary = roll(NOW, {"date": "2026-05-16"})["tenants"][0]
    finally:
        events.unregister("before-parameter-build.dynamodb", record)
    assert summary["status"]["days"] >= 1
    assert stack.name("ComplianceTable") in tables
    assert stack.name("GroupsTable") not in tables


def test_re_rolling_a_day_that_changed_carries_the_change_into_later_days(stack: Any) -> None:
    """A late event the events path did not mark: a manual re-roll of its day fixes every later day."""
    for tenant in ("late", "fresh"):
        load(
            stack,
            tenant,
            [consumer_created("a", "2026-05-10T00:00:00.000Z"), compliance("a", "2026-05-11T10:00:00.000Z")],
        )
    roll(NOW, {"tenants": ["late"]})
    late = [
        compliance("a", "2026-05-14T10:00:00.000Z", "invalid"),
        compliance("a", "2026-05-17T10:00:00.000Z", "partial"),
    ]
    for tenant in ("late", "fresh"):
        load(stack, tenant, late)
    summary = roll(NOW, {"date": "2026-05-14", "tenants": ["late"]})["tenants"][0]
    assert (summary["status"]["from"], summary["status"]["to"]) == ("2026-05-14", "2026-05-19")
    roll(NOW, {"tenants": ["fresh"]})
    assert [item for item in tenant_items(stack, "late", "-") if item["pk"] != "RUN"] == [
        item for item in tenant_items(stack, "fresh", "-") if item["pk"] != "RUN"
    ]
    assert_status_days_match_the_snapshots(stack, "late")


def days_ago(days: int, now: datetime) -> str:
    return iso(now - timedelta(days=days))


def test_a_late_event_posted_to_events_is_rolled_again_by_the_next_scheduled_run(stack: Any) -> None:
    """The events path marks a closed day dirty; the next plain run re-rolls from it, matching a
    tenant that had the same events before its first run."""
    now = datetime.now(UTC)
    history = [consumer_created("a", days_ago(12, now)), compliance("a", days_ago(11, now))]
    late = [compliance("a", days_ago(6, now), "invalid"), compliance("a", days_ago(3, now), "partial")]
    load(stack, "late", history)
    load(stack, "fresh", history + late)
    roll(now, {"tenants": ["late"]})
    rollups = stack.table("RollupsTable")
    assert runs.read_run(rollups, "late").dirty_from is None

    answer = stack.http("POST", "/events", headers=stack.auth(role="ingest", owner="late"), body=late)
    assert answer.status == 200, answer.text
    assert runs.read_run(rollups, "late").dirty_from == days_ago(6, now)[:10]

    summary = roll(now, {"tenants": ["late"]})["tenants"][0]
    assert summary["status"]["from"] == days_ago(6, now)[:10]
    assert runs.read_run(rollups, "late").dirty_from is None
    roll(now, {"tenants": ["fresh"]})
    assert [item for item in tenant_items(stack, "late", "-") if item["pk"] != "RUN"] == [
        item for item in tenant_items(stack, "fresh", "-") if item["pk"] != "RUN"
    ]
    assert_status_days_match_the_snapshots(stack, "late", now)


def test_an_event_dated_today_marks_no_day_dirty(stack: Any) -> None:
    now = datetime.now(UTC)
    load(stack, "t1", [consumer_created("a", days_ago(5, now))])
    roll(now, {"tenants": ["t1"]})
    event = compliance("a", iso(now.replace(hour=0, minute=0, second=1)))
    answer = stack.http("POST", "/events", headers=stack.auth(role="ingest", owner="t1"), body=[event])
    assert answer.status == 200, answer.text
    assert runs.read_run(stack.table("RollupsTable"), "t1").dirty_from is None


CRASH_POINTS = (
    ("PutItem", 0.0),
    ("PutItem", 0.6),
    ("UpdateItem", 0.3),
    ("UpdateItem", 0.9),
    ("BatchGetItem", 0.5),
)


def test_a_crash_mid_run_is_completed_by_the_rerun_with_exact_totals(stack: Any) -> None:
    """Crash points spread over the run (status days, group items, run state, counter cleanup)."""
    clean_app = seed_tenant(stack, "clean")
    with counting_reads() as calls:
        roll(NOW, {"tenants": ["clean"]})
    assert_status_days_match_the_snapshots(stack, "clean")
    assert_group_days_match_the_reports(stack, clean_app)
    expected = tenant_items(stack, "clean", clean_app)
    for index, (operation, where) in enumerate(CRASH_POINTS):
        tenant = f"crash{index}"
        app_id = seed_tenant(stack, tenant)
        with (
            failing_after(operation, int(calls.calls[operation] * where)),
            pytest.raises(Exception, match="injected"),
        ):
            roll(NOW, {"tenants": [tenant]})
        roll(NOW, {"tenants": [tenant]})
        assert tenant_items(stack, tenant, app_id) == expected, (operation, where)
        assert_status_days_match_the_snapshots(stack, tenant)
        assert_group_days_match_the_reports(stack, app_id)
        assert hour_counters(stack, app_id) == hour_counters(stack, clean_app), (operation, where)


def test_catch_up_rolls_every_day_missed_since_the_last_run(stack: Any) -> None:
    app_id = seed_tenant(stack, "t1")
    roll(NOW - timedelta(days=4))
    assert runs.read_run(stack.table("RollupsTable"), "t1").last_day == "2026-05-15"
    summary = roll(NOW)["tenants"][0]
    assert (summary["status"]["from"], summary["status"]["to"]) == ("2026-05-16", "2026-05-19")
    assert (summary["groups"]["from"], summary["groups"]["to"]) == ("2026-05-16", "2026-05-19")
    caught_up = tenant_items(stack, "t1", app_id)
    assert_status_days_match_the_snapshots(stack, "t1")
    assert_group_days_match_the_reports(stack, app_id)
    other_app = seed_tenant(stack, "t2")
    roll(NOW, {"tenants": ["t2"]})
    assert caught_up == tenant_items(stack, "t2", other_app)


def test_group_days_are_counted_per_hour_and_their_counters_removed(stack: Any) -> None:
    app_id, _ = make_app(stack, "t1", name="test")
    count_reports(stack, "t1", app_id, [datetime(2026, 5, 18, 7, 5, tzinfo=UTC)] * 2)
    count_reports(stack, "t1", app_id, [datetime(2026, 5, 18, 23, 59, tzinfo=UTC)], reason="other")
    count_reports(stack, "t1", app_id, [NOW], reason="today")
    roll(NOW)
    item = stack.table("RollupsTable").get_item(Key={"pk": f"GT#{app_id}", "sk": "M#2026-05"})["Item"]
    assert decode_rows(item["d18"]) == [
        ["crash", "1.0", "stable", "linux", "amd64", "boom", {"07": 2}],
        ["crash", "1.0", "stable", "linux", "amd64", "other", {"23": 1}],
    ]
    assert sorted(name for name in item if name not in ("pk", "sk")) == ["d18"]  # one month item per app
    assert hour_counters(stack, app_id) == ["h2026052009"]  # today's hour stays for the live count


def test_rollup_reads_are_proportional_to_the_days_changes(stack: Any) -> None:
    """Rolling a day with two changes reads the same items whether the tenant has 10 or 40 consumers."""
    reads = {}
    for tenant, consumers in (("small", 10), ("big", 40)):
        events = []
        for number in range(consumers):
            events += [
                consumer_created(f"c{number}", "2026-05-01T08:00:00.000Z"),
                compliance(f"c{number}", "2026-05-01T09:00:00.000Z"),
            ]
        events += [
            compliance("c1", "2026-05-05T10:00:00.000Z", "invalid"),
            compliance("c2", "2026-05-05T11:00:00.000Z"),
        ]
        load(stack, tenant, events)
        roll(datetime(2026, 5, 5, 6, tzinfo=UTC), {"tenants": [tenant]})
        with counting_reads() as counter:
            summary = roll(datetime(2026, 5, 6, 6, tzinfo=UTC), {"tenants": [tenant]})
        assert summary["tenants"][0]["status"]["days"] == 1
        reads[tenant] = counter.items
    assert reads["small"] == reads["big"]
    # 2 change-log items, 2 consumers, 2 x (this day's snapshot + the one before), 2 rollup items, run state
    assert reads["small"] <= 12


def test_a_late_event_marked_during_a_run_is_not_forgotten(stack: Any) -> None:
    seed_tenant(stack, "t1")
    roll(NOW - timedelta(days=3))
    rollups = stack.table("RollupsTable")
    runs.mark_dirty(rollups, "t1", "2026-05-15")
    marked = []

    def mark_while_rolling(done: int, total: int, label: str) -> None:
        if not marked:
            marked.append(label)
            runs.mark_dirty(rollups, "t1", "2026-05-16")  # arrives while the run is past that day

    settings_tables = {
        name: table(stack.name(name))
        for name in ("ComplianceTable", "RollupsTable", "GroupsTable", "AppsTable")
    }
    Rollup(
        compliance=settings_tables["ComplianceTable"],
        rollups=settings_tables["RollupsTable"],
        groups=settings_tables["GroupsTable"],
        apps=settings_tables["AppsTable"],
        now=NOW,
        progress=mark_while_rolling,
    ).run(RollupRequest())
    # 05-15 was rolled again after its mark (the run moved past it); 05-16's mark arrived during the
    # run: kept, so the next run rolls from there again
    assert runs.read_run(rollups, "t1").dirty_from == "2026-05-16"
    roll(NOW)
    assert runs.read_run(rollups, "t1").dirty_from is None


def test_only_closed_days_are_rolled_up(stack: Any) -> None:
    seed_tenant(stack, "t1")
    summary = roll(datetime(2026, 5, 20, 0, 3, tzinfo=UTC))  # May 19 ended 3 minutes ago: not settled
    assert summary["closed_day"] == "2026-05-18"
    assert runs.read_run(stack.table("RollupsTable"), "t1").last_day == "2026-05-18"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"date": "2026-13-01"}, "date must be a day YYYY-MM-DD"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to must not be before from"),
        ({"from": "2026-05-02"}, "to must be a day YYYY-MM-DD"),
        ({"date": "1999-12-31"}, "date must be no earlier than 2000"),
        ({"date": "2026-05-01", "from": "2026-05-01"}, "use either date or from/to"),
    ],
)
def test_the_function_refuses_payloads_it_cannot_read(
    stack: Any, payload: dict[str, Any], message: str
) -> None:
    assert stack.invoke("rollup", payload) == {"error": message}


def test_the_function_answers_the_sample_events_with_a_summary(stack: Any, settings_env: Any) -> None:
    """Without the units queue (the CLI, `fleetreport invoke`) the function rolls inline; with it, a
    fleet-wide run is dispatched (tests/test_rollup_fanout.py)."""
    settings_env(ROLLUP_QUEUE_URL="")
    seed_tenant(stack, "t1", now=datetime.now(UTC))
    for name in ("rollup_scheduled.json", "rollup_date.json", "rollup_range.json"):
        summary = stack.invoke("rollup", json.loads((EVENTS / name).read_text()))
        assert summary["complete"] is True, name
        assert [tenant["tenant"] for tenant in summary["tenants"]] == ["t1"], name


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_cli_turns_its_options_into_the_functions_payload() -> None:
    assert rollup_payload(None, None, None, NOW) == {}
    assert rollup_payload("2026-05-01", None, "t1", NOW) == {
        "from": "2026-05-01",
        "to": "2026-05-19",
        "tenants": ["t1"],
    }
    assert rollup_payload("2026-05-01", "2026-05-03", None, NOW) == {"from": "2026-05-01", "to": "2026-05-03"}
    with pytest.raises(CommandError, match="--to needs --from"):
        rollup_payload(None, "2026-05-03", None, NOW)


def test_the_cli_progress_bar_redraws_in_place_on_a_terminal_only() -> None:
    terminal, log = _Terminal(), io.StringIO()
    for out in (terminal, log):
        bar = ProgressBar(out)
        for done in range(1, 5):
            bar.update(done, 4, f"t1 status 2026-05-0{done}")
        bar.finish()
    assert terminal.getvalue().count("\r") == 4 and terminal.getvalue().endswith("\n")
    assert "[" + "#" * 15 + "." * 15 + "] 2/4 days  t1 status 2026-05-02" in terminal.getvalue()
    assert log.getvalue() == "[" + "#" * 30 + "] 4/4 days  t1 status 2026-05-04\n"
