"""consumer_status (SPEC §4.4): latest snapshot per existing consumer at on_date, then the filters."""

from __future__ import annotations

from typing import Any

import pytest
from compliance_support import (
    ItemsRead,
    compliance,
    consumer_created,
    consumer_deleted,
    entitlement,
    load,
    report_json,
)
from fleetreport.storage.aws import dynamodb

AWESOME = entitlement("awesomeos", "Awesome OS", {"37060": "Awesome OS Bits"}, management=True)
OTHER = entitlement("othersku", "Other Sub", {"1": "Other Bits"})
NOT_COVERED = [{"key": "NOTCOVERED", "message": "Not supported by a valid subscription."}]


@pytest.fixture
def fleet(stack: Any) -> Any:
    load(
        stack,
        "t1",
        [
            consumer_created("c1", "2026-01-01T00:00:00.000+0000"),
            compliance("c1", "2026-01-02T10:00:00.000+0000", "invalid", reasons=NOT_COVERED),
            compliance("c1", "2026-01-10T10:00:00.000+0000", "valid", entitlements=[AWESOME]),
            consumer_created("c2", "2026-01-05T00:00:00.000+0000"),
            compliance("c2", "2026-01-06T10:00:00.000+0000", "partial", entitlements=[OTHER]),
            consumer_deleted("c2", "2026-01-20T00:00:00.000+0000"),
            compliance(
                "c3", "2026-01-03T10:00:00.000+0000", "valid", owner_key="globex", entitlements=[AWESOME]
            ),
            compliance("c3", "2026-01-15T10:00:00.000+0000", "invalid", owner_key="globex"),
            consumer_created("c4", "2026-01-01T00:00:00.000+0000"),  # never reports
            compliance("c5", "2026-01-12T08:00:00.000+0000", "invalid"),
            compliance("c5", "2026-01-12T18:00:00.000+0000", "valid"),
        ],
    )
    load(stack, "t2", [compliance("c9", "2026-01-02T10:00:00.000+0000", "valid")])
    return stack


def uuids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["consumer"]["uuid"] for row in rows]


def statuses(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {row["consumer"]["uuid"]: row["status"]["status"] for row in rows}


def test_now_lists_every_existing_consumer_with_its_latest_status(fleet: Any) -> None:
    rows = report_json(fleet, "consumer_status")
    assert statuses(rows) == {"c1": "valid", "c3": "invalid", "c5": "valid"}  # c2 deleted, c4 silent


def test_the_default_result_is_the_minimized_dto(fleet: Any) -> None:
    [row] = report_json(fleet, "consumer_status", [("consumer_uuid", "c1")])
    assert row == {
        "status": {
            "status": "valid",
            "date": "2026-01-10T10:00:00.000+0000",
            "reasons": [],
            "managementEnabled": True,
        },
        "consumer": {
            "uuid": "c1",
            "name": "host-c1",
            "lastCheckin": "2026-01-10T10:00:00.000+0000",
            "owner": {"key": "acme", "displayName": "ACME"},
            "facts": {"cpu.cpu(s)": "4"},
            "consumerState": {"created": "2026-01-01T00:00:00.000+0000", "deleted": None},
        },
    }


def test_on_date_picks_each_consumers_latest_snapshot_at_that_date(fleet: Any) -> None:
    rows = report_json(fleet, "consumer_status", [("on_date", "2026-01-07T00:00:00.000+0000")])
    assert statuses(rows) == {"c1": "invalid", "c2": "partial", "c3": "valid"}
    c1 = next(row for row in rows if row["consumer"]["uuid"] == "c1")
    assert c1["status"]["reasons"] == NOT_COVERED
    assert c1["status"]["date"] == "2026-01-02T10:00:00.000+0000"


def test_a_bare_on_date_covers_that_whole_day(fleet: Any) -> None:
    rows = report_json(fleet, "consumer_status", [("on_date", "2026-01-10")])
    assert statuses(rows)["c1"] == "valid"


def test_two_snapshots_on_one_day_the_later_wins(fleet: Any) -> None:
    assert statuses(report_json(fleet, "consumer_status", [("on_date", "2026-01-12")]))["c5"] == "valid"
    before_evening = [("on_date", "2026-01-12T12:00:00Z")]
    assert statuses(report_json(fleet, "consumer_status", before_evening))["c5"] == "invalid"


def test_a_consumer_is_listed_until_its_deletion(fleet: Any) -> None:
    assert "c2" in uuids(report_json(fleet, "consumer_status", [("on_date", "2026-01-19T23:59:59Z")]))
    assert "c2" not in uuids(report_json(fleet, "consumer_status", [("on_date", "2026-01-20T00:00:00Z")]))


def test_a_consumer_created_after_on_date_is_not_listed(stack: Any) -> None:
    load(stack, "t1", [consumer_created("late", "2026-02-03T00:00:00Z")])
    load(stack, "t1", [compliance("late", "2026-02-01T10:00:00Z")])  # the state exists: created stays
    assert report_json(stack, "consumer_status", [("on_date", "2026-02-02")]) == []
    assert uuids(report_json(stack, "consumer_status", [("on_date", "2026-02-03")])) == ["late"]


def test_a_consumer_created_arriving_after_a_snapshot_keeps_the_snapshots_state(stack: Any) -> None:
    """Gutterball's ConsumerHandler creates the state only when none exists (issue 16)."""
    load(
        stack,
        "t1",
        [
            compliance("late", "2026-02-01T10:00:00Z"),
            consumer_created("late", "2026-02-03T00:00:00Z"),
        ],
    )
    assert uuids(report_json(stack, "consumer_status", [("on_date", "2026-02-02")])) == ["late"]


def test_multi_valued_filters_are_or_within_and_across_parameters(fleet: Any) -> None:
    either = report_json(fleet, "consumer_status", [("status", "valid"), ("status", "INVALID")])
    assert uuids(either) == ["c1", "c3", "c5"]
    both = report_json(fleet, "consumer_status", [("owner", "acme"), ("status", "valid")])
    assert uuids(both) == ["c1", "c5"]
    owners = report_json(fleet, "consumer_status", [("owner", "globex"), ("owner", "acme")])
    assert uuids(owners) == ["c1", "c3", "c5"]
    assert uuids(report_json(fleet, "consumer_status", [("owner", "globex")])) == ["c3"]


def test_filters_apply_to_the_latest_snapshot_not_older_ones(fleet: Any) -> None:
    # c3 had the awesomeos sku on Jan 3 but not any more: only c1 matches now.
    assert uuids(report_json(fleet, "consumer_status", [("sku", "awesomeos")])) == ["c1"]
    on_jan_5 = report_json(fleet, "consumer_status", [("sku", "awesomeos"), ("on_date", "2026-01-05")])
    assert uuids(on_jan_5) == ["c3"]


def test_product_subscription_and_management_filters(fleet: Any) -> None:
    assert uuids(report_json(fleet, "consumer_status", [("product_name", "Awesome OS Bits")])) == ["c1"]
    assert uuids(report_json(fleet, "consumer_status", [("subscription_name", "Awesome OS")])) == ["c1"]
    assert uuids(report_json(fleet, "consumer_status", [("management_enabled", "yes")])) == ["c1"]
    assert uuids(report_json(fleet, "consumer_status", [("management_enabled", "false")])) == ["c3", "c5"]
    on_jan_7 = [("subscription_name", "Other Sub"), ("on_date", "2026-01-07")]
    assert uuids(report_json(fleet, "consumer_status", on_jan_7)) == ["c2"]


def test_consumer_uuid_filter_and_unknown_uuids(fleet: Any) -> None:
    rows = report_json(fleet, "consumer_status", [("consumer_uuid", "c3"), ("consumer_uuid", "c2")])
    assert uuids(rows) == ["c3"]  # c2 is deleted
    assert report_json(fleet, "consumer_status", [("consumer_uuid", "nobody")]) == []


def test_include_reasons_false_leaves_reasons_out(fleet: Any) -> None:
    [row] = report_json(fleet, "consumer_status", [("consumer_uuid", "c1"), ("include_reasons", "false")])
    assert set(row["status"]) == {"status", "date", "managementEnabled"}


def test_custom_results_return_the_full_stored_snapshot(fleet: Any) -> None:
    [row] = report_json(fleet, "consumer_status", [("consumer_uuid", "c1"), ("custom_results", "true")])
    assert set(row) == {"consumer", "entitlements", "status"}
    assert row["entitlements"][0]["productId"] == "awesomeos"
    assert row["consumer"]["consumerState"] == {
        "uuid": "c1",
        "owner": "acme",
        "created": "2026-01-01T00:00:00.000+0000",
        "deleted": None,
    }
    past = [("consumer_uuid", "c1"), ("custom_results", "1"), ("on_date", "2026-01-05")]
    [old] = report_json(fleet, "consumer_status", past)
    assert (old["status"]["status"], old["entitlements"]) == ("invalid", [])


def test_custom_results_with_include_and_exclude(fleet: Any) -> None:
    query = [
        ("consumer_uuid", "c1"),
        ("custom_results", "1"),
        ("include", "consumer.uuid"),
        ("include", "Status.Status"),
    ]
    assert report_json(fleet, "consumer_status", query) == [
        {"consumer": {"uuid": "c1"}, "status": {"status": "valid"}}
    ]
    query = [
        ("consumer_uuid", "c1"),
        ("custom_results", "1"),
        ("exclude", "entitlements"),
        ("exclude", "consumer"),
    ]
    [row] = report_json(fleet, "consumer_status", query)
    assert set(row) == {"status"}


def test_another_tenants_consumers_are_never_visible(fleet: Any) -> None:
    assert uuids(report_json(fleet, "consumer_status", owner="t2")) == ["c9"]
    assert report_json(fleet, "consumer_status", [("consumer_uuid", "c9")]) == []
    assert report_json(fleet, "consumer_status", owner="t3") == []


def test_items_read_are_bounded_by_the_consumers_in_scope(stack: Any) -> None:
    events = []
    for index in range(12):
        owner_key = "small" if index < 3 else "big"
        for day in range(1, 6):
            events.append(compliance(f"k{index:02d}", f"2026-03-0{day}T10:00:00Z", owner_key=owner_key))
    load(stack, "t1", events)
    load(stack, "t2", [compliance(f"x{n}", "2026-03-01T10:00:00Z") for n in range(5)])
    reads = ItemsRead(dynamodb().meta.client)

    def items_read(query: list[tuple[str, str]]) -> int:
        reads.reset()
        report_json(stack, "consumer_status", query)
        assert "Scan" not in reads.operations
        return reads.items

    assert items_read([]) == 12  # now: the maintained latest status, one item per consumer
    # narrowed by the ByOwnerKey index (keys only: its 3 entries, then their 3 items)
    assert items_read([("owner", "small")]) == 2 * 3
    assert items_read([("consumer_uuid", "k00"), ("consumer_uuid", "k05")]) <= 2
    assert items_read([("on_date", "2026-03-03")]) <= 2 * 12  # consumer item + one snapshot each
    assert items_read([("on_date", "2026-03-03"), ("owner", "small")]) <= 3 * 3
