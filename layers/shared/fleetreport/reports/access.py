"""Who may use the report routes, and the request facts the engine needs (query pairs, own URL)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fleetreport.auth.jwt import authenticate
from fleetreport.auth.principal import Principal
from fleetreport.reports.params import QueryParams


def report_reader(headers: Any) -> Principal:
    """A valid JWT (401) whose principal may read reports (`reports.read`; admins may) → else 403."""
    principal = authenticate(headers)
    principal.require("reports", "read")
    return principal


def query_params(raw_query_string: str | None) -> QueryParams:
    """The raw query string keeps repeated names apart (API Gateway joins them with commas elsewhere)."""
    return QueryParams(parse_qsl(raw_query_string or "", keep_blank_values=True))


def request_base_url(event: Any) -> str:
    """scheme://host/path of the request as the client addressed it (for Link headers)."""
    headers = event.headers or {}
    proto = (headers.get("x-forwarded-proto") or "https").split(",")[0].strip()
    host = headers.get("host") or event.request_context.domain_name
    return f"{proto}://{host}{event.raw_path}"
