"""Every HTTP route of template.yaml as a concrete request, for the suites that sweep all routes (JWT
attacks, tenancy, hostile input). Routes are read from the template, so a new route joins every sweep
on its own; only the few routes that are NOT behind a JWT are named here."""

from __future__ import annotations

import re
from typing import Any

from fleetreport_local.template import Route, load_template

# Routes without a bearer JWT: the dashboard's static files, and ingest (report keys, SPEC §2).
PUBLIC_ROUTES = frozenset({"GET /", "GET /ui/{proxy+}"})
REPORT_KEY_ROUTES = frozenset({"POST /reports/ingest", "POST /reports/beacon"})

SOME_HASH = "a" * 64
SOME_APP_ID = "00000000-0000-4000-8000-000000000000"
PATH_DEFAULTS = {
    "group_hash": SOME_HASH,
    "report_key": "consumer_status",
    "app_id": SOME_APP_ID,
    "proxy+": "app.js",
    "version": "1.5.0",
}
# A body each write route accepts (validation must not be what stops a request in the sweeps).
BODIES: dict[str, Any] = {
    "POST /apps": {"name": "swept", "reports": True},
    "PATCH /apps/{app_id}": {"reports": True},
    "POST /report-keys/regenerate": {"app_id": SOME_APP_ID},
    "PATCH /reports/groups/{group_hash}": {"status": "muted"},
    "POST /events": [],
}


def key_of(route: Route) -> str:
    return f"{route.method} {route.path}"


def all_routes() -> dict[str, Route]:
    return {key_of(route): route for route in load_template().routes()}


def jwt_routes() -> dict[str, Route]:
    """Every route behind `Authorization: Bearer <JWT>` (all but the public and report-key ones)."""
    return {key: route for key, route in all_routes().items() if key not in PUBLIC_ROUTES | REPORT_KEY_ROUTES}


def concrete_path(route: Route, **values: str) -> str:
    """The route's path with its `{param}`s filled (`values` first, then harmless defaults)."""
    return re.sub(r"\{([\w+]+)\}", lambda m: values.get(m.group(1), PATH_DEFAULTS[m.group(1)]), route.path)


def request_for(route: Route, **values: str) -> tuple[str, str, Any]:
    """(method, path, body) of an ordinary request to the route."""
    return route.method, concrete_path(route, **values), BODIES.get(key_of(route))
