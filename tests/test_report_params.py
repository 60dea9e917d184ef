"""Report parameter validation (SPEC §4.3): messages verbatim, declaration order, first failure wins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from compliance_support import shared_stack
from fleetreport.reports.catalogue import find_report
from fleetreport.reports.params import QueryParams, validate


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """One stack for the module: these tests only read (no data is written)."""
    with shared_stack() as shared:
        yield shared


DATETIME = "Invalid date string. Expected format: yyyy-MM-dd'T'HH:mm:ss.SSSZ"
DAY = "Invalid date string. Expected format: yyyy-MM-dd"
TIMEZONE = (
    "Invalid time zone string. Time zones must be recognized time zone names or offsets specified in "
    'the form of "GMT[+-]HH:?MM".'
)
BOOLEAN = "Parameter must be a Boolean value."
INTEGER = "Parameter must be an Integer value."


def run(stack: Any, key: str, query: list[tuple[str, str]] | str) -> Any:
    return stack.http("GET", f"/reports/{key}/run", headers=stack.auth(), query=query)


def rejected(stack: Any, key: str, query: list[tuple[str, str]] | str) -> str:
    answer = run(stack, key, query)
    assert answer.status == 400, answer.text
    body = answer.json()
    assert body["requestUuid"] == answer.header("X-Request-Uuid")
    assert set(body) == {"displayMessage", "requestUuid"}
    return str(body["displayMessage"])


def accepted(stack: Any, key: str, query: list[tuple[str, str]] | str) -> Any:
    answer = run(stack, key, query)
    assert answer.status == 200, answer.text
    assert answer.header("X-Request-Uuid")
    return answer.json()


# ------------------------------------------------------------------ consumer_status


@pytest.mark.parametrize(
    ("value", "instant"),
    [
        ("2015-02-11T07:56:16.000-0400", "2015-02-11T11:56:16+00:00"),
        ("2015-02-11T07:56:16.000-04:00", "2015-02-11T11:56:16+00:00"),
        ("2015-02-11T07:56:16.000Z", "2015-02-11T07:56:16+00:00"),
        ("2015-02-11T07:56:16-0400", "2015-02-11T11:56:16+00:00"),
        ("2015-02-11T07:56:16+04:00", "2015-02-11T03:56:16+00:00"),
        ("2015-02-11T07:56:16Z", "2015-02-11T07:56:16+00:00"),
        ("2015-02-11T07:56:16", "2015-02-11T07:56:16+00:00"),  # no zone: the report's (UTC)
        ("2015-02-11 07:56:16", "2015-02-11T07:56:16+00:00"),
        ("2015-02-11 07:56:16.123+0000", "2015-02-11T07:56:16.123000+00:00"),
        ("2015-02-11T07:56:16.000 0400", "2015-02-11T03:56:16+00:00"),  # an unencoded '+' arrives as a space
        ("2015-02-11", "2015-02-11T00:00:00+00:00"),
    ],
)
def test_on_date_accepts_every_documented_format(stack: Any, value: str, instant: str) -> None:
    assert accepted(stack, "consumer_status", [("on_date", value)]) == []
    params = validate(find_report("consumer_status").parameters, QueryParams([("on_date", value)]))
    start = params.start_instant("on_date")
    assert start is not None and start.astimezone(UTC).isoformat() == instant


@pytest.mark.parametrize(
    "value", ["", "yesterday", "2015-13-01", "2015-02-30", "2015-02-11T25:00:00", "11/02/2015"]
)
def test_on_date_rejects_anything_else(stack: Any, value: str) -> None:
    assert rejected(stack, "consumer_status", [("on_date", value)]) == f"on_date: {DATETIME}"


@pytest.mark.parametrize(
    ("value", "meaning"),
    [
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("No", False),
        ("y", True),
        ("N", False),
        ("on", True),
        ("OFF", False),
    ],
)
def test_booleans_accept_the_usual_spellings(stack: Any, value: str, meaning: bool) -> None:
    accepted(stack, "consumer_status", [("management_enabled", value), ("include_reasons", value)])
    params = validate(find_report("consumer_status").parameters, QueryParams([("include_reasons", value)]))
    assert params.boolean("include_reasons", default=not meaning) is meaning


@pytest.mark.parametrize("name", ["management_enabled", "custom_results", "include_reasons"])
def test_a_boolean_parameter_rejects_other_words(stack: Any, name: str) -> None:
    assert rejected(stack, "consumer_status", [(name, "maybe")]) == f"{name}: {BOOLEAN}"


def test_include_reasons_must_not_be_used_with_custom_results(stack: Any) -> None:
    query = [("custom_results", "true"), ("include_reasons", "false")]
    assert rejected(stack, "consumer_status", query) == (
        "include_reasons: Parameter must not be used with custom_results."
    )


def test_include_and_exclude_need_custom_results_and_exclude_each_other(stack: Any) -> None:
    assert rejected(stack, "consumer_status", [("include", "consumer.uuid")]) == (
        "include: Parameter must be used with custom_results."
    )
    assert rejected(stack, "consumer_status", [("exclude", "entitlements")]) == (
        "exclude: Parameter must be used with custom_results."
    )
    both = [("custom_results", "1"), ("exclude", "entitlements"), ("include", "consumer")]
    assert rejected(stack, "consumer_status", both) == "include: Parameter must not be used with exclude."


def test_first_failing_parameter_in_declaration_order_wins(stack: Any) -> None:
    query = [("management_enabled", "maybe"), ("on_date", "nope")]  # on_date is declared first
    assert rejected(stack, "consumer_status", query) == f"on_date: {DATETIME}"


def test_unknown_parameters_are_ignored(stack: Any) -> None:
    assert accepted(stack, "consumer_status", [("colour", "blue"), ("on_date", "2020-01-01")]) == []


# ------------------------------------------------------------------ consumer_trend


def test_consumer_trend_requires_consumer_uuid_before_anything_else(stack: Any) -> None:
    assert rejected(stack, "consumer_trend", [("hours", "x")]) == "consumer_uuid: Required parameter."


@pytest.mark.parametrize("value", ["x", "1.5", "", "99999999999", " 3"])
def test_hours_must_be_an_integer(stack: Any, value: str) -> None:
    assert (
        rejected(stack, "consumer_trend", [("consumer_uuid", "c1"), ("hours", value)]) == f"hours: {INTEGER}"
    )


def test_hours_must_not_be_used_with_a_date_range(stack: Any) -> None:
    query = [
        ("consumer_uuid", "c1"),
        ("hours", "24"),
        ("start_date", "2020-01-01"),
        ("end_date", "2020-01-02"),
    ]
    assert rejected(stack, "consumer_trend", query) == "hours: Parameter must not be used with start_date."


def test_start_and_end_date_must_be_used_together(stack: Any) -> None:
    start_only = [("consumer_uuid", "c1"), ("start_date", "2020-01-01")]
    assert (
        rejected(stack, "consumer_trend", start_only) == "start_date: Parameter must be used with end_date."
    )
    end_only = [("consumer_uuid", "c1"), ("end_date", "2020-01-01")]
    assert rejected(stack, "consumer_trend", end_only) == "end_date: Parameter must be used with start_date."


def test_a_date_is_checked_before_its_companions(stack: Any) -> None:
    query = [("consumer_uuid", "c1"), ("start_date", "soon")]
    assert rejected(stack, "consumer_trend", query) == f"start_date: {DATETIME}"


def test_consumer_trend_accepts_bare_dates_and_hours(stack: Any) -> None:
    range_query = [("consumer_uuid", "c1"), ("start_date", "2020-01-01"), ("end_date", "2020-01-31")]
    assert accepted(stack, "consumer_trend", range_query) == []
    assert accepted(stack, "consumer_trend", [("consumer_uuid", "c1"), ("hours", "-5")]) == []


# ------------------------------------------------------------------ status_trend


@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_status_trend_dates_name_the_day_format(stack: Any, name: str) -> None:
    assert rejected(stack, "status_trend", [(name, "05/11/2014")]) == f"{name}: {DAY}"


@pytest.mark.parametrize("value", ["1999-12-31", "0999-01-01", "1999-12-31T23:00:00Z"])
def test_status_trend_years_before_2000_are_refused(stack: Any, value: str) -> None:
    assert rejected(stack, "status_trend", [("start_date", value)]) == (
        "start_date: Invalid year; years must be no earlier than 2000."
    )


@pytest.mark.parametrize(
    ("zone", "hours"),
    [
        ("gmt", 0),
        ("GMT", 0),
        ("UTC", 0),
        ("america/chicago", -6),
        ("Europe/Berlin", 1),
        ("GMT-0600", -6),
        ("GMT+05:30", 5.5),
        ("gmt+5", 5),
        ("GMT-12", -12),
    ],
)
def test_time_zones_by_name_or_gmt_offset_any_case(stack: Any, zone: str, hours: float) -> None:
    """Accepted, and read as that zone: its offset from UTC in mid-January."""
    assert accepted(stack, "status_trend", [("timezone", zone)]) == {}
    params = validate(find_report("status_trend").parameters, QueryParams([("timezone", zone)]))
    assert params.zone.utcoffset(datetime(2026, 1, 15, 12)) == timedelta(hours=hours)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "GMT+25", "GMT+05:75", "+05:00", "EST+5", ""])
def test_unknown_time_zones_are_refused(stack: Any, zone: str) -> None:
    assert rejected(stack, "status_trend", [("timezone", zone)]) == f"timezone: {TIMEZONE}"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("product_name", "sku"),
        ("sku", "subscription_name"),
        ("subscription_name", "management_enabled"),
        ("management_enabled", "product_name"),
    ],
)
def test_status_trend_product_filters_exclude_each_other(stack: Any, first: str, second: str) -> None:
    query = [(second, "true"), (first, "true")]
    declared_first = min(
        first, second, key=["product_name", "sku", "subscription_name", "management_enabled"].index
    )
    other = second if declared_first == first else first
    assert (
        rejected(stack, "status_trend", query)
        == f"{declared_first}: Parameter must not be used with {other}."
    )


def test_status_trend_management_enabled_is_a_boolean(stack: Any) -> None:
    assert (
        rejected(stack, "status_trend", [("management_enabled", "sure")]) == f"management_enabled: {BOOLEAN}"
    )


# ------------------------------------------------------------------ paging, format, group_trend


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([("page", "0")], "page: Parameter must be greater than zero."),
        ([("page", "one")], f"page: {INTEGER}"),
        ([("per_page", "0")], "per_page: Parameter must be between 1 and 1000."),
        ([("per_page", "1001")], "per_page: Parameter must be between 1 and 1000."),
        ([("per_page", "ten")], f"per_page: {INTEGER}"),
        ([("order", "sideways")], "order: Parameter must be one of: asc, ascending, desc, descending."),
        (
            [("sort_by", "colour")],
            'sort_by: Unknown sort field "colour". Allowed: date, status, uuid, name, owner, last_checkin.',
        ),
        ([("format", "xml")], "format: Parameter must be one of: json, csv."),
    ],
)
def test_paging_and_format_parameters_are_validated(
    stack: Any, query: list[tuple[str, str]], message: str
) -> None:
    assert rejected(stack, "consumer_status", query) == message


def test_report_parameters_are_checked_before_paging(stack: Any) -> None:
    assert rejected(stack, "consumer_status", [("page", "0"), ("on_date", "x")]) == f"on_date: {DATETIME}"


def test_order_accepts_any_case(stack: Any) -> None:
    for order in ("ASC", "Descending", "desc", "ascending"):
        accepted(stack, "consumer_status", [("order", order)])


def test_group_trend_needs_an_app_of_the_requester(stack: Any) -> None:
    assert rejected(stack, "group_trend", []) == "app: Required parameter."
    assert rejected(stack, "group_trend", [("app", "a1")]) == "app: No app with this name or id."


def test_running_an_unknown_report_is_404(stack: Any) -> None:
    answer = run(stack, "nope", [])
    assert (answer.status, answer.json()["displayMessage"]) == (404, "Report nope not found.")


def test_running_reports_needs_reports_read(stack: Any) -> None:
    no_read = {"apps": {"download": True}, "reports": {"read": False}}
    headers = stack.auth(role="team", permissions=no_read)
    denied = stack.http("GET", "/reports/consumer_status/run", headers=headers)
    assert (denied.status, denied.json()) == (403, {"error": "Permission denied"})
    assert denied.header("X-Request-Uuid")
    assert stack.http("GET", "/reports/consumer_status/run").status == 401
