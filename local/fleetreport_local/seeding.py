"""What a demo-data seeder gets from the local stack. Each domain has its own `seed_<area>.py`
module with `def seed(ctx: SeedContext) -> list[str]` returning lines worth printing (e.g. curl examples)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetreport_local.template import Template


@dataclass
class SeedContext:
    api: str  # http://127.0.0.1:PORT - seeders may post through the real API
    aws_endpoint: str  # the moto server, for direct bulk loads
    tenant: str  # the owner claim of the printed admin token
    admin_token: str
    template: Template  # physical names: template.physical_name("GroupsTable")
    session: Any  # boto3.Session; clients need endpoint_url=aws_endpoint
