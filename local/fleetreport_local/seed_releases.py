"""Demo release health (SPEC §12, docs/demo.md): desktop-client's Windows fleet sends beacons through
the bad release's whole story, so the Releases page and the gate have something true to say.

12 devices of desktop-client stable windows/amd64, over the 15 days since 1.5.0 shipped:
- d00-d05 take 1.5.0 at 09:30 on its release day (the staged rollout's first ring);
- d05 and d06-d11 take the fix 1.5.1 the day the operator halted 1.5.0 (day -12); d06-d11 ran
  1.4.2 until then; d00-d04 never update (auto-update off) and are still on 1.5.0 today;
- every crash report of the bad release (seed_story's, same instants) comes from one of the 1.5.0
  devices (a few of them crash again and again), and marks it active and crashed, as ingest does;
- as the stack starts, three of them crash again: posted through the real API (ingest marks them), so
  whatever the hour, today has crashes on 1.5.0.

Each device-day is written with the beacon's own `mark_active` on a simulated clock, in time order (a
device's days only move forward); the table's stream turns them into the counts when `make run`
settles the streams. The app's alert rules set the gate's `min_devices` to 5 (the demo fleet is
small): today 3 of 1.5.0's 5 devices crashed (40 % crash-free) and its gate says `halt`, 1.5.1
says `proceed`, 1.4.2 (no device left today) `insufficient_data`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from fleetreport.releases.devices import Activity, device_hash, mark_active

from fleetreport_local.seed_apps import create_app
from fleetreport_local.seed_story import BAD_RELEASE, RELEASE_DAY, RESOLVED_DAY, story
from fleetreport_local.seeding import SeedContext

log = logging.getLogger("fleetreport.local.seed")
APP = BAD_RELEASE.app
OLD, BAD, FIX = "1.4.2", BAD_RELEASE.version, "1.5.1"
STRAGGLERS = 5  # d00-d04: stay on the bad release
EARLY_RING = 6  # d00-d05: took the bad release on its first day
FLEET = 12
REPEAT_CRASHERS = 3  # the bad release's crash reports come from these first devices
CRASHING_NOW = 3  # 1.5.0 devices whose crash is posted through the API at start-up
GATE = {"threshold": 99.0, "min_devices": 5}


@dataclass(frozen=True)
class Mark:
    at: datetime
    version: str
    device: str
    crashed: bool = False


def seed(ctx: SeedContext, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    app_id, report_key = create_app(ctx, APP)
    status, answer = ctx.request(
        "PUT",
        f"/apps/{app_id}/alerts",
        {"release_health": GATE},
        {"Authorization": f"Bearer {ctx.admin_token}"},
    )
    if status != 200:
        log.warning("seed: release_health not set (%s %s)", status, answer)
    table = ctx.template.physical_name("ReleasesTable")
    marks = device_marks(now)
    for n, mark in enumerate(marks, 1):
        if n % 100 == 0:
            ctx.progress(f"{n}/{len(marks)} device-days")
        mark_active(table, activity(ctx.tenant, app_id, mark))
    post_crashes(ctx, report_key)
    return [
        f"Releases: {FLEET} {APP} devices sent beacons since {BAD} shipped; "
        f"its gate says halt, {FIX}'s proceed:",
        f'  curl -s -H "Authorization: Bearer $TOKEN" "{ctx.api}/apps/{app_id}/releases/{BAD}/gate"',
    ]


def post_crashes(ctx: SeedContext, report_key: str) -> None:
    """Three of the bad release's devices crash as the stack starts, through the API (as clients post)."""
    for index in range(CRASHING_NOW):
        headers = {"Authorization": f"Bearer {report_key}", "X-Device-ID": f"demo-win-{index:02d}"}
        status, answer = ctx.request("POST", "/reports/ingest", BAD_RELEASE.body(), headers)
        if status != 202:
            log.warning("seed: crash report not accepted (%s %s)", status, answer)


def activity(tenant: str, app_id: str, mark: Mark) -> Activity:
    return Activity(
        owner=tenant,
        app_id=app_id,
        version=mark.version,
        channel=BAD_RELEASE.channel,
        platform=BAD_RELEASE.platform,
        arch=BAD_RELEASE.arch,
        digest=device_hash(app_id, mark.device),
        now=mark.at,
        crashed=mark.crashed,
    )


def device_marks(now: datetime) -> list[Mark]:
    """Every beacon day and crash report of the fleet, oldest first (deterministic for `now`)."""
    today = now.date()
    release = today - timedelta(days=RELEASE_DAY)

    def at(days_ago: int, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(today - timedelta(days=days_ago), time(hour, minute), tzinfo=UTC)
        return min(moment, now - timedelta(minutes=1))  # today's beacons are never in the future

    marks: list[Mark] = []
    for index in range(FLEET):
        device = f"demo-win-{index:02d}"
        early, straggler = index < EARLY_RING, index < STRAGGLERS
        for days_ago in range(RELEASE_DAY, -1, -1):
            minute = index * 2
            if days_ago == RELEASE_DAY or (not early and days_ago >= RESOLVED_DAY):
                marks.append(Mark(at(days_ago, 8, minute), OLD, device))
            if early and (straggler or days_ago >= RESOLVED_DAY):
                marks.append(
                    Mark(at(days_ago, 9 if days_ago == RELEASE_DAY else 8, 30 + minute % 30), BAD, device)
                )
            if not straggler and days_ago <= RESOLVED_DAY:
                marks.append(Mark(at(days_ago, 14 if days_ago == RESOLVED_DAY else 8, minute), FIX, device))
    reports, _ = story(now)
    for n, report in enumerate(r for r in reports if r.group is BAD_RELEASE):
        if report.at.date() < release:
            continue
        marks.append(Mark(report.at, BAD, f"demo-win-{n % REPEAT_CRASHERS:02d}", crashed=True))
    return sorted(marks, key=lambda mark: mark.at)
