"""Paging, sorting, attribute filtering and CSV of report answers (SPEC §4.6)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from compliance_support import compliance, consumer_json, entitlement, load, report_json, run_report
from fleetreport.reports.filtering import exclude, include_only
from fleetreport_local.apigw import http_api_event
from fleetreport_local.gateway import Gateway
from fleetreport_local.invoker import to_http_result
from fleetreport_local.template import load_template


@pytest.fixture
def five(stack: Any) -> Any:
    """Five consumers; c1 reported first, c5 last; statuses alternate."""
    events = []
    for index in range(1, 6):
        status = "valid" if index % 2 else "invalid"
        ents = [
            entitlement(f"sku{index}", f"Sub {index}", {"1": "Bits", "2": "More Bits"}),
            entitlement("x", "X"),
        ]
        events.append(compliance(f"c{index}", f"2026-01-0{index}T10:00:00Z", status, entitlements=ents))
    load(stack, "t1", events)
    return stack


def links(answer: Any) -> dict[str, int]:
    """rel → page number of each URL in the Link header."""
    found = {}
    for part in (answer.header("Link") or "").split(", "):
        url, rel = part.split("; ")
        found[rel.removeprefix('rel="').removesuffix('"')] = int(
            dict(parse_qsl(urlsplit(url[1:-1]).query))["page"]
        )
    return found


def uuids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["consumer"]["uuid"] for row in rows]


def run_via_gateway(stack: Any, domain: str, stage: str, raw_path: str, headers: dict[str, str]) -> Any:
    """The run route invoked with the request context API Gateway would give it."""
    event = http_api_event("GET", raw_path, route_key="GET /reports/{report_key}/run",
                           path_parameters={"report_key": "consumer_status"},
                           query=[("page", "2"), ("per_page", "2")],
                           headers={**stack.auth(owner="t1"), **headers}, domain_name=domain)  # fmt: skip
    event["requestContext"]["stage"] = stage
    return to_http_result(stack.invoke("run_report", event))


def link_urls(answer: Any) -> list[str]:
    return [part.split(">;")[0].lstrip("<") for part in (answer.header("Link") or "").split(", ")]


def test_link_urls_come_from_the_gateway_context_not_the_host_header(five: Any) -> None:
    forged = {"host": "evil.example", "x-forwarded-proto": "http", "x-forwarded-host": "evil.example"}
    answer = run_via_gateway(five, "abc123.execute-api.eu-west-1.amazonaws.com", "$default",
                             "/reports/consumer_status/run", forged)  # fmt: skip
    urls = link_urls(answer)
    assert len(urls) == 4 and not any("evil" in url for url in urls), urls
    assert all(
        url.startswith("https://abc123.execute-api.eu-west-1.amazonaws.com/reports/consumer_status/run?")
        for url in urls
    ), urls


def test_link_urls_carry_a_named_stage_once(five: Any) -> None:
    """On a named stage the HTTP API's rawPath starts with it (Powertools routes what follows)."""
    answer = run_via_gateway(five, "api.example.com", "prod", "/prod/reports/consumer_status/run", {})
    assert answer.status == 200 and len(link_urls(answer)) == 4, answer.text
    for raw_path in ["/prod/reports/consumer_status/run"]:
        assert all(
            url.startswith("https://api.example.com/prod/reports/consumer_status/run?")
            for url in link_urls(answer)
        ), (raw_path, answer.header("Link"))


def test_the_local_gateway_names_its_own_address_as_the_domain() -> None:
    """Locally the Link URLs point at the server (http://127.0.0.1:PORT), whatever Host was sent."""
    seen: list[dict[str, Any]] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        return {"statusCode": 200, "body": "[]"}

    gateway = Gateway(load_template(), invoke)
    gateway.handle(
        "GET", "/reports/consumer_status/run?page=1", [("Host", "evil.example")], None, server_port=3123
    )
    [event] = seen
    assert event["requestContext"]["domainName"] == "127.0.0.1:3123"
    from types import SimpleNamespace

    from fleetreport.reports.access import request_base_url

    parsed = SimpleNamespace(
        request_context=SimpleNamespace(domain_name="127.0.0.1:3123", stage="$default"),
        raw_path="/reports/consumer_status/run",
    )
    assert request_base_url(parsed) == "http://127.0.0.1:3123/reports/consumer_status/run"


def test_first_middle_last_and_past_the_end_pages(five: Any) -> None:
    first = run_report(five, "consumer_status", [("page", "1"), ("per_page", "2")])
    assert uuids(first.json()) == ["c5", "c4"]  # paging sorts by date, descending by default
    assert first.header("X-Total-Count") == "5"
    assert links(first) == {"next": 2, "first": 1, "last": 3}
    middle = run_report(five, "consumer_status", [("page", "2"), ("per_page", "2")])
    assert uuids(middle.json()) == ["c3", "c2"]
    assert links(middle) == {"next": 3, "prev": 1, "first": 1, "last": 3}
    last = run_report(five, "consumer_status", [("page", "3"), ("per_page", "2")])
    assert uuids(last.json()) == ["c1"]
    assert links(last) == {"prev": 2, "first": 1, "last": 3}
    beyond = run_report(five, "consumer_status", [("page", "9"), ("per_page", "2")])
    assert (beyond.status, beyond.json()) == (200, [])
    assert links(beyond) == {"prev": 3, "first": 1, "last": 3}


def test_link_urls_repeat_every_query_parameter(five: Any) -> None:
    query = [("status", "valid"), ("status", "invalid"), ("page", "1"), ("per_page", "2"), ("order", "asc")]
    answer = run_report(
        five, "consumer_status", query, headers={"host": "api.example", "x-forwarded-proto": "https"}
    )
    next_url = answer.header("Link").split(">")[0][1:]  # type: ignore[union-attr]
    parts = urlsplit(next_url)
    assert (parts.scheme, parts.netloc, parts.path) == (  # the gateway's domain, not the Host header
        "http",
        "127.0.0.1",
        "/reports/consumer_status/run",
    )
    assert parse_qsl(parts.query) == [
        ("status", "valid"),
        ("status", "invalid"),
        ("page", "2"),
        ("per_page", "2"),
        ("order", "asc"),
    ]


def test_page_alone_uses_ten_per_page_and_per_page_alone_the_first_page(five: Any) -> None:
    assert len(report_json(five, "consumer_status", [("page", "1")])) == 5
    answer = run_report(five, "consumer_status", [("per_page", "1")])
    assert uuids(answer.json()) == ["c5"] and links(answer)["last"] == 5


def test_order_and_sort_by_without_paging_sort_the_whole_result(five: Any) -> None:
    answer = run_report(five, "consumer_status", [("order", "ASC")])
    assert uuids(answer.json()) == ["c1", "c2", "c3", "c4", "c5"]
    assert answer.header("Link") is None and answer.header("X-Total-Count") is None
    by_status = report_json(five, "consumer_status", [("sort_by", "status"), ("order", "asc")])
    assert [row["status"]["status"] for row in by_status] == ["invalid"] * 2 + ["valid"] * 3
    assert uuids(report_json(five, "consumer_status", [("sort_by", "uuid")])) == [
        "c5",
        "c4",
        "c3",
        "c2",
        "c1",
    ]
    natural = report_json(five, "consumer_status")
    assert uuids(natural) == ["c1", "c2", "c3", "c4", "c5"]


def test_consumer_trend_pages(five: Any) -> None:
    load(five, "t1", [compliance("c1", f"2026-02-0{d}T10:00:00Z", "valid") for d in range(1, 4)])
    answer = run_report(
        five, "consumer_trend", [("consumer_uuid", "c1"), ("per_page", "3"), ("order", "asc")]
    )
    assert [row["status"]["date"][:10] for row in answer.json()] == ["2026-01-01", "2026-02-01", "2026-02-02"]
    assert answer.header("X-Total-Count") == "4"


def test_status_trend_pages_its_days(five: Any) -> None:
    days = [("start_date", "2026-01-01"), ("end_date", "2026-01-05")]
    newest = run_report(five, "status_trend", [*days, ("page", "1"), ("per_page", "2")])
    assert list(newest.json()) == ["2026-01-05T23:59:59.999+0000", "2026-01-04T23:59:59.999+0000"]
    assert newest.header("X-Total-Count") == "5" and links(newest) == {"next": 2, "first": 1, "last": 3}
    oldest = report_json(five, "status_trend", [*days, ("page", "1"), ("per_page", "2"), ("order", "asc")])
    assert oldest == {
        "2026-01-01T23:59:59.999+0000": {"valid": 1},
        "2026-01-02T23:59:59.999+0000": {"invalid": 1, "valid": 1},
    }
    assert report_json(five, "status_trend", [*days, ("page", "4"), ("per_page", "2")]) == {}


def test_include_applies_through_nested_lists(five: Any) -> None:
    query = [("consumer_uuid", "c1"), ("custom_results", "1"), ("include", "ENTITLEMENTS.productId")]
    assert report_json(five, "consumer_status", query) == [
        {"entitlements": [{"productId": "sku1"}, {"productId": "x"}]}
    ]


def test_exclude_applies_through_nested_lists(five: Any) -> None:
    query = [("consumer_uuid", "c1"), ("custom_results", "1"), ("exclude", "entitlements.providedProducts")]
    query += [("exclude", "entitlements.attributes"), ("exclude", "consumer.facts")]
    [row] = report_json(five, "consumer_status", query)
    assert [set(e) for e in row["entitlements"]] == [{"productId", "productName", "quantity"}] * 2
    assert "facts" not in row["consumer"] and row["consumer"]["uuid"] == "c1"


def test_filtering_rules_on_plain_documents() -> None:
    doc = {"a": [{"b": [{"c": 1, "d": 2}], "e": 3}], "F": {"g": 4}, "h": 5}
    assert include_only(doc, ["a.b.c"]) == {"a": [{"b": [{"c": 1}]}]}
    assert include_only(doc, ["f", "h"]) == {"F": {"g": 4}, "h": 5}
    assert include_only(doc, ["h.nothing"]) == {}
    assert include_only(doc, ["a.missing"]) == {"a": [{}]}
    assert exclude(doc, ["a.b.d", "f.G"]) == {"a": [{"b": [{"c": 1}], "e": 3}], "F": {}, "h": 5}
    assert exclude(doc, ["nothing.here"]) == doc


def test_csv_by_accept_header_flattens_rows(five: Any) -> None:
    answer = run_report(five, "consumer_status", [("consumer_uuid", "c1")], headers={"Accept": "text/csv"})
    assert answer.status == 200 and answer.header("Content-Type") == "text/csv"
    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert row["consumer.uuid"] == "c1"
    assert row["status.status"] == "valid"
    assert row["status.reasons"] == "" and row["consumer.consumerState.deleted"] == ""
    assert row["consumer.facts.cpu.cpu(s)"] == "4"
    assert row["status.managementEnabled"] == "false"


def test_csv_lists_of_scalars_are_joined_and_lists_of_objects_indexed(five: Any) -> None:
    query = [("consumer_uuid", "c1"), ("custom_results", "1"), ("include", "entitlements"), ("format", "csv")]
    answer = run_report(five, "consumer_status", query)
    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert row["entitlements.0.productId"] == "sku1"
    assert row["entitlements.1.productId"] == "x"
    assert row["entitlements.0.providedProducts.2"] == "More Bits"


def test_csv_of_status_trend_has_a_column_per_status(five: Any) -> None:
    query = [("start_date", "2026-01-01"), ("end_date", "2026-01-02"), ("format", "CSV")]
    answer = run_report(five, "status_trend", query)
    assert answer.text.splitlines() == [
        "date,invalid,valid",
        "2026-01-01T23:59:59.999+0000,0,1",
        "2026-01-02T23:59:59.999+0000,1,1",
    ]


def test_csv_cells_that_look_like_formulas_are_defused(stack: Any) -> None:
    event = compliance("c1", "2026-01-01T10:00:00Z")
    entity = json.loads(event["entity"])
    entity["consumer"] = consumer_json("c1", name="=HYPERLINK(1)", facts={"temp": "-5"})
    entity["status"]["reasons"] = ["-3", "+x"]
    event["entity"] = entity
    load(stack, "t1", [event])
    answer = run_report(stack, "consumer_status", [("format", "csv")])
    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert row["consumer.name"] == "'=HYPERLINK(1)"
    assert row["status.reasons"] == "'-3;'+x"  # the joined cell, and each part a `;` locale splits off
    assert row["consumer.facts.temp"] == "-5"  # numbers stay numbers


def test_csv_parts_after_a_semicolon_are_defused_too(stack: Any) -> None:
    """A spreadsheet whose list separator is `;` splits every line there, quotes or not."""
    event = compliance("c1", "2026-01-01T10:00:00Z")
    entity = json.loads(event["entity"])
    entity["consumer"] = consumer_json("c1", name="Bob;=HYPERLINK(1);@SUM(2);-1;\tx", facts={"v": "-1e3;2"})
    event["entity"] = entity
    load(stack, "t1", [event])
    [row] = list(csv.DictReader(io.StringIO(run_report(stack, "consumer_status", [("format", "csv")]).text)))
    assert row["consumer.name"] == "Bob;'=HYPERLINK(1);'@SUM(2);-1;'\tx"
    assert row["consumer.facts.v"] == "'-1e3;2"  # not a number as a whole: a comma locale reads it as text
    # Only plain decimals count as numbers (float() also takes these; a spreadsheet does not).
    assert [csv_cell(text) for text in ("-1", "-1.5e3", "-inf", "-nan", "+Infinity")] == [
        "-1", "-1.5e3", "'-inf", "'-nan", "'+Infinity"
    ]  # fmt: skip


def csv_cell(text: str) -> str:
    from fleetreport.reports.csvformat import rows_to_csv

    return next(csv.reader(io.StringIO(rows_to_csv([{"v": text}]).splitlines()[1])))[0]


def test_csv_header_cells_are_defused(stack: Any) -> None:
    """Column names come from stored data (here status names Candlepin sent): they are cells too."""
    load(stack, "t1", [compliance("c1", "2026-01-01T10:00:00Z", "=cmd|' /c calc'!A0"),
                       compliance("c2", "2026-01-01T11:00:00Z", "@SUM(1)"),
                       compliance("c3", "2026-01-01T12:00:00Z", "valid;=1+1")])  # fmt: skip
    query = [("start_date", "2026-01-01"), ("end_date", "2026-01-01"), ("format", "csv")]
    header = next(csv.reader(io.StringIO(run_report(stack, "status_trend", query).text)))
    assert header == ["date", "'=cmd|' /c calc'!a0", "'@sum(1)", "valid;'=1+1"]
    from fleetreport.reports.csvformat import rows_to_csv

    assert rows_to_csv([{"=x": 1, "-y": {"+z": 2}}]).splitlines()[0] == "'=x,'-y.+z"


def test_format_json_wins_over_accept(five: Any) -> None:
    answer = run_report(five, "consumer_status", [("format", "json")], headers={"Accept": "text/csv"})
    assert answer.header("Content-Type") == "application/json" and len(answer.json()) == 5
