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
    """The request's URL without its query (for Link headers), from API Gateway's own request context:
    the API's domain name, and its stage when it is a named one. Never from the Host or
    X-Forwarded-* headers, which the client writes. HTTP APIs answer on https only; the local stack's
    domain is a loopback address served over http."""
    context = event.request_context
    domain = context.domain_name or ""
    path = event.raw_path or "/"
    stage = context.stage or "$default"
    if stage != "$default" and path != f"/{stage}" and not path.startswith(f"/{stage}/"):
        path = f"/{stage}{path}"
    if not domain:
        return path  # a relative reference is still a valid Link target
    scheme = "http" if _is_loopback(domain) else "https"
    return f"{scheme}://{domain}{path}"


def _is_loopback(domain: str) -> bool:
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    return host == "localhost" or host.startswith("127.") or host in ("[::1]", "::1")
