"""Snapshots dated on or after a consumer's deletion day do not count (issue 16, Gutterball's
ComplianceSnapshotCurator: its status count query drops them), which decides where an open-ended
status_trend range starts and ends — from snapshots and from rollups alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from compliance_support import compliance, consumer_created, consumer_deleted, load
from fleetreport.reports.definition import DaysResult, ReportContext
from fleetreport.reports.params import QueryParams, validate
from fleetreport.reports.status_trend import PARAMETERS, run_from_snapshots
from fleetreport.reports.status_trend_rollups import status_trend_from_rollups
from fleetreport.storage.aws import table
from rollup_support import roll

NOW = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)


def history() -> list[dict[str, Any]]:
    return [
        consumer_created("stays", "2026-05-01T09:00:00Z"),
        compliance("stays", "2026-05-02T10:00:00Z", "valid"),
        consumer_created("goes", "2026-05-01T09:00:00Z", "initech"),
        compliance("goes", "2026-05-03T10:00:00Z", "invalid", owner_key="initech"),
        consumer_deleted("goes", "2026-05-05T10:00:00Z", "initech"),
        compliance(
            "goes", "2026-05-05T10:00:00Z", "invalid", owner_key="initech"
        ),  # Candlepin's snapshot of the deletion
        compliance(
            "goes", "2026-05-07T08:00:00Z", "partial", owner_key="initech"
        ),  # a late report of a deleted system
        consumer_created("ghost", "2026-04-20T09:00:00Z"),
        consumer_deleted("ghost", "2026-04-21T09:00:00Z"),
        compliance("ghost", "2026-04-21T08:00:00Z", "valid"),  # before the deletion, on its day
        compliance("ghost", "2026-04-22T08:00:00Z", "valid"),
    ]


def key(day: str) -> str:
    return f"2026-{day}T23:59:59.999+0000"


def both(stack: Any, **query: str) -> tuple[DaysResult | None, DaysResult]:
    params = validate(PARAMETERS, QueryParams(list(query.items())))
    ctx = ReportContext("t1", params, NOW, table(stack.name("ComplianceTable")))
    return status_trend_from_rollups(ctx), run_from_snapshots(ctx)


EXPECTED_FROM_MAY_1 = {
    key("05-01"): {},
    key("05-02"): {"valid": 1},
    key("05-03"): {"invalid": 1, "valid": 1},  # the last counted snapshot: the range ends here
}


def test_open_ended_range_ends_at_the_last_snapshot_before_a_deletion_day(stack: Any) -> None:
    load(stack, "t1", history())
    _, from_snapshots = both(stack, start_date="2026-05-01")
    assert dict(from_snapshots.days) == EXPECTED_FROM_MAY_1


def test_open_ended_range_starts_at_the_first_counted_snapshot(stack: Any) -> None:
    load(stack, "t1", history())
    _, from_snapshots = both(stack, end_date="2026-05-03")
    assert dict(from_snapshots.days) == {
        key("05-02"): {"valid": 1},
        key("05-03"): {"invalid": 1, "valid": 1},
    }


def test_rollups_give_the_same_open_ended_ranges(stack: Any) -> None:
    load(stack, "t1", history())
    roll(NOW)
    queries: list[dict[str, str]] = [
        {"start_date": "2026-05-01"},
        {"end_date": "2026-05-03"},
        {},
        {"owner": "acme"},
        {"owner": "initech"},
        {"owner": "initech", "start_date": "2026-05-08"},  # its only counted report is before the start
    ]
    for query in queries:
        from_rollups, from_snapshots = both(stack, **query)
        assert from_rollups is not None, query
        assert from_rollups.days == from_snapshots.days, query
    from_rollups, _ = both(stack, start_date="2026-05-01")
    assert from_rollups is not None and dict(from_rollups.days) == EXPECTED_FROM_MAY_1


def test_live_days_after_the_rollup_leave_deleted_consumers_snapshots_out(stack: Any) -> None:
    """Days after the last rolled one are read from the change log: the same rule holds there."""
    load(stack, "t1", history()[:7])
    roll(datetime(2026, 5, 4, 12, 0, tzinfo=UTC))  # rolls through May 3; May 5 and 7 stay live
    load(stack, "t1", history()[7:])
    from_rollups, from_snapshots = both(stack, start_date="2026-05-01")
    assert from_rollups is not None
    assert dict(from_rollups.days) == dict(from_snapshots.days) == EXPECTED_FROM_MAY_1


def test_a_deletion_day_snapshot_is_still_counted_in_consumer_trend(stack: Any) -> None:
    """Only the trend counts leave it out; the consumer's own history keeps every report."""
    load(stack, "t1", history())
    answer = stack.http(
        "GET",
        "/reports/consumer_trend/run",
        headers=stack.auth(owner="t1"),
        query=[("consumer_uuid", "goes")],
    )
    assert [row["status"]["status"] for row in answer.json()] == ["invalid", "invalid", "partial"]


def test_a_deleted_consumers_late_report_before_the_start_does_not_empty_the_range(stack: Any) -> None:
    """With only a start, the data's last day is its last *counted* report, even one before the start
    (the range then is the start day alone); a late report after the deletion day must not hide it."""
    load(stack, "t1", history())
    _, from_snapshots = both(stack, owner="initech", start_date="2026-05-08")
    assert dict(from_snapshots.days) == {key("05-08"): {}}
