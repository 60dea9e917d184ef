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
        progress=lambda done, total, label: ctx.progress(f"{done}/{total} days"),
    )
    summary = rollup.run(RollupRequest(tenants=(ctx.tenant,)))
    rolled = summary["tenants"][0]
    return [
        f"Rollups: closed days rolled up through {summary['closed_day']} ({rolled['status']['days']} days of "
        "status counts; the report history came rolled up); today is counted live. Reports per day:",
        f'  curl -s -H "Authorization: Bearer $TOKEN" "{ctx.api}/reports/group_trend/run?app=desktop-client"',
    ]
