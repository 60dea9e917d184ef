"""Apps and report keys as the domain sees them, and the validation of admin request bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetreport.errors import BadRequest

# The same rule ingest applies to `application.name` (SPEC §3.1), so every app can receive reports.
APP_NAME = re.compile(r"^[a-zA-Z0-9\- ]+$")
MAX_APP_NAME_LENGTH = 128
APP_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def utc_now() -> str:
    """RFC 3339 UTC with milliseconds and `Z`, the one time format of the API and the tables."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class App:
    app_id: str
    name: str
    reports: bool
    created_at: str
    updated_at: str
    key_id: str | None = None
    key_prefix: str | None = None
    key_hash: str | None = None  # never serialized (fleetreport.apps.answers has no field for it)
    key_updated_at: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> App:
        return cls(
            app_id=item["app_id"],
            name=item["name"],
            reports=bool(item.get("reports", False)),
            created_at=item["created_at"],
            updated_at=item.get("updated_at", item["created_at"]),
            key_id=item.get("key_id"),
            key_prefix=item.get("key_prefix"),
            key_hash=item.get("key_hash"),
            key_updated_at=item.get("key_updated_at"),
        )


@dataclass(frozen=True)
class ReportKey:
    """What one GetItem on a key hash tells ingest: whose key it is and for which app."""

    tenant: str
    app_id: str
    app_name: str
    reports_enabled: bool
    key_id: str


@dataclass(frozen=True)
class NewApp:
    name: str
    reports: bool


@dataclass(frozen=True)
class AppChange:
    reports: bool | None
    name: str | None


def parse_new_app(body: Any) -> NewApp:
    """`POST /apps` body: `{"name": str, "reports": bool}` (reports defaults to false)."""
    if not isinstance(body, dict):
        raise BadRequest("invalid request body")
    if body.get("name") is None or body.get("name") == "":
        raise BadRequest("missing name")
    return NewApp(name=_app_name(body["name"]), reports=_reports(body.get("reports", False)))


def parse_app_change(body: Any) -> AppChange:
    """`PATCH /apps/{app_id}` body: `{"reports"?: bool, "name"?: str}`, at least one of them."""
    if not isinstance(body, dict):
        raise BadRequest("invalid request body")
    if body.get("reports") is None and body.get("name") is None:
        raise BadRequest("no fields to update")
    reports = None if body.get("reports") is None else _reports(body["reports"])
    name = None if body.get("name") is None else _app_name(body["name"])
    return AppChange(reports=reports, name=name)


def parse_regenerate(body: Any) -> str:
    """`POST /report-keys/regenerate` body: `{"app_id": str}`."""
    if not isinstance(body, dict):
        raise BadRequest("invalid request body")
    app_id = body.get("app_id")
    if app_id is None or app_id == "":
        raise BadRequest("missing app_id")
    if not isinstance(app_id, str):
        raise BadRequest("invalid app_id")
    return app_id


def _app_name(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_APP_NAME_LENGTH or not APP_NAME.fullmatch(value):
        raise BadRequest("invalid name")
    return value


def _reports(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequest("invalid reports")
    return value
