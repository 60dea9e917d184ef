"""Demo report groups with 35 days of history: the story of `seed_story` (docs/demo.md), written by
`seed_history` through the real counting, triage and rollup code on a simulated clock; today's newest
group is posted through the API itself, as a client app would."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fleetreport_local.seed_apps import create_app
from fleetreport_local.seed_devices import DemoDevices
from fleetreport_local.seed_history import HistoryWriter, demo_details, dimensions
from fleetreport_local.seed_story import BAD_RELEASE, GROUPS, NEW_TODAY, Report, Triage, story
from fleetreport_local.seeding import SeedContext

log = logging.getLogger("fleetreport.local.seed")
TODAY_REPORTS = 3  # NEW_TODAY's reports, posted through the API when the stack starts


def seed(ctx: SeedContext, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    apps = {app: create_app(ctx, app) for app in sorted({group.app for group in GROUPS})}
    dynamodb: Any = ctx.session.resource("dynamodb", endpoint_url=ctx.aws_endpoint)
    writer = HistoryWriter(
        tenant=ctx.tenant,
        apps=apps,
        groups=dynamodb.Table(ctx.template.physical_name("GroupsTable")),
        rollups=dynamodb.Table(ctx.template.physical_name("RollupsTable")),
        today=now.date(),
        devices=DemoDevices(
            groups=dynamodb.Table(ctx.template.physical_name("GroupsTable")),
            counters=dynamodb.Table(ctx.template.physical_name("CountersTable")),
        ),
    )
    if _already_told(writer):
        return ["Report groups: the demo history is already there (seeding again adds nothing)."]
    reports, triage = story(now)
    replay(writer, reports, triage, ctx.progress)
    writer.flush_all(list(GROUPS))
    writer.roll_closed_days([group for group in GROUPS if group is not NEW_TODAY])
    posted = post_today(ctx, apps)
    days = (now.date() - reports[0].at.date()).days + 1
    return [
        f"Report groups: {len(reports) - writer.refused + posted} reports in {len(GROUPS)} groups over "
        f"{days} days; {BAD_RELEASE.app} {BAD_RELEASE.version} crashed in a spike, was resolved, regressed:",
        '  curl -s -H "Authorization: Bearer $TOKEN" '
        f'"{ctx.api}/reports/groups?app={BAD_RELEASE.app}&type=crash&status=open"',
    ]


def replay(
    writer: HistoryWriter, reports: list[Report], triage: list[Triage], progress: Callable[[str], None]
) -> None:
    """Reports and triage actions in time order (an action before a report of the same instant)."""
    actions = list(triage)
    day = None
    for n, report in enumerate(reports, 1):
        while actions and actions[0].at <= report.at:
            writer.triage(actions.pop(0))
        if report.at.date() != day:
            day = report.at.date()
            progress(f"{day.isoformat()} ({n}/{len(reports)} reports)")
        writer.report(report, n)
    for action in actions:
        writer.triage(action)


def post_today(ctx: SeedContext, apps: dict[str, tuple[str, str]]) -> int:
    """A group that appeared minutes ago, through the real API (as a client would post it)."""
    posted = 0
    for n in range(TODAY_REPORTS):
        body = {**NEW_TODAY.body(), "details": demo_details(NEW_TODAY, n)}
        headers = {"Authorization": f"Bearer {apps[NEW_TODAY.app][1]}", "X-Device-ID": f"demo-today-{n}"}
        status, answer = ctx.request("POST", "/reports/ingest", body, headers)
        if status == 202:
            posted += 1
        else:
            log.warning("seed: report not accepted (%s %s)", status, answer)
    return posted


def _already_told(writer: HistoryWriter) -> bool:
    """The bad release's group exists: this stack was seeded before (`fleetreport seed` twice)."""
    key = {"app_id": writer.apps[BAD_RELEASE.app][0], "group_hash": dimensions(BAD_RELEASE).group_hash}
    return "Item" in writer.groups.get_item(Key=key)
