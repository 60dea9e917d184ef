"""Report semantics checked against Gutterball's own tests (issue 16).

The fixture is ComplianceSnapshotCuratorTest's: four consumers of 2012 with installed products p1..p4
and entitlements whose provided products differ from what is installed (testsku1 provides p1, testsku2
p2, testsku3 p3). `product_name` selects consumers by *installed* products that their status lists as
compliant, partially compliant or non-compliant — entitled or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from compliance_support import (
    compliance,
    consumer_created,
    consumer_deleted,
    entitlement,
    load,
    report_json,
    shared_stack,
)

SKU1 = entitlement("testsku1", "test product 1", {"p1": "p1"}, management=True)
SKU2 = entitlement("testsku2", "test product 2", {"p2": "p2"})
SKU3 = entitlement("testsku3", "test product 3", {"p3": "p3"})
C1 = {"p1": "p1"}
C2 = {"p1": "p1", "p2": "p2"}
C3 = {"p3": "p3", "p4": "p4"}
C4 = {"p1": "p1", "p4": "p4"}


def gutterball_fixture() -> list[dict[str, Any]]:
    """ComplianceSnapshotCuratorTest.initData, day by day (each event at 10:00 UTC)."""

    def at(day: str) -> str:
        return f"2012-{day}T10:00:00.000+0000"

    def snap(uuid: str, day: str, status: str, installed: dict[str, str], ents: list, **lists: Any) -> dict:
        return compliance(
            uuid, at(day), status, owner_key=OWNERS[uuid], installed=installed, entitlements=ents, **lists
        )

    return [
        consumer_created("c1", at("03-10"), "o1"),
        snap("c1", "03-10", "invalid", C1, [SKU1], noncompliant=["p1"]),
        snap("c1", "05-10", "valid", C1, [SKU1], compliant=["p1"]),
        snap("c1", "06-10", "invalid", {}, [SKU1]),  # the snapshot of its deletion day
        consumer_deleted("c1", at("06-10"), "o1"),
        consumer_created("c2", at("04-10"), "o1"),
        snap("c2", "04-10", "invalid", C2, [SKU1, SKU2], noncompliant=["p1", "p2"]),
        consumer_created("c3", at("05-10"), "o2"),
        snap("c3", "05-10", "invalid", C3, [SKU2], noncompliant=["p3", "p4"]),
        snap("c3", "06-10", "partial", C3, [SKU2], compliant=["p3"], partial=["p4"]),
        consumer_created("c4", at("05-10"), "o3"),
        snap("c4", "05-10", "invalid", C4, [SKU2, SKU3], noncompliant=["p1", "p4"]),
        snap("c4", "06-10", "partial", C4, [SKU2, SKU3], partial=["p1", "p4"]),
        snap("c4", "07-10", "valid", C4, [SKU2, SKU3], compliant=["p1", "p4"]),
    ]


OWNERS = {"c1": "o1", "c2": "o1", "c3": "o2", "c4": "o3"}


@pytest.fixture(scope="module")
def gutterball() -> Iterator[Any]:
    with shared_stack() as stack:
        load(stack, "t1", gutterball_fixture())
        yield stack


def uuids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(row["consumer"]["uuid"] for row in rows)


def days(first: str, last: str, counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """`counts` for every day of [first, last] (2012, `MM-DD`), keyed as status_trend keys them."""
    from datetime import date, timedelta

    day, end = date.fromisoformat(f"2012-{first}"), date.fromisoformat(f"2012-{last}")
    out = {}
    while day <= end:
        out[f"{day.isoformat()}T23:59:59.999+0000"] = counts
        day += timedelta(days=1)
    return out


# ---------------------------------------------------------------- consumer_status
@pytest.mark.parametrize(
    ("product", "expected"),
    [
        ("p1", ["c2", "c4"]),  # testGetIteratorByProductName: c4 has p1 installed, no entitlement provides it
        ("p2", ["c2"]),  # c3 and c4 are entitled to testsku2 (provides p2) but have not installed it
        ("p3", ["c3"]),  # c4 is entitled to testsku3 (provides p3): not installed, not matched
        ("p4", ["c3", "c4"]),  # installed, provided by nothing
        ("bad_product", []),
    ],
)
def test_consumer_status_product_name_matches_installed_products(
    gutterball: Any, product: str, expected: list[str]
) -> None:
    assert uuids(report_json(gutterball, "consumer_status", [("product_name", product)])) == expected


def test_consumer_status_product_name_on_a_date(gutterball: Any) -> None:
    query = [("product_name", "p1"), ("on_date", "2012-05-20")]
    assert uuids(report_json(gutterball, "consumer_status", query)) == ["c1", "c2", "c4"]


def test_installed_product_missing_from_the_status_lists_does_not_match(gutterball: Any) -> None:
    """The join is on the status's product ids: an installed product it does not list is not matched."""
    event = compliance("x1", "2026-03-01T10:00:00Z", installed={"9": "Nine"}, compliant=["8"])
    load(gutterball, "t-unlisted", [event])
    assert report_json(gutterball, "consumer_status", [("product_name", "Nine")], owner="t-unlisted") == []


# ---------------------------------------------------------------- status_trend
def test_status_trend_product_name_p1_as_gutterball_counts_it(gutterball: Any) -> None:
    """testGetComplianceStatusCountsWithProduct("p1"), from c1's registration, open-ended."""
    expected = {
        **days("03-10", "04-09", {"invalid": 1}),
        **days("04-10", "05-09", {"invalid": 2}),
        **days("05-10", "06-09", {"invalid": 2, "valid": 1}),
        **days("06-10", "07-09", {"invalid": 1, "partial": 1}),
        **days("07-10", "07-10", {"invalid": 1, "valid": 1}),
    }
    answer = report_json(gutterball, "status_trend", [("start_date", "2012-03-10"), ("product_name", "p1")])
    assert answer == expected


def test_status_trend_product_name_p4_as_gutterball_counts_it(gutterball: Any) -> None:
    expected = {
        **days("05-10", "06-09", {"invalid": 2}),
        **days("06-10", "07-09", {"partial": 2}),
        **days("07-10", "07-10", {"partial": 1, "valid": 1}),
    }
    answer = report_json(gutterball, "status_trend", [("product_name", "p4")])
    assert answer == expected


def test_status_trend_unknown_product_is_empty(gutterball: Any) -> None:
    assert report_json(gutterball, "status_trend", [("product_name", "bad_product")]) == {}


def test_demo_seed_answers_which_systems_with_a_product_installed_are_invalid(gutterball: Any) -> None:
    import boto3
    from fleetreport_local import seed_compliance
    from fleetreport_local.seeding import SeedContext

    ctx = SeedContext("http://127.0.0.1:3000", None, "demo", "TOKEN", gutterball.template, boto3.Session())  # type: ignore[arg-type]
    seed_compliance.seed(ctx)
    query = [("product_name", "Awesome OS Server Bits"), ("status", "invalid")]
    rows = report_json(gutterball, "consumer_status", query, owner="demo")
    everyone = report_json(gutterball, "consumer_status", [("status", "invalid")], owner="demo")
    server = {
        f"00000000-demo-4000-8000-{i:012d}"
        for i in range(18)
        if "server" in seed_compliance.entitlement_kinds(i)
    }
    # invalid servers hold no entitlement at all, yet they are the ones this question is about
    assert uuids(rows) == sorted(
        row["consumer"]["uuid"] for row in everyone if row["consumer"]["uuid"] in server
    )
    query = [("product_name", "Awesome OS Server Bits")]
    installed = report_json(gutterball, "consumer_status", query, owner="demo")
    assert uuids(installed) == sorted(server - {"00000000-demo-4000-8000-000000000005"})  # 5 is deleted


# ---------------------------------------------------------------- a single-valued filter given several times
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([("sku", "testsku1"), ("sku", "testsku3")], ["c2", "c4"]),
        ([("product_name", "p2"), ("product_name", "p3")], ["c2", "c3"]),
        ([("subscription_name", "test product 1"), ("subscription_name", "test product 3")], ["c2", "c4"]),
        ([("sku", "testsku3"), ("sku", "nothing")], ["c4"]),
    ],
)
def test_consumer_status_repeated_filter_matches_any_value(
    gutterball: Any, query: list[tuple[str, str]], expected: list[str]
) -> None:
    assert uuids(report_json(gutterball, "consumer_status", query)) == expected


def test_repeated_filters_still_and_across_parameters(gutterball: Any) -> None:
    query = [("sku", "testsku1"), ("sku", "testsku3"), ("product_name", "p4")]
    assert uuids(report_json(gutterball, "consumer_status", query)) == ["c4"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([("sku", "testsku1"), ("sku", "testsku3")], {"invalid": 1, "valid": 1}),
        ([("product_name", "p2"), ("product_name", "p3")], {"invalid": 1, "partial": 1}),
        (
            [("subscription_name", "test product 3"), ("subscription_name", "test product 1")],
            {"invalid": 1, "valid": 1},
        ),
        ([("owner", "o1"), ("owner", "o3")], {"invalid": 1, "valid": 1}),
        ([("owner", "o2"), ("owner", "o2")], {"partial": 1}),
    ],
)
def test_status_trend_repeated_filter_matches_any_value(
    gutterball: Any, query: list[tuple[str, str]], expected: dict[str, int]
) -> None:
    day = [("start_date", "2012-07-10"), ("end_date", "2012-07-10")]
    assert report_json(gutterball, "status_trend", [*day, *query]) == {
        "2012-07-10T23:59:59.999+0000": expected
    }


def test_repeated_filters_keep_their_catalogue_flags(gutterball: Any) -> None:
    """The seed's multiValued flags stay as they are (SPEC §4.2): the flag documents, matching is lenient."""
    for key in ("consumer_status", "status_trend"):
        entry = report_json_catalogue(gutterball, key)
        flags = {param["name"]: param["multiValued"] for param in entry["parameters"]}
        assert (
            flags["sku"] is False and flags["product_name"] is False and flags["subscription_name"] is False
        )


def report_json_catalogue(stack: Any, key: str) -> Any:
    answer = stack.http("GET", f"/reports/{key}", headers=stack.auth(owner="t1"))
    assert answer.status == 200
    return answer.json()
