"""status_trend (SPEC §4.4): per-day counts by status, extrapolated, in the requested time zone."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from compliance_support import compliance, consumer_created, consumer_deleted, entitlement, load, report_json

MANAGED = entitlement("mgmt-sku", "Managed Sub", {"9": "Managed Bits"}, management=True)


@pytest.fixture
def fleet(stack: Any) -> Any:
    load(
        stack,
        "t1",
        [
            consumer_created("c1", "2026-01-01T00:00:00Z"),
            compliance("c1", "2026-01-01T10:00:00Z", "invalid"),
            compliance("c1", "2026-01-03T09:00:00Z", "VALID"),
            compliance("c2", "2026-01-02T12:00:00Z", "valid"),
            compliance("c2", "2026-01-02T20:00:00Z", "partial"),  # same day, later: wins
            consumer_deleted("c2", "2026-01-04T03:00:00Z"),
            compliance("c3", "2026-01-01T23:30:00Z", "valid", owner_key="globex"),
        ],
    )
    load(stack, "t2", [compliance("x1", "2026-01-01T10:00:00Z", "invalid")])
    return stack


def trend(stack: Any, query: list[tuple[str, str]], owner: str = "t1") -> dict[str, dict[str, int]]:
    return report_json(stack, "status_trend", query, owner)  # type: ignore[no-any-return]


def test_counts_per_utc_day_extrapolated_with_deletions_counted_through_the_day_before(fleet: Any) -> None:
    answer = trend(fleet, [("start_date", "2026-01-01"), ("end_date", "2026-01-05")])
    assert answer == {
        "2026-01-01T23:59:59.999+0000": {"invalid": 1, "valid": 1},
        "2026-01-02T23:59:59.999+0000": {"invalid": 1, "partial": 1, "valid": 1},
        "2026-01-03T23:59:59.999+0000": {"partial": 1, "valid": 2},
        "2026-01-04T23:59:59.999+0000": {"valid": 2},  # c2 deleted on the 4th: not counted that day
        "2026-01-05T23:59:59.999+0000": {"valid": 2},  # no reports that day: extrapolated
    }
    assert list(answer) == sorted(answer)


def test_days_east_of_utc(fleet: Any) -> None:
    answer = trend(
        fleet, [("start_date", "2026-01-01"), ("end_date", "2026-01-04"), ("timezone", "europe/helsinki")]
    )
    assert answer == {
        "2026-01-01T23:59:59.999+0200": {"invalid": 1},  # c3's 23:30 UTC is the 2nd in Helsinki
        "2026-01-02T23:59:59.999+0200": {"invalid": 1, "partial": 1, "valid": 1},
        "2026-01-03T23:59:59.999+0200": {"partial": 1, "valid": 2},
        "2026-01-04T23:59:59.999+0200": {"valid": 2},
    }


def test_days_west_of_utc(fleet: Any) -> None:
    answer = trend(
        fleet, [("start_date", "2026-01-01"), ("end_date", "2026-01-04"), ("timezone", "GMT-0600")]
    )
    assert answer == {
        "2026-01-01T23:59:59.999-0600": {"invalid": 1, "valid": 1},
        "2026-01-02T23:59:59.999-0600": {"invalid": 1, "partial": 1, "valid": 1},
        "2026-01-03T23:59:59.999-0600": {"valid": 2},  # c2 deleted at 21:00 on the 3rd, local time
        "2026-01-04T23:59:59.999-0600": {"valid": 2},
    }


def test_day_keys_use_the_zones_offset_on_that_day(stack: Any) -> None:
    load(stack, "t1", [compliance("c1", "2026-03-07T12:00:00Z"), compliance("c1", "2026-03-09T12:00:00Z")])
    answer = trend(stack, [("timezone", "America/Chicago")])
    assert list(answer) == [
        "2026-03-07T23:59:59.999-0600",
        "2026-03-08T23:59:59.999-0500",  # daylight saving time starts on March 8th
        "2026-03-09T23:59:59.999-0500",
    ]
    assert list(trend(stack, [("timezone", "GMT+05:30"), ("end_date", "2026-03-07")])) == [
        "2026-03-07T23:59:59.999+0530"
    ]


def test_one_bound_uses_the_datas_own_boundary(fleet: Any) -> None:
    assert list(trend(fleet, [])) == [f"2026-01-0{d}T23:59:59.999+0000" for d in (1, 2, 3)]
    assert list(trend(fleet, [("start_date", "2026-01-02")])) == [
        "2026-01-02T23:59:59.999+0000",
        "2026-01-03T23:59:59.999+0000",
    ]
    assert list(trend(fleet, [("end_date", "2026-01-02")])) == [
        "2026-01-01T23:59:59.999+0000",
        "2026-01-02T23:59:59.999+0000",
    ]
    assert trend(fleet, [("start_date", "2026-02-01")]) == {"2026-02-01T23:59:59.999+0000": {"valid": 2}}


def test_future_bounds_are_clamped_to_today(fleet: Any) -> None:
    answer = trend(fleet, [("start_date", "2026-01-01"), ("end_date", "2999-01-01")])
    today = datetime.now(UTC).date()
    assert list(answer)[-1] == f"{today.isoformat()}T23:59:59.999+0000"
    assert len(answer) == (today - date(2026, 1, 1)).days + 1
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert list(trend(fleet, [("start_date", tomorrow)])) == [f"{today.isoformat()}T23:59:59.999+0000"]


def test_days_without_consumers_are_present_and_empty(fleet: Any) -> None:
    answer = trend(fleet, [("start_date", "2025-12-30"), ("end_date", "2026-01-01")])
    assert answer == {
        "2025-12-30T23:59:59.999+0000": {},
        "2025-12-31T23:59:59.999+0000": {},
        "2026-01-01T23:59:59.999+0000": {"invalid": 1, "valid": 1},
    }


def test_no_data_and_an_open_bound_is_an_empty_map(stack: Any) -> None:
    assert trend(stack, []) == {}
    assert trend(stack, [("start_date", "2026-01-01")]) == {}


def test_owner_and_consumer_filters(fleet: Any) -> None:
    days = [("start_date", "2026-01-02"), ("end_date", "2026-01-02")]
    assert trend(fleet, [*days, ("owner", "globex")]) == {"2026-01-02T23:59:59.999+0000": {"valid": 1}}
    by_uuid = trend(fleet, [*days, ("consumer_uuid", "c1"), ("consumer_uuid", "c2")])
    assert by_uuid == {"2026-01-02T23:59:59.999+0000": {"invalid": 1, "partial": 1}}
    assert trend(fleet, days, owner="t2") == {"2026-01-02T23:59:59.999+0000": {"invalid": 1}}


def test_filters_apply_to_the_snapshots_and_the_latest_match_carries_on(stack: Any) -> None:
    load(
        stack,
        "t1",
        [
            compliance("m1", "2026-02-01T10:00:00Z", "valid", entitlements=[MANAGED]),
            compliance("m1", "2026-02-03T10:00:00Z", "invalid"),  # no longer managed
            compliance("m2", "2026-02-02T10:00:00Z", "partial", entitlements=[MANAGED]),
            compliance("u1", "2026-02-01T10:00:00Z", "valid"),
        ],
    )
    days = [("start_date", "2026-02-01"), ("end_date", "2026-02-04")]
    expected = {
        "2026-02-01T23:59:59.999+0000": {"valid": 1},
        "2026-02-02T23:59:59.999+0000": {"partial": 1, "valid": 1},
        "2026-02-03T23:59:59.999+0000": {"partial": 1, "valid": 1},  # m1's last matching snapshot
        "2026-02-04T23:59:59.999+0000": {"partial": 1, "valid": 1},
    }
    assert trend(stack, [*days, ("management_enabled", "true")]) == expected
    assert trend(stack, [*days, ("sku", "mgmt-sku")]) == expected
    assert trend(stack, [*days, ("subscription_name", "Managed Sub")]) == expected
    assert trend(stack, [*days, ("product_name", "Managed Bits")]) == expected
    unmanaged = trend(stack, [*days, ("management_enabled", "false")])
    assert unmanaged["2026-02-01T23:59:59.999+0000"] == {"valid": 1}
    assert unmanaged["2026-02-04T23:59:59.999+0000"] == {"invalid": 1, "valid": 1}
    later = trend(stack, [("start_date", "2026-02-04"), ("end_date", "2026-02-04"), ("sku", "mgmt-sku")])
    assert later == {"2026-02-04T23:59:59.999+0000": {"partial": 1, "valid": 1}}  # carried from before start


def test_demo_seed_gives_every_report_something_to_show(stack: Any) -> None:
    import boto3
    from fleetreport_local import seed_compliance
    from fleetreport_local.seeding import SeedContext

    ctx = SeedContext("http://127.0.0.1:3000", None, "demo", "TOKEN", stack.template, boto3.Session())  # type: ignore[arg-type]
    lines = seed_compliance.seed(ctx)
    assert any("/reports/status_trend/run" in line for line in lines)
    trend = report_json(stack, "status_trend", owner="demo")
    assert sum(list(trend.values())[-1].values()) == 17  # 18 consumers, one deleted
    assert len(report_json(stack, "consumer_status", [("owner", "globex")], owner="demo")) == 6
    managed = report_json(stack, "status_trend", [("management_enabled", "1")], owner="demo")
    expected = latest_managed_statuses(seed_compliance.demo_events(datetime.now(UTC)))
    assert sum(expected.values()) == 5  # consumers 0, 4, 8, 12 and 16 hold the managed subscription
    assert list(managed.values())[-1] == expected
    uuid = "00000000-demo-4000-8000-000000000000"
    assert len(report_json(stack, "consumer_trend", [("consumer_uuid", uuid)], owner="demo")) > 5


def latest_managed_statuses(events: list[dict[str, Any]]) -> dict[str, int]:
    """Today's management_enabled=1 counts, from the seed's own events: each consumer under the status of
    its latest snapshot with a management-enabled entitlement (the filter applies to the snapshots)."""
    latest: dict[str, str] = {}
    for event in sorted(events, key=lambda event: event["timestamp"]):
        entity = event["entity"]
        if event["target"] != "COMPLIANCE":
            continue
        if any(e["attributes"].get("management_enabled") == "1" for e in entity["entitlements"]):
            latest[entity["consumer"]["uuid"]] = entity["status"]["status"]
    return dict(Counter(latest.values()))
