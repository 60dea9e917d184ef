"""consumer_trend (SPEC §4.4): one consumer's snapshots in a window plus the last one before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from compliance_support import compliance, entitlement, load, report_json
from fleetreport.compliance.timefmt import to_storage


@pytest.fixture
def history(stack: Any) -> Any:
    load(
        stack,
        "t1",
        [
            compliance("c1", "2026-01-01T10:00:00Z", "invalid", reasons=[{"key": "NOTCOVERED"}]),
            compliance("c1", "2026-01-05T10:00:00Z", "valid", entitlements=[entitlement("sku1", "Sub 1")]),
            compliance("c1", "2026-01-10T12:00:00Z", "partial"),
            compliance("c1", "2026-01-20T10:00:00Z", "valid", last_checkin="2026-01-20T09:00:00Z"),
            compliance("c2", "2026-01-07T10:00:00Z", "valid"),
        ],
    )
    load(stack, "t2", [compliance("c1", "2026-01-02T10:00:00Z", "valid")])
    return stack


def dates(rows: list[dict[str, Any]]) -> list[str]:
    return [row["status"]["date"][:10] for row in rows]


def test_without_a_window_every_snapshot_oldest_first(history: Any) -> None:
    rows = report_json(history, "consumer_trend", [("consumer_uuid", "c1")])
    assert dates(rows) == ["2026-01-01", "2026-01-05", "2026-01-10", "2026-01-20"]
    assert rows[0] == {
        "status": {
            "status": "invalid",
            "date": "2026-01-01T10:00:00.000+0000",
            "reasons": [{"key": "NOTCOVERED"}],
            "managementEnabled": False,
        },
        "consumer": {"uuid": "c1", "lastCheckin": "2026-01-01T10:00:00.000+0000"},
    }
    assert rows[-1]["consumer"]["lastCheckin"] == "2026-01-20T09:00:00.000+0000"


def test_a_date_window_adds_the_last_snapshot_before_it(history: Any) -> None:
    query = [("consumer_uuid", "c1"), ("start_date", "2026-01-06"), ("end_date", "2026-01-10")]
    # 01-05 carries the status into the window; the bare end date covers 01-10 until midnight.
    assert dates(report_json(history, "consumer_trend", query)) == ["2026-01-05", "2026-01-10"]


def test_a_window_with_times_and_zones(history: Any) -> None:
    query = [
        ("consumer_uuid", "c1"),
        ("start_date", "2026-01-05T10:00:00.000+0000"),
        ("end_date", "2026-01-10T13:00:00.000+0100"),  # 12:00 UTC: the partial snapshot is in
    ]
    assert dates(report_json(history, "consumer_trend", query)) == ["2026-01-01", "2026-01-05", "2026-01-10"]


def test_hours_is_the_last_n_hours(stack: Any) -> None:
    now = datetime.now(UTC)
    load(
        stack,
        "t1",
        [
            compliance("c1", to_storage(now - timedelta(hours=50)), "invalid"),
            compliance("c1", to_storage(now - timedelta(hours=30)), "partial"),
            compliance("c1", to_storage(now - timedelta(hours=10)), "valid"),
            compliance("c1", to_storage(now - timedelta(hours=1)), "invalid"),
        ],
    )
    rows = report_json(stack, "consumer_trend", [("consumer_uuid", "c1"), ("hours", "24")])
    assert [row["status"]["status"] for row in rows] == ["partial", "valid", "invalid"]


def test_a_window_before_any_snapshot_is_empty(history: Any) -> None:
    query = [("consumer_uuid", "c1"), ("start_date", "2025-01-01"), ("end_date", "2025-12-31")]
    assert report_json(history, "consumer_trend", query) == []


def test_unknown_or_foreign_consumers_have_no_history(history: Any) -> None:
    assert report_json(history, "consumer_trend", [("consumer_uuid", "nobody")]) == []
    assert dates(report_json(history, "consumer_trend", [("consumer_uuid", "c1")], owner="t2")) == [
        "2026-01-02"
    ]
    assert report_json(history, "consumer_trend", [("consumer_uuid", "c2")], owner="t2") == []


def test_custom_results_give_each_full_snapshot(history: Any) -> None:
    query = [("consumer_uuid", "c1"), ("custom_results", "true"), ("include", "entitlements.productId")]
    rows = report_json(history, "consumer_trend", query)
    assert rows == [
        {"entitlements": []},
        {"entitlements": [{"productId": "sku1"}]},
        {"entitlements": []},
        {"entitlements": []},
    ]
    full = report_json(history, "consumer_trend", [("consumer_uuid", "c1"), ("custom_results", "yes")])
    assert full[0]["consumer"]["consumerState"]["uuid"] == "c1"
    assert full[1]["status"]["status"] == "valid"
