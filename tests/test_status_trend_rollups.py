"""status_trend from rollups answers exactly like the computation from snapshots (SPEC §5, §4.4)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from compliance_support import compliance, consumer_created, consumer_deleted, load
from fleetreport.compliance.events import parse_event
from fleetreport.compliance.ingest import store_event
from fleetreport.compliance.keys import LOG_SHARDS
from fleetreport.compliance.store import ComplianceWriter
from fleetreport.reports.dates import parse_timezone
from fleetreport.reports.definition import DaysResult, ReportContext
from fleetreport.reports.params import QueryParams, validate
from fleetreport.reports.status_trend import PARAMETERS, run_from_snapshots
from fleetreport.reports.status_trend_rollups import status_trend_from_rollups
from fleetreport.rollup import runs
from fleetreport.rollup.trend import NEWEST_PAGE
from fleetreport.storage.aws import table
from rollup_support import counting_reads, random_history, roll

NOW = datetime(2026, 5, 20, 15, 37, 12, 345000, tzinfo=UTC)
ZONES = (
    "UTC",
    "Asia/Kolkata",
    "America/Chicago",
    "Pacific/Chatham",
    "GMT-0600",
    "Asia/Kathmandu",
    "Asia/Tokyo",
)


def context(stack: Any, tenant: str, now: datetime = NOW, **query: str) -> ReportContext:
    """As run_report builds it; the table is fleetreport's own client, so `counting_reads` sees it all."""
    params = validate(PARAMETERS, QueryParams(list(query.items())))
    return ReportContext(tenant, params, now, table(stack.name("ComplianceTable")))


def both(stack: Any, tenant: str, now: datetime = NOW, **query: str) -> tuple[DaysResult | None, DaysResult]:
    ctx = context(stack, tenant, now, **query)
    return status_trend_from_rollups(ctx), run_from_snapshots(ctx)


def random_query(rng: random.Random, today: date) -> dict[str, str]:
    query: dict[str, str] = {"timezone": rng.choice(ZONES)}
    owner = rng.choice((None, "acme", "globex"))
    if owner:
        query["owner"] = owner
    shape = rng.choice(("none", "start", "end", "both", "both"))
    start = today - timedelta(days=rng.randrange(0, 16))
    end = start + timedelta(days=rng.randrange(0, 16))
    if shape in ("start", "both"):
        query["start_date"] = start.isoformat()
    if shape in ("end", "both"):
        query["end_date"] = end.isoformat()
    return query


def check_random_history(
    stack: Any, seed: int, now: datetime = NOW, lags: tuple[int, ...] = (0, 0, 1, 3)
) -> None:
    """A random history up to `now`, rolled up a few days behind it (more is then computed live), with
    late events (dated on rolled days, stored after the run: their days are dirty until re-rolled);
    with `now` the wall clock, today's bucket comes from the maintained status counts."""
    rng = random.Random(seed)
    history = random_history(rng, rng.randrange(5, 11), now - timedelta(days=12), now)
    history += certain_cases(rng, now)
    rolled_at = now - timedelta(days=rng.choice(lags))
    last_rolled = rolled_at.date() - timedelta(days=1)  # the last day the run closes
    first_open_day = _ms(datetime.combine(rolled_at.date(), time(), UTC).isoformat())
    # Odd seeds: late events on the last rolled day only (the dirty day is the run's last day).
    earliest_late = _ms(datetime.combine(last_rolled, time(), UTC).isoformat()) if seed % 2 else ""
    late = [e for e in history if earliest_late <= e["timestamp"] < first_open_day and rng.random() < 0.3]
    history.append(consumer_created("certain-late", _ms((now - timedelta(days=11)).isoformat())))
    late.append(compliance("certain-late", _ms(datetime.combine(last_rolled, time(12), UTC).isoformat())))
    history.append(late[-1])
    late_ids = {event["id"] for event in late}
    assert_covers_the_hard_cases(history, late, first_open_day)
    load(stack, "t1", [event for event in history if event["id"] not in late_ids])
    roll(rolled_at)
    load_late(stack, "t1", late)
    if rng.random() < 0.3:
        roll(now)  # the next run re-rolls the dirty days
    for _ in range(15):
        query = random_query(rng, now.date())
        from_rollups, from_snapshots = both(stack, "t1", now, **query)
        assert from_rollups is not None, query
        assert from_rollups.days == from_snapshots.days, query


def certain_cases(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """What random histories reach only sometimes: a consumer deleted on a closed day, and snapshots
    at a zone's local midnight and a millisecond before it."""
    owner = rng.choice(("acme", "globex"))
    start = now - timedelta(days=11)
    gone = start + timedelta(days=rng.randrange(2, 8), hours=rng.randrange(24))
    events = [
        consumer_created("certain-gone", _ms(start.isoformat()), owner),
        compliance("certain-gone", _ms((start + timedelta(hours=3)).isoformat()), "invalid", owner_key=owner),
        consumer_deleted("certain-gone", _ms(gone.isoformat()), owner),
        consumer_created("certain-edge", _ms(start.isoformat()), owner),
    ]
    for zone in rng.sample(ZONES, 2):
        day = (start + timedelta(days=rng.randrange(2, 10))).date()
        midnight = datetime.combine(day, time(), parse_timezone(zone)).astimezone(UTC)
        for moment in (midnight - timedelta(milliseconds=1), midnight):
            status = rng.choice(("valid", "invalid", "partial"))
            events.append(compliance("certain-edge", _ms(moment.isoformat()), status, owner_key=owner))
    rng.shuffle(events)
    return events


def assert_covers_the_hard_cases(
    history: list[dict[str, Any]], late: list[dict[str, Any]], open_day: str
) -> None:
    """The generated history reaches each rule the comparison is meant to check."""
    assert any(e["type"] == "DELETED" and e["timestamp"] < open_day for e in history), "no deletion"
    assert late, "no late event"
    stamps = [_instant(e["timestamp"]) for e in history if e["target"] == "COMPLIANCE"]
    edges = [
        zone
        for zone in ZONES
        for stamp in stamps
        for moment in (stamp, stamp + timedelta(milliseconds=1))
        if moment.astimezone(parse_timezone(zone)).time() == time()
    ]
    assert edges, "no snapshot on a zone's midnight or a millisecond before it"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))


def load_late(stack: Any, tenant: str, raw_events: list[dict[str, Any]]) -> None:
    """Store events as the events path does once rollups exist: a change on a closed day marks it dirty;
    then the table's stream is delivered (the status counts follow it)."""
    writer = ComplianceWriter(
        table(stack.name("ComplianceTable")), tenant, rollups=table(stack.name("RollupsTable"))
    )
    for raw in raw_events:
        store_event(writer, parse_event(raw))
    stack.drain()
    assert runs.read_run(table(stack.name("RollupsTable")), tenant).dirty_from is not None


@pytest.mark.parametrize("seed", range(4))
def test_rollups_answer_like_snapshots_on_random_histories(stack: Any, seed: int) -> None:
    check_random_history(stack, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4, 40))
def test_rollups_answer_like_snapshots_on_many_more_random_histories(stack: Any, seed: int) -> None:
    check_random_history(stack, seed)


@pytest.mark.parametrize("seed", range(3))
def test_today_from_the_maintained_counts_answers_like_snapshots(stack: Any, seed: int) -> None:
    check_random_history(stack, seed, datetime.now(UTC), lags=(0, 0, 2))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 25))
def test_today_from_the_maintained_counts_answers_like_snapshots_on_many_histories(
    stack: Any, seed: int
) -> None:
    check_random_history(stack, seed, datetime.now(UTC), lags=(0, 0, 2))


def test_today_costs_the_same_reads_however_many_changes_it_had(stack: Any) -> None:
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    history = []
    consumers = 3 * (LOG_SHARDS + NEWEST_PAGE)  # more changes than an open end may read
    for number in range(consumers):
        history += [
            consumer_created(f"c{number}", _ms((midnight - timedelta(days=9)).isoformat())),
            compliance(f"c{number}", _ms((midnight - timedelta(days=8)).isoformat()), owner_key="acme"),
        ]
    load(stack, "t1", history)
    roll(now)
    reads: dict[tuple[str, str, int], int] = {}
    for wave, changed in enumerate((1, consumers)):
        moment = _ms((midnight + (now - midnight) * (wave + 1) / 3).isoformat())
        load(stack, "t1", [compliance(f"c{number}", moment, "invalid") for number in range(changed)])
        for owner, end in itertools.product(("", "acme"), ("", now.date().isoformat())):
            query = {
                "start_date": (now.date() - timedelta(days=30)).isoformat(),
                "owner": owner,
                "end_date": end,
            }
            ctx = context(stack, "t1", now, **{name: value for name, value in query.items() if value})
            with counting_reads() as counter:
                from_rollups = status_trend_from_rollups(ctx)
            assert from_rollups is not None
            assert from_rollups.days == run_from_snapshots(ctx).days
            expected_today = (
                {"invalid": changed, "valid": consumers - changed}
                if changed < consumers
                else {"invalid": consumers}
            )
            assert from_rollups.days[-1][1] == expected_today
            reads[(owner, end, wave)] = counter.items
    for owner, end in itertools.product(("", "acme"), ("", now.date().isoformat())):
        growth = reads[(owner, end, 1)] - reads[(owner, end, 0)]
        # With an end date, nothing grows; an open end looks for the newest snapshot: the newest change
        # of each change-log shard, then short pages of the shard it is in (bounded by the shards).
        assert growth == 0 if end else 0 <= growth < LOG_SHARDS + NEWEST_PAGE, reads


def test_every_zone_day_boundary_is_exact(stack: Any) -> None:
    """Changes a millisecond either side of each zone's local midnight (whole, :30 and :45 offsets)."""
    events = []
    for zone in ZONES:
        tz = parse_timezone(zone)
        midnight = datetime(2026, 5, 10, tzinfo=tz).astimezone(UTC)
        for name, moment, status in (
            ("before", midnight - timedelta(milliseconds=1), "invalid"),
            ("at", midnight, "partial"),
            ("after", midnight + timedelta(milliseconds=1), "valid"),
        ):
            uuid = f"{zone.replace('/', '-')}-{name}"
            events.append(consumer_created(uuid, "2026-05-01T00:00:00.000Z"))
            events.append(compliance(uuid, _ms(moment.isoformat()), status))
        gone = f"{zone.replace('/', '-')}-gone"
        events += [
            consumer_created(gone, "2026-05-01T00:00:00.000Z"),
            compliance(gone, "2026-05-02T00:00:00.000Z"),
            consumer_deleted(gone, _ms(midnight.isoformat())),
        ]
    load(stack, "t1", events)
    roll(NOW)
    for zone in ZONES:
        query = {"timezone": zone, "start_date": "2026-05-08", "end_date": "2026-05-11"}
        from_rollups, from_snapshots = both(stack, "t1", **query)
        assert from_rollups is not None
        assert from_rollups.days == from_snapshots.days, zone


def _ms(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_filters_rollups_do_not_cover_fall_back_to_snapshots(stack: Any) -> None:
    load(
        stack,
        "t1",
        [consumer_created("a", "2026-05-01T00:00:00.000Z"), compliance("a", "2026-05-02T00:00:00.000Z")],
    )
    roll(NOW)
    for name, value in (
        ("consumer_uuid", "a"),
        ("sku", "x"),
        ("product_name", "x"),
        ("subscription_name", "x"),
        ("management_enabled", "true"),
    ):
        assert status_trend_from_rollups(context(stack, "t1", **{name: value})) is None


def test_a_zone_off_the_quarter_hour_grid_falls_back_to_snapshots(stack: Any) -> None:
    load(
        stack,
        "t1",
        [consumer_created("a", "2026-05-01T00:00:00.000Z"), compliance("a", "2026-05-02T00:00:00.000Z")],
    )
    roll(NOW)
    query = {"timezone": "GMT+05:07", "start_date": "2026-05-01", "end_date": "2026-05-05"}
    assert status_trend_from_rollups(context(stack, "t1", **query)) is None


def test_without_any_rollup_the_report_computes_from_snapshots(stack: Any) -> None:
    load(
        stack,
        "t1",
        [consumer_created("a", "2026-05-01T00:00:00.000Z"), compliance("a", "2026-05-02T00:00:00.000Z")],
    )
    assert status_trend_from_rollups(context(stack, "t1")) is None


def test_the_report_route_serves_rollups_and_snapshots_alike(stack: Any) -> None:
    """Through GET /reports/status_trend/run (real now): rolled-up history plus today's live changes."""
    now = datetime.now(UTC)
    rng = random.Random(7)
    load(stack, "t1", random_history(rng, 12, now - timedelta(days=8), now))
    roll(now)
    headers = stack.auth(role="admin", owner="t1")
    for query in (
        {},
        {"owner": "acme"},
        {"timezone": "Asia/Kolkata"},
        {"timezone": "Pacific/Chatham", "owner": "globex"},
    ):
        answer = stack.http("GET", "/reports/status_trend/run", headers=headers, query=query)
        assert answer.status == 200, answer.text
        expected = run_from_snapshots(context(stack, "t1", now, **query))
        assert answer.json() == dict(expected.days)


def test_a_late_event_marked_dirty_is_counted_after_the_next_rollup(stack: Any) -> None:
    load(
        stack,
        "t1",
        [consumer_created("a", "2026-05-01T00:00:00.000Z"), compliance("a", "2026-05-02T10:00:00.000Z")],
    )
    roll(NOW)
    load(stack, "t1", [compliance("a", "2026-05-05T10:00:00.000Z", "invalid")])  # late: May 5 is rolled up
    runs.mark_dirty(stack.table("RollupsTable"), "t1", "2026-05-05")  # what the events path does
    from_rollups, from_snapshots = both(stack, "t1", start_date="2026-05-01")
    assert from_rollups is not None and from_rollups.days == from_snapshots.days  # dirty days are live
    roll(NOW)
    assert "dirty_from" not in stack.table("RollupsTable").get_item(Key={"pk": "RUN", "sk": "t1"})["Item"]
    from_rollups, from_snapshots = both(stack, "t1", start_date="2026-05-01")
    assert from_rollups is not None and from_rollups.days == from_snapshots.days
    assert dict(from_rollups.days)["2026-05-05T23:59:59.999+0000"] == {"invalid": 1}
    day_item = stack.table("RollupsTable").get_item(Key={"pk": "ST#t1", "sk": "2026-05-05"})["Item"]
    assert day_item["end"] == {"invalid": 1}


def test_deleted_consumers_count_through_the_day_before(stack: Any) -> None:
    load(
        stack,
        "t1",
        [
            consumer_created("a", "2026-05-01T00:00:00.000Z"),
            compliance("a", "2026-05-01T08:00:00.000Z"),
            consumer_deleted("a", "2026-05-03T00:00:00.000Z"),
        ],
    )
    roll(NOW)
    from_rollups, _ = both(stack, "t1", start_date="2026-05-01", end_date="2026-05-04")
    assert from_rollups is not None
    assert [counts for _, counts in from_rollups.days] == [{"valid": 1}, {"valid": 1}, {}, {}]


def test_a_year_of_days_reads_at_most_400_items_whatever_the_number_of_consumers(stack: Any) -> None:
    year_ago = NOW - timedelta(days=364)
    events = [consumer_created(uuid, _ms(year_ago.isoformat())) for uuid in ("a", "b")]
    for day in range(0, 360, 9):  # 40 days with changes
        moment = year_ago + timedelta(days=day, hours=3)
        events += [compliance("a", _ms(moment.isoformat()), ("valid", "invalid")[day % 2])]
        events += [
            compliance("b", _ms((moment + timedelta(hours=5)).isoformat()), ("partial", "valid")[day % 2])
        ]
    load(stack, "t1", events)
    roll(NOW)
    query = {"start_date": year_ago.date().isoformat(), "end_date": NOW.date().isoformat()}
    with counting_reads() as few:
        answer = status_trend_from_rollups(context(stack, "t1", **query))
    assert answer is not None and len(answer.days) == 365
    busy_day = year_ago + timedelta(days=351)  # a day that already had changes
    more = [consumer_created(f"x{n}", _ms(busy_day.isoformat())) for n in range(15)]
    more += [compliance(f"x{n}", _ms((busy_day + timedelta(hours=1)).isoformat())) for n in range(15)]
    load(stack, "t1", more)
    roll(NOW, {"date": busy_day.date().isoformat()})
    with counting_reads() as many:
        again = status_trend_from_rollups(context(stack, "t1", **query))
    assert again is not None and again.days != answer.days
    assert few.items == many.items <= 400, (few.by_operation, many.by_operation)
    assert again.days == run_from_snapshots(context(stack, "t1", **query)).days
