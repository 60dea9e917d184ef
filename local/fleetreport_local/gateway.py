"""A local API Gateway (HTTP API): request -> payload-2.0 event -> the real handler -> response.

Mirrors what the deployed API does around the handlers: routes from template.yaml (static before
`{param}`), `{"message":"Not Found"}` for unknown routes, the 10 MB request cap, CORS preflights and
headers from the template's CorsConfiguration, and a 500 when the function itself fails.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from fleetreport_local.apigw import http_api_event
from fleetreport_local.invoker import to_http_result
from fleetreport_local.swagger import local_docs
from fleetreport_local.template import Template

log = logging.getLogger("fleetreport.local")

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def gateway_message(status: int, message: str) -> Reply:
    """An answer API Gateway itself gives (not the function): `{"message": ...}`."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return Reply(status, [("content-type", "application/json")], body)


NOT_FOUND = 404, "Not Found"
TOO_LARGE = 413, "Request Entity Too Large"
BAD_REQUEST = 400, "Bad Request"
INTERNAL_ERROR = 500, "Internal Server Error"


@dataclass(frozen=True)
class Cors:
    """The HttpApi's CorsConfiguration, applied the way API Gateway applies it."""

    allow_origins: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_template(cls, template: Template) -> Cors | None:
        for res in template.resources("AWS::Serverless::HttpApi").values():
            config = template.resolve(res.get("Properties", {}).get("CorsConfiguration"))
            if isinstance(config, dict):
                return cls(
                    allow_origins=tuple(config.get("AllowOrigins", [])),
                    allow_headers=tuple(h.lower() for h in config.get("AllowHeaders", [])),
                    allow_methods=tuple(m.upper() for m in config.get("AllowMethods", [])),
                    expose_headers=tuple(h.lower() for h in config.get("ExposeHeaders", [])),
                    max_age=int(config["MaxAge"]) if "MaxAge" in config else None,
                    allow_credentials=bool(config.get("AllowCredentials", False)),
                )
        return None

    def allowed_origin(self, origin: str | None) -> str | None:
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*"
        return origin if origin in self.allow_origins else None

    def preflight(self, origin: str | None) -> Reply:
        reply = Reply(204)
        allowed = self.allowed_origin(origin)
        if allowed:
            reply.headers += [
                ("access-control-allow-origin", allowed),
                ("access-control-allow-methods", ",".join(self.allow_methods)),
                ("access-control-allow-headers", ",".join(self.allow_headers)),
            ]
            if self.max_age is not None:
                reply.headers.append(("access-control-max-age", str(self.max_age)))
            if self.allow_credentials:
                reply.headers.append(("access-control-allow-credentials", "true"))
        return reply

    def decorate(self, reply: Reply, origin: str | None) -> None:
        """API Gateway replaces the function's own CORS headers with the configured ones."""
        allowed = self.allowed_origin(origin)
        if not allowed:
            return
        reply.headers = [(k, v) for k, v in reply.headers if not k.lower().startswith("access-control-")]
        reply.headers.append(("access-control-allow-origin", allowed))
        if self.expose_headers:
            reply.headers.append(("access-control-expose-headers", ",".join(self.expose_headers)))
        if self.allow_credentials:
            reply.headers.append(("access-control-allow-credentials", "true"))


Invoke = Callable[[str, dict[str, Any]], Any]


class Gateway:
    """Turns one HTTP request into one function invocation, like the deployed HTTP API."""

    def __init__(self, template: Template, invoke: Invoke, cors: Cors | None = None) -> None:
        self.template = template
        self.invoke = invoke
        self.cors = cors

    def handle(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]],
        body: bytes | None,
        client: tuple[str, int] = ("127.0.0.1", 0),
        server_port: int = 0,
    ) -> Reply:
        method = method.upper()
        joined = join_headers(headers)
        origin = joined.get("origin")
        if self.cors and method == "OPTIONS" and origin and "access-control-request-method" in joined:
            return self.cors.preflight(origin)
        reply = self._route(method, target, joined, body, client, server_port)
        if self.cors:
            self.cors.decorate(reply, origin)
        return reply

    def _route(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
        client: tuple[str, int],
        server_port: int,
    ) -> Reply:
        parts = urlsplit(target)
        path = parts.path or "/"
        matched = self.template.match(method, path)
        if matched is None:
            docs = local_docs(method, path)  # /swagger and /openapi.json: local only, never a route
            return Reply(*docs) if docs else gateway_message(*NOT_FOUND)
        route, params = matched
        headers = {
            **headers,
            "x-forwarded-for": client[0],
            "x-forwarded-port": str(server_port),
            "x-forwarded-proto": "http",
        }
        cookie = headers.pop("cookie", None)
        event = http_api_event(
            method,
            path,
            route_key=f"{route.method} {route.path}",
            path_parameters={k: unquote(v) for k, v in params.items()} or None,
            query=parts.query,
            headers=headers,
            body=body or None,
            source_ip=client[0],
            domain_name=f"127.0.0.1:{server_port}" if server_port else "127.0.0.1",
        )
        if cookie:
            event["cookies"] = [c.strip() for c in cookie.split(";") if c.strip()]
        try:
            response = self.invoke(route.function, event)
            return to_reply(response)
        except Exception:  # the function crashed (or answered garbage): API Gateway says 500
            log.exception("%s failed on %s %s", route.function, method, path)
            return gateway_message(*INTERNAL_ERROR)


def join_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names, repeated headers joined with commas (what API Gateway puts in the event)."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def to_reply(response: Any) -> Reply:
    result = to_http_result(response)
    reply = Reply(result.status, list(result.headers.items()), result.body)
    if isinstance(response, dict):
        reply.headers += [("set-cookie", str(c)) for c in response.get("cookies") or []]
    return reply
