"""The dashboard's alerts and activity (SPEC §10) in headless Chromium against `fleetreport serve`:
the list's sparklines, the group page's charts and conditional-mute form, the alerts page. Every
number on the page is compared with what the API answers."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from dashboard_support import Api, World
from test_dashboard import expect, settled, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.stack]


def open_group(page: Any, world: World, reason: str) -> str:
    page.get_by_label("App", exact=True).fill(world.app_name)
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Apply filters").click()
    settled(page, f"app={world.app_name}", f"reason={reason}")
    expect(page.locator("table.groups tbody tr")).to_have_count(1)
    page.locator("table.groups tbody tr a").first.click()
    expect(page.locator("#activity-title")).to_be_visible()
    return page.url.split("/groups/")[1].split("?")[0]


def test_each_row_has_a_sparkline_of_the_apis_24_hours(page: Any, api: Api, world: World) -> None:
    sign_in(page, api)
    listed = api.get("/reports/groups?" + urlencode({"app": world.app_name, "activity": "hourly"}))["items"]
    page.get_by_label("App", exact=True).fill(world.app_name)
    page.get_by_role("button", name="Apply filters").click()
    settled(page, f"app={world.app_name}")
    expect(page.locator("table.groups tbody tr")).to_have_count(len(listed))
    labels = page.locator("table.groups svg.sparkline").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    )
    for item, label in zip(listed, labels, strict=True):
        total = sum(point["count"] for point in item["activity"]["hourly"])
        assert re.search(rf": {total:,} in all", label), (label, total)


def test_the_group_page_charts_the_apis_hours_and_days(page: Any, api: Api, world: World) -> None:
    sign_in(page, api)
    group_hash = open_group(page, world, "reason-01")
    got = api.get(f"/reports/groups/{group_hash}?" + urlencode({"app": world.app_name}))["activity"]
    hourly, daily = sum(p["count"] for p in got["hourly"]), sum(p["count"] for p in got["daily"])
    expect(page.locator("#activity-hourly figcaption")).to_contain_text(f"({hourly:,} reports")
    expect(page.locator("#activity-daily figcaption")).to_contain_text(f"({daily:,} reports")
    expect(page.locator("#activity-hourly rect.bar")).to_have_count(24)
    expect(page.locator("#activity-daily rect.bar")).to_have_count(30)


def test_muting_for_n_more_reports_from_the_triage_form(page: Any, api: Api, world: World) -> None:
    sign_in(page, api)
    group_hash = open_group(page, world, "reason-02")
    before = api.get(f"/reports/groups/{group_hash}?" + urlencode({"app": world.app_name}))
    page.get_by_label("Status").select_option("muted")
    page.get_by_label("Mute for N more reports").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#group-status")).to_have_text("muted")
    after = api.get(f"/reports/groups/{group_hash}?" + urlencode({"app": world.app_name}))
    assert (after["status"], after["mute_ends_at_count"]) == ("muted", before["stats"]["count"] + 3)
    page.get_by_label("Status").select_option("open")
    page.get_by_label("Mute for N more reports").fill("2")
    page.get_by_role("button", name="Save").click()
    _, refusal = api.call("PATCH", f"/reports/groups/{group_hash}", {"status": "open", "mute_until_count": 2})
    expect(page.locator("#error")).to_have_text(f"Error: {refusal['error']}")


def test_the_alerts_page_lists_the_apis_signals_newest_first(page: Any, api: Api, world: World) -> None:
    deadline = time.monotonic() + 20  # the stream consumer runs right after the reports
    while (
        time.monotonic() < deadline and not api.get("/alerts?" + urlencode({"app": world.app_name}))["items"]
    ):
        time.sleep(0.3)
    expected = api.get("/alerts?" + urlencode({"app": world.app_name, "limit": 50}))["items"]
    assert expected, "the world's reports raised no signal"
    sign_in(page, api)
    page.get_by_role("link", name="Alerts").click()
    page.get_by_label("App", exact=True).fill(world.app_name)
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.alerts tbody tr")
    settled(page, f"app={world.app_name}")
    expect(rows).to_have_count(len(expected))
    signals = rows.evaluate_all("rows => rows.map(r => r.dataset.signal)")
    assert signals == [alert["signal"] for alert in expected]
    page.get_by_label("Signal").select_option("group.spike")
    page.get_by_role("button", name="Apply").click()
    settled(page, "signal=group.spike")
    spikes = [a for a in expected if a["signal"] == "group.spike"]
    if spikes:
        expect(rows).to_have_count(len(spikes))
    else:
        expect(page.get_by_text("No alerts in the last 30 days.")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_alerts_page_fits_the_screen_and_labels_its_controls(browser: Any, api: Api, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=api.base)
    page = context.new_page()
    try:
        sign_in(page, api)
        page.goto("/#/alerts")
        page.locator("table.alerts").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input, select, textarea')]"
            ".filter(el => el.type !== 'hidden' && !el.labels.length && !el.getAttribute('aria-label'))"
            ".map(el => el.name || el.id)"
        )
        assert unlabelled == []
    finally:
        context.close()
