"""What a demo-data seeder gets from the local stack. Each domain has its own `seed_<area>.py`
module with `def seed(ctx: SeedContext) -> list[str]` returning lines for the banner (a summary, and
curl examples that use `$TOKEN` and `ctx.api`: the banner exports TOKEN once)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleetreport_local.template import Template

# (method, path, JSON body, headers) -> (status, decoded JSON body or text)
ApiCall = Callable[[str, str, Any, dict[str, str]], tuple[int, Any]]


@dataclass
class SeedContext:
    api: str  # http://127.0.0.1:PORT - what the printed curl lines use
    aws_endpoint: str  # the moto server, for direct bulk loads
    tenant: str  # the owner claim of the printed admin token
    admin_token: str
    template: Template  # physical names: template.physical_name("GroupsTable")
    session: Any  # boto3.Session; clients need endpoint_url=aws_endpoint
    # How seeders call the API: `fleetreport serve` passes its gateway (the real handlers, in-process:
    # the port is not open while seeding); by default, HTTP to `api`.
    call: ApiCall | None = None
    progress: Callable[[str], None] = lambda text: None  # "12/35 days" within the current seeder

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.call is not None:
            return self.call(method, path, body, sent)
        return http_call(self.api, method, path, body, sent)


def http_call(api: str, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{api}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, decode(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, decode(error.read())


def decode(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw.decode("utf-8", "replace")
