"""The dashboard's Releases page (SPEC §12) in headless Chromium against `fleetreport serve`: an app
whose devices send beacons on two versions, one of them crashing on 3 devices of 10; the page shows
each version's devices and crash-free %, the gate's verdict, and the chart's numbers, all compared with
what the API answers; devices appear on the group list and the group page."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from dashboard_support import Api
from test_dashboard import expect, settled, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.stack]

DEVICES = 10
CRASHING = 3  # devices of the new version that crash: 70 % crash-free, under the threshold


@dataclass
class Fleet:
    app_id: str
    app_name: str
    old: str = "1.0.0"
    new: str = "2.0.0"


def _send(api: Api, key: str, path: str, body: dict[str, Any], device: str) -> int:
    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
    status, _ = Api(api.base, key).call("POST", path, body, headers)
    return status


@pytest.fixture(scope="module")
def fleet(api: Api) -> Fleet:
    """Beacons from 10 devices on each version; 3 devices of the new one report a crash. The gate's
    min_devices is lowered to 5 in the app's rules so 10 devices decide it."""
    status, app = api.call("POST", "/apps", {"name": f"e2e-rel-{uuid.uuid4().hex[:6]}", "reports": True})
    assert status == 201, (status, app)
    status, rules = api.call(
        "PUT", f"/apps/{app['id']}/alerts", {"release_health": {"threshold": 99.0, "min_devices": 5}}
    )
    assert status == 200, (status, rules)
    made = Fleet(app["id"], app["name"])
    for version in (made.old, made.new):
        for i in range(DEVICES):
            body = {
                "application": {"name": made.app_name, "version": version, "channel": "stable"},
                "system": {"platform": "windows", "arch": "amd64"},
            }
            assert _send(api, app["report_key"], "/reports/beacon", body, f"dev-{i}") == 204
    for i in range(CRASHING):
        crash = {
            "application": {"name": made.app_name, "version": made.new, "channel": "stable"},
            "system": {"platform": "windows", "arch": "amd64"},
            "event": {"type": "crash", "reason": "gpu_driver_reset"},
        }
        assert _send(api, app["report_key"], "/reports/ingest", crash, f"dev-{i}") == 202
    _wait_for_counts(api, made)
    return made


def _wait_for_counts(api: Api, fleet: Fleet) -> None:
    """The counts come from the table's stream (a poller): wait until the API has them all."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = api.get(f"/apps/{fleet.app_id}/releases")["items"]
        crashed = {item["version"]: item["crashed_devices"] for item in items}
        if crashed.get(fleet.new) == CRASHING and all(i["active_devices"] == DEVICES for i in items):
            return
        time.sleep(0.3)
    pytest.fail(f"release counts never arrived: {api.get(f'/apps/{fleet.app_id}/releases')}")


def open_releases(page: Any, api: Api, fleet: Fleet) -> None:
    sign_in(page, api)
    page.get_by_role("link", name="Releases").click()
    page.get_by_label("App", exact=True).select_option(fleet.app_id)
    page.get_by_role("button", name="Show releases").click()
    settled(page, f"app={fleet.app_id}")


def test_each_version_shows_the_apis_devices_crash_free_share_and_gate(
    page: Any, api: Api, fleet: Fleet
) -> None:
    open_releases(page, api, fleet)
    listed = api.get(f"/apps/{fleet.app_id}/releases")["items"]
    rows = page.locator("table.releases tbody tr")
    expect(rows).to_have_count(len(listed))
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.version)") == [i["version"] for i in listed]
    for item in listed:
        row = page.locator(f'table.releases tbody tr[data-version="{item["version"]}"]')
        gate = api.get(f"/apps/{fleet.app_id}/releases/{item['version']}/gate")
        expect(row.locator('td[data-label="Active devices"]')).to_have_text(f"{item['active_devices']:,}")
        expect(row.locator('td[data-label="Crashed devices"]')).to_have_text(f"{item['crashed_devices']:,}")
        expect(row.locator('td[data-label="Crash-free devices"]')).to_have_text(
            f"{item['crash_free_devices']:.2f} %"
        )
        expect(row.locator("[data-verdict]")).to_have_attribute("data-verdict", gate["verdict"])
    verdicts = {i["version"]: api.get(f"/apps/{fleet.app_id}/releases/{i['version']}/gate") for i in listed}
    assert (verdicts[fleet.old]["verdict"], verdicts[fleet.new]["verdict"]) == ("proceed", "halt")


def test_the_chart_draws_a_line_per_version_and_its_table_holds_the_apis_days(
    page: Any, api: Api, fleet: Fleet
) -> None:
    open_releases(page, api, fleet)
    listed = api.get(f"/apps/{fleet.app_id}/releases")["items"]
    expect(page.locator("#crash-free-chart g.release-line")).to_have_count(len(listed))
    expect(page.locator("#crash-free-chart circle")).to_have_count(
        sum(1 for item in listed for day in item["days"] if day["crash_free_devices"] is not None)
    )
    table = page.locator("#crash-free-table")
    headers = table.locator("thead th").all_text_contents()  # folded in <details>: text, not rendering
    assert headers == ["Day", *[item["version"] for item in listed]]
    today = max(day["date"] for item in listed for day in item["days"] if day["active_devices"])
    cells = table.locator(f'tbody tr:has(th:text-is("{today}")) td').all_text_contents()
    for item, cell in zip(listed, cells, strict=True):
        day = next(d for d in item["days"] if d["date"] == today)
        shown = f"{day['crash_free_devices']:.2f} % · {day['active_devices']} · {day['crashed_devices']}"
        assert cell == shown


def test_the_group_list_and_page_show_the_devices_a_group_hit(page: Any, api: Api, fleet: Fleet) -> None:
    sign_in(page, api)
    listed = api.get("/reports/groups?" + urlencode({"app": fleet.app_name}))["items"]
    assert [item["stats"]["devices"] for item in listed] == [CRASHING]  # 3 devices sent the crash
    page.get_by_label("App", exact=True).fill(fleet.app_name)
    page.get_by_role("button", name="Apply filters").click()
    settled(page, f"app={fleet.app_name}")
    expect(page.locator("table.groups tbody tr")).to_have_count(len(listed))
    expect(page.locator('table.groups tbody tr td[data-label="Devices"]').first).to_have_text(f"{CRASHING:,}")
    page.locator("table.groups tbody tr a").first.click()
    expect(page.locator("#activity-title")).to_be_visible()
    term = page.locator("dl.facts dt", has_text="Devices affected")
    affected = term.locator("xpath=following-sibling::dd[1]")
    expect(affected).to_have_text(f"{CRASHING:,}")
    group = api.get(f"/reports/groups/{listed[0]['group_hash']}?" + urlencode({"app": fleet.app_name}))
    device_days = sum(day["devices"] for day in group["activity"]["daily"])
    assert device_days == CRASHING  # all today: one device-day each
    expect(page.locator("#activity-devices figcaption")).to_contain_text(f"({device_days:,} device-days")
    rows = page.locator("#activity-devices table tbody tr")
    expect(rows).to_have_count(30)
    expect(rows.last.locator("td").last).to_have_text(f"{group['activity']['daily'][-1]['devices']:,}")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_group_page_with_devices_fits_the_screen_and_labels_its_controls(
    browser: Any, api: Api, fleet: Fleet, width: int, artifacts: Any
) -> None:
    listed = api.get("/reports/groups?" + urlencode({"app": fleet.app_name}))["items"]
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=api.base)
    page = context.new_page()
    try:
        sign_in(page, api)
        page.goto(f"/#/groups/{listed[0]['group_hash']}?app={fleet.app_name}")
        page.locator("#activity-devices svg").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input, select, textarea, button')]"
            ".filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length)"
            " && !el.getAttribute('aria-label') && !el.textContent.trim())"
            ".map(el => el.name || el.id || el.tagName)"
        )
        assert unlabelled == []
        page.screenshot(path=str(artifacts / f"group-devices-{width}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_releases_page_fits_the_screen_and_labels_its_controls(
    browser: Any, api: Api, fleet: Fleet, width: int, artifacts: Any
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=api.base)
    page = context.new_page()
    try:
        sign_in(page, api)
        page.goto(f"/#/releases?app={fleet.app_id}")
        page.locator("#crash-free-chart svg.chart-svg").wait_for()
        too_wide = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(el => el.getBoundingClientRect().right"
            " > window.innerWidth + 0.5).map(el => el.tagName + '.' + el.className + ' ' + el.textContent"
            ".slice(0, 40))"
        )
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, too_wide
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input, select, textarea')]"
            ".filter(el => el.type !== 'hidden' && !el.labels.length && !el.getAttribute('aria-label'))"
            ".map(el => el.name || el.id)"
        )
        assert unlabelled == []
        page.screenshot(path=str(artifacts / f"releases-{width}.png"), full_page=True)
    finally:
        context.close()
