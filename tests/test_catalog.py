"""The report catalogue: GET /reports and GET /reports/{report_key} (SPEC §4.2)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from compliance_support import shared_stack
from fleetreport_local.openapi import DOCUMENT_PATH
from jsonschema import Draft202012Validator

SEED_CONSUMER_STATUS = [
    ("consumer_uuid", "Filters the results by the specified consumer UUID.", False, True),
    ("owner", "The Owner key(s) to filter on.", False, True),
    ("status", "The subscription status to filter on [valid, invalid, partial].", False, True),
    ("on_date", "The date to filter on. Defaults to NOW.", False, False),
    ("product_name", "The name of a product on which to filter", False, False),
    ("sku", "The entitlement sku on which to filter", False, False),
    ("subscription_name", "The name of a subscription on which to filter", False, False),
    (
        "management_enabled",
        "Filter on subscriptions which have management enabled set to this value (boolean)",
        False,
        False,
    ),
    (
        "custom_results",
        "Enables/disables custom report result functionality via attribute filtering (boolean).",
        False,
        False,
    ),
    ("include_reasons", "Include status reasons in results", False, False),
    ("include", "Includes the specified attribute in the result JSON", False, True),
    ("exclude", "Excludes the specified attribute in the result JSON", False, True),
]
SEED_CONSUMER_TREND = [
    ("consumer_uuid", "Filters the results by the specified consumer UUID.", True, False),
    ("hours", "The number of hours to filter on (used indepent of date range).", False, False),
    ("start_date", "The start date to filter on (used with end_date).", False, False),
    ("end_date", "The end date to filter on (used with start_date)", False, False),
    (
        "custom_results",
        "Enables/disables custom report result functionality via attribute filtering (boolean).",
        False,
        False,
    ),
    ("include", "Includes the specified attribute in the result JSON", False, True),
    ("exclude", "Excludes the specified attribute in the result JSON", False, True),
]
SEED_STATUS_TREND = [
    ("start_date", "The start date on which to filter", False, False),
    ("end_date", "The end date on which to filter", False, False),
    ("consumer_uuid", "The consumer UUID(s) on which to filter", False, True),
    ("owner", "An owner key on which to filter", False, False),
    ("product_name", "The name of a product on which to filter", False, False),
    ("sku", "The entitlement sku on which to filter", False, False),
    ("subscription_name", "The name of a subscription on which to filter", False, False),
    (
        "management_enabled",
        "Filter on subscriptions which have management enabled set to this value (boolean)",
        False,
        False,
    ),
    ("timezone", "The timezone to use when processing the request and returning results", False, False),
]


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """One stack for the module: these tests only read (no data is written)."""
    with shared_stack() as shared:
        yield shared


def as_tuples(report: dict[str, Any]) -> list[tuple[str, str, bool, bool]]:
    return [(p["name"], p["description"], p["mandatory"], p["multiValued"]) for p in report["parameters"]]


def test_list_reports_in_stable_order_with_the_seed_declarations(stack: Any) -> None:
    answer = stack.http("GET", "/reports", headers=stack.auth())
    assert answer.status == 200
    reports = answer.json()
    assert [r["key"] for r in reports] == ["consumer_status", "consumer_trend", "status_trend", "group_trend"]
    by_key = {r["key"]: r for r in reports}
    assert by_key["consumer_status"]["description"] == "List the status of all consumers"
    assert by_key["consumer_trend"]["description"] == "Lists the status of each consumer over a date range"
    assert by_key["status_trend"]["description"] == "Lists the per-day status counts for all consumers"
    assert as_tuples(by_key["consumer_status"]) == SEED_CONSUMER_STATUS
    assert as_tuples(by_key["consumer_trend"]) == SEED_CONSUMER_TREND
    assert as_tuples(by_key["status_trend"]) == SEED_STATUS_TREND
    group_trend = by_key["group_trend"]["parameters"]
    assert [p["name"] for p in group_trend if p["mandatory"]] == ["app"]


def test_catalogue_answers_match_the_documented_schema_in_gutterball_key_order(stack: Any) -> None:
    # One model serializes the answer and is the document's schema: check both from the outside.
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    validator = Draft202012Validator({"$ref": "#/components/schemas/CatalogueEntry", **document})
    listed = stack.http("GET", "/reports", headers=stack.auth())
    one = stack.http("GET", "/reports/consumer_status", headers=stack.auth())
    for entry in [*listed.json(), one.json()]:
        validator.validate(entry)
        assert list(entry) == ["key", "description", "parameters"]
        fields = {tuple(parameter) for parameter in entry["parameters"]}
        assert fields == {("name", "description", "mandatory", "multiValued")}
    assert one.body.startswith(b'{"key":"consumer_status","description":"List the status of all consumers",')


def test_get_one_report(stack: Any) -> None:
    answer = stack.http("GET", "/reports/status_trend", headers=stack.auth())
    assert answer.status == 200
    assert answer.json()["key"] == "status_trend"
    assert set(answer.json()) == {"key", "description", "parameters"}


def test_unknown_report_is_404_with_display_message_and_request_uuid(stack: Any) -> None:
    answer = stack.http("GET", "/reports/nope", headers=stack.auth())
    assert answer.status == 404
    body = answer.json()
    assert body["displayMessage"] == "Report nope not found."
    assert body["requestUuid"] == answer.header("X-Request-Uuid")
    uuid.UUID(body["requestUuid"])
    # Gutterball's exact bytes: key order, no spaces.
    exact = f'{{"displayMessage":"Report nope not found.","requestUuid":"{body["requestUuid"]}"}}'
    assert answer.body == exact.encode()


def test_every_catalogue_answer_carries_a_fresh_request_uuid(stack: Any) -> None:
    first = stack.http("GET", "/reports", headers=stack.auth())
    second = stack.http("GET", "/reports", headers=stack.auth())
    assert first.header("X-Request-Uuid") and second.header("X-Request-Uuid")
    assert first.header("X-Request-Uuid") != second.header("X-Request-Uuid")
    assert stack.http("GET", "/reports").header("X-Request-Uuid")  # 401 too


def test_catalogue_needs_a_token_and_reports_read(stack: Any) -> None:
    assert stack.http("GET", "/reports").status == 401
    no_read = {"apps": {"download": True, "edit": True, "delete": True}, "reports": {"read": False}}
    denied = stack.http("GET", "/reports", headers=stack.auth(role="team", permissions=no_read))
    assert (denied.status, denied.json()) == (403, {"error": "Permission denied"})
    assert stack.http("GET", "/reports/nope", headers=stack.auth(role="ingest")).status == 403
    reader = {"reports": {"read": True}}
    assert stack.http("GET", "/reports", headers=stack.auth(role="team", permissions=reader)).status == 200
