"""The operator dashboard in headless Chromium against the local stack: what an operator does with it.

Each test compares the page with the API's own answer for the same question, on data the harness
created (tests/e2e/conftest.py), so the assertions are exact whatever the demo seed contains.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from dashboard_support import Api, World

pytestmark = [pytest.mark.e2e, pytest.mark.stack]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(page: Any, api: Api, token: str | None = None) -> None:
    """Sign in from the front page; with a good token, wait for the groups it lands on."""
    page.goto("/")
    page.get_by_label("API token").fill(token or api.token)
    page.get_by_role("button", name="Sign in").click()
    if token is None:
        expect(page.locator("#groups-results")).to_have_text(re.compile(r"^[\d,]+ groups?$"))


def settled(page: Any, *fragments: str) -> None:
    """Wait until the dashboard shows the route whose hash holds each fragment, with its data in
    (a filter re-renders the page: its rows, not the first render's, are the answer)."""
    view = page.locator('div.view[aria-busy="false"]')
    for fragment in fragments:
        expect(view).to_have_attribute("data-hash", re.compile(re.escape(fragment)))


def group_rows(page: Any) -> list[str]:
    return list(page.locator("table.groups tbody tr").evaluate_all("rows => rows.map(r => r.dataset.hash)"))


def chart_numbers(page: Any, section: str) -> dict[str, dict[str, int]]:
    """The numbers behind a chart, read from its data table: {day: {series: count}} without zeros."""
    table = page.locator(f"{section} details table")
    headers = table.locator("thead th").evaluate_all("cells => cells.map(c => c.textContent)")
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent))"
    )
    series = headers[1:-1]
    return {
        row[0]: {
            name: int(value.replace(",", ""))
            for name, value in zip(series, row[1:-1], strict=True)
            if value != "0"
        }
        for row in rows
    }


def by_day(result: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {key[:10]: {name: n for name, n in counts.items() if n} for key, counts in result.items()}


# ---------------------------------------------------------------------- sign-in
def test_signing_in_with_a_token_shows_the_groups_and_signing_out_forgets_the_token(
    page: Any, api: Api
) -> None:
    sign_in(page, api)
    expect(page.locator("#groups-results")).to_have_text(f"{api.get('/reports/groups')['total']} groups")
    expect(page.locator("#who-label")).to_contain_text("e2e-admin")
    assert page.evaluate("sessionStorage.getItem('fleetreport.token')") == api.token

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API token")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    page.goto("/#/groups")
    expect(page.get_by_label("API token")).to_be_visible()


def test_a_refused_token_shows_the_apis_own_message(page: Any, api: Api) -> None:
    status, answer = Api(api.base, "not-a-jwt").call("GET", "/reports/groups?limit=1")
    assert status == 401
    sign_in(page, api, token="not-a-jwt")
    expect(page.locator("#error")).to_contain_text(answer["error"])
    expect(page.get_by_label("API token")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


# ---------------------------------------------------------------------- groups
def test_filtering_groups_shows_exactly_what_the_api_returns_for_those_filters(
    page: Any, api: Api, world: World
) -> None:
    sign_in(page, api)
    page.get_by_label("App", exact=True).fill(world.app_name)
    page.get_by_label("Event type").select_option("update_failure")
    page.get_by_label("Platform").fill("windows")
    page.get_by_role("button", name="Apply filters").click()
    settled(page, f"app={world.app_name}", "platform=windows")

    expected = api.get(
        "/reports/groups?"
        + urlencode({"app": world.app_name, "type": "update_failure", "platform": "windows"})
    )
    assert expected["total"] == 2  # update failures are reports 2, 7, 12, 17, 22; the odd ones on windows
    expect(page.locator("#groups-results")).to_have_text(f"{expected['total']} groups")
    assert group_rows(page) == [item["group_hash"] for item in expected["items"]]
    assert "type=update_failure" in page.url and "platform=windows" in page.url

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Last seen from (UTC)").fill(tomorrow)
    page.get_by_role("button", name="Apply filters").click()
    settled(page, "from=")
    later = api.get("/reports/groups?" + urlencode({"app": world.app_name, "from": f"{tomorrow}:00Z"}))
    assert later["total"] == 0
    expect(page.locator("#groups-results")).to_have_text("0 groups")
    expect(page.locator(".empty")).to_have_text("No group matches these filters.")


def test_groups_page_through_the_api_total_newest_first(page: Any, api: Api, world: World) -> None:
    sign_in(page, api)
    page.get_by_label("App", exact=True).fill(world.app_name)
    page.get_by_label("Status").select_option("all")
    page.get_by_label("Per page").select_option("10")
    page.get_by_role("button", name="Apply filters").click()
    settled(page, f"app={world.app_name}", "limit=10")
    expect(page.locator("#groups-results")).to_have_text("25 groups")

    seen = []
    for number in (1, 2, 3):
        query = urlencode({"app": world.app_name, "status": "all", "limit": 10, "page": number})
        expected = [item["group_hash"] for item in api.get(f"/reports/groups?{query}")["items"]]
        expect(page.locator(".pager-info")).to_contain_text(f"page {number} of 3")
        assert group_rows(page) == expected
        seen += expected
        if number < 3:
            page.get_by_role("link", name="Next →").click()
    assert len(set(seen)) == 25
    expect(page.locator(".pager [aria-disabled=true]")).to_have_text("Next →")


def test_resolving_a_group_changes_its_badge_and_an_invalid_tag_shows_the_apis_message(
    page: Any, api: Api, world: World
) -> None:
    sign_in(page, api)
    page.get_by_label("App", exact=True).fill(world.app_name)
    page.get_by_label("Reason").fill("reason-00")
    page.get_by_role("button", name="Apply filters").click()
    settled(page, f"app={world.app_name}", "reason=reason-00")
    expect(page.locator("table.groups tbody tr")).to_have_count(1)
    page.locator("table.groups tbody tr a").first.click()

    expect(page.locator("#group-status")).to_have_text("open")
    page.get_by_label("Status").select_option("resolved")
    page.get_by_label("Note").fill("fixed in 1.0.1")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#group-status")).to_have_text("resolved")
    expect(page.locator("#status")).to_have_text("Group updated")

    group_hash = page.url.split("/groups/")[1].split("?")[0]
    stored = api.get(f"/reports/groups/{group_hash}?" + urlencode({"app": world.app_name}))
    assert (stored["status"], stored["note"], stored["resolved_by"]) == (
        "resolved",
        "fixed in 1.0.1",
        "e2e-admin",
    )

    _, refusal = api.call("PATCH", f"/reports/groups/{group_hash}", {"tags": ["bad", "tag!"]})
    page.get_by_label("Tags").fill("bad tag!")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error")).to_have_text(f"Error: {refusal['error']}")

    page.get_by_role("link", name="← All groups").click()
    page.get_by_label("App", exact=True).fill(world.app_name)
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Apply filters").click()
    settled(page, f"app={world.app_name}", "status=resolved")
    expect(page.locator("#groups-results")).to_have_text("1 group")
    assert group_rows(page) == [group_hash]
    expect(page.locator("table.groups .badge")).to_have_text("resolved")


def test_a_groups_detail_payloads_download_the_bytes_the_client_sent(
    page: Any, api: Api, world: World
) -> None:
    expected = api.get(
        "/reports/groups?" + urlencode({"app": world.app_name, "reason": "reason-08", "status": "all"})
    )
    (group,) = expected["items"]
    sign_in(page, api)
    page.goto(f"/#/groups/{group['group_hash']}?" + urlencode({"app": world.app_name}))
    expect(page.locator("#blobs-title")).to_have_text("Detail payloads (1)")
    link = page.get_by_role("link", name="Download")
    downloaded = page.request.get(link.get_attribute("href"))
    assert downloaded.ok
    assert downloaded.body() == world.payloads["reason-08"]


# ---------------------------------------------------------------------- trends
def test_status_trend_draws_the_apis_per_day_counts_as_stacked_bars(
    page: Any, api: Api, world: World, artifacts: Path
) -> None:
    today = datetime.now(UTC).date()
    start, end = (today - timedelta(days=5)).isoformat(), today.isoformat()
    sign_in(page, api)
    page.get_by_role("link", name="Trends").click()
    page.get_by_label("From").fill(start)
    page.get_by_label("To").fill(end)
    page.get_by_label("Time zone").fill("UTC")
    page.get_by_label("Owner (compliance)").fill(world.owner_key)
    page.get_by_role("button", name="Show trends").click()

    query = urlencode({"start_date": start, "end_date": end, "timezone": "UTC", "owner": world.owner_key})
    expected = by_day(api.get(f"/reports/status_trend/run?{query}"))
    expect(page.locator("#status-trend svg g.bar")).to_have_count(len(expected))
    assert chart_numbers(page, "#status-trend") == expected
    assert sum(expected[end].values()) == len(world.consumers)
    segments = page.locator("#status-trend svg rect[data-series]").evaluate_all(
        "rs => rs.map(r => r.dataset.series)"
    )
    assert set(segments) <= {"valid", "partial", "invalid"} and "valid" in segments
    page.screenshot(path=str(artifacts / "trend.png"), full_page=True)


def test_group_trend_draws_an_apps_reports_per_day_by_event_type(page: Any, api: Api, world: World) -> None:
    today = datetime.now(UTC).date()
    start, end = (today - timedelta(days=2)).isoformat(), today.isoformat()
    sign_in(page, api)
    page.goto(f"/#/trends?{urlencode({'start_date': start, 'end_date': end})}")
    page.get_by_label("App (reports)").select_option(label=world.app_name)
    page.get_by_role("button", name="Show trends").click()

    query = urlencode({"app": world.app_id, "start_date": start, "end_date": end, "timezone": "UTC"})
    expected = by_day(api.get(f"/reports/group_trend/run?{query}"))
    assert expected[end] == dict.fromkeys(
        ["crash", "install_failure", "rollback_failure", "startup_failure", "update_failure"], 5
    )
    expect(page.locator("#group-trend figcaption")).to_contain_text(f"Reports for {world.app_name}")
    expect(page.locator("#group-trend svg g.bar")).to_have_count(len(expected))
    assert chart_numbers(page, "#group-trend") == expected


# ---------------------------------------------------------------------- reports
def test_running_a_report_shows_its_rows_and_downloads_the_same_rows_as_csv(
    page: Any, api: Api, world: World
) -> None:
    sign_in(page, api)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="consumer_status").click()
    page.get_by_label("owner", exact=True).fill(world.owner_key)
    page.get_by_role("button", name="Run report").click()

    expected = api.get("/reports/consumer_status/run?" + urlencode({"owner": world.owner_key}))
    assert sorted(row["consumer"]["uuid"] for row in expected) == sorted(world.consumers)
    expect(page.locator("table.results tbody tr")).to_have_count(len(expected))
    headers = page.locator("table.results thead th").evaluate_all("cells => cells.map(c => c.textContent)")
    column = headers.index("consumer.uuid")
    shown = page.locator("table.results tbody tr").evaluate_all(
        f"rows => rows.map(r => r.children[{column}].textContent)"
    )
    assert sorted(shown) == sorted(world.consumers)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "consumer_status.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert sorted(row["consumer.uuid"] for row in rows) == sorted(world.consumers)
    assert {row["consumer.owner.key"] for row in rows} == {world.owner_key}


def test_a_refused_report_parameter_shows_the_apis_display_message(page: Any, api: Api) -> None:
    _, answer = api.call("GET", "/reports/status_trend/run?start_date=yesterday")
    sign_in(page, api)
    page.goto("/#/reports/status_trend")
    page.get_by_label("start_date").fill("yesterday")
    page.get_by_role("button", name="Run report").click()
    expect(page.locator("#error")).to_have_text(f"Error: {answer['displayMessage']}")
    expect(page.locator("#results-title")).to_have_text("Results")


# ---------------------------------------------------------------------- layout and accessibility
def test_an_operator_signs_in_and_opens_a_group_with_the_keyboard_alone(
    page: Any, api: Api, world: World
) -> None:
    page.goto("/")
    expect(page.get_by_label("API token")).to_be_focused()
    page.keyboard.type(api.token)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#groups-results")).to_have_text(re.compile(r"^[\d,]+ groups?$"))
    expect(page.locator("#main")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.locator(".filter-panel > summary")).to_be_focused()
    page.locator("table.groups tbody a").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Triage")).to_be_visible()
    expect(page.locator("#main")).to_be_focused()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_every_view_fits_the_screen_and_labels_every_control(
    browser: Any, api: Api, world: World, artifacts: Path, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=api.base)
    page = context.new_page()
    try:
        sign_in(page, api)
        views = {
            "groups": (f"/#/groups?{urlencode({'app': world.app_name, 'status': 'all'})}", "table.groups"),
            "group": (None, "#triage-title"),
            "trends": (
                f"/#/trends?{urlencode({'owner': world.owner_key, 'app': world.app_id})}",
                "#status-trend svg",
            ),
            "reports": ("/#/reports", ".catalogue"),
            "report": (
                f"/#/reports/consumer_status/run?{urlencode({'owner': world.owner_key})}",
                "table.results",
            ),
        }
        for name, (url, ready) in views.items():
            if url:
                page.goto(url)
            else:
                page.goto(views["groups"][0])
                page.locator("table.groups tbody tr a").first.click()
            page.locator(ready).first.wait_for()
            page.screenshot(path=str(artifacts / f"dashboard-{name}-{width}.png"), full_page=width > 400)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
            unlabelled = page.evaluate(
                "[...document.querySelectorAll('input, select, textarea')]"
                ".filter(el => el.type !== 'hidden' && !el.labels.length && !el.getAttribute('aria-label'))"
                ".map(el => el.name || el.id)"
            )
            assert unlabelled == [], f"{name}: unlabelled controls {unlabelled}"
    finally:
        context.close()
