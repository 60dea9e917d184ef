"""Demo rollups: roll up every closed day of the demo data (what the daily schedule would have done),
with the rollup's own code against the stack's tables. Returns lines showing the trend reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fleetreport.rollup.request import RollupRequest
from fleetreport.rollup.runner import Rollup

from fleetreport_local.seeding import SeedContext


def seed(ctx: SeedContext) -> list[str]:
    dynamodb: Any = ctx.session.resource("dynamodb", endpoint_url=ctx.aws_endpoint)

    def table(logical_id: str) -> Any:
        return dynamodb.Table(ctx.template.physical_name(logical_id))

    rollup = Rollup(
        compliance=table("ComplianceTable"),
        rollups=table("RollupsTable"),
        groups=table("GroupsTable"),
        apps=table("AppsTable"),
        now=datetime.now(UTC),
    )
    summary = rollup.run(RollupRequest(tenants=(ctx.tenant,)))
    rolled = summary["tenants"][0]
    auth = f'-H "Authorization: Bearer {ctx.admin_token}"'
    run = f"{ctx.api}/reports"
    return [
        f"Rollups: {rolled['status']['days']} days of status counts and {rolled['groups']['days']} days of "
        f"report counts rolled up through {summary['closed_day']} (the daily schedule continues from there).",
        "Per-day counts by status from the rollups (plus today, live), for one Candlepin owner:",
        f'  curl -s "{run}/status_trend/run?owner=acme_corporation&timezone=Asia/Kolkata" {auth}',
        "Per-day reports of one app by event type (group_trend):",
        f'  curl -s "{run}/group_trend/run?app=desktop-client" {auth}',
        "Backfill or re-roll days: fleetreport rollup --from YYYY-MM-DD --to YYYY-MM-DD",
    ]
