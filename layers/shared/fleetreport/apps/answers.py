"""What the admin routes answer: one pydantic model per response shape (SPEC §3.6).

The model that serializes an answer is also its OpenAPI schema (Powertools derives it from the
routes' `responses`), so the document cannot drift from the wire. Field order is the wire's key
order. Optional fields the contract omits are `str | SkipJsonSchema[None] = None`: absent from the
JSON, documented as an optional string, never as null. Only the admin function imports this module:
`fleetreport.apps.models` and `.admin` are imported by ingest, groups and the alert functions, which
should not build these classes at cold start.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict, SkipJsonSchema

from fleetreport.apps.models import App

_UUID: JsonDict = {"format": "uuid"}
_TIME: JsonDict = {"format": "date-time"}


class _Answer(BaseModel):
    # Schemas are built on a model's first use, not at import: each route builds only its own
    # answer (docs/performance.md, cold start).
    model_config = ConfigDict(frozen=True, defer_build=True)

    def to_json(self) -> dict[str, Any]:
        """The body: fields in declaration order, optional fields left out when unset."""
        return self.model_dump(exclude_none=True)


class CreatedApp(_Answer):
    """`POST /apps`: the new app; `report_key` (shown only here) when reports are on."""

    id: str = Field(json_schema_extra=_UUID)
    name: str
    reports: bool
    report_key: str | SkipJsonSchema[None] = Field(
        default=None, description="plaintext key `rpk_<64 hex>`, only when reports are on"
    )
    created_at: str = Field(json_schema_extra=_TIME)

    @classmethod
    def of(cls, app: App, report_key: str | None) -> CreatedApp:
        return cls(
            id=app.app_id,
            name=app.name,
            reports=app.reports,
            report_key=report_key,
            created_at=app.created_at,
        )


class AppView(_Answer):
    """An app. `key_prefix` (of its working key) only while reports are on; never the key's hash."""

    id: str = Field(json_schema_extra=_UUID)
    name: str
    reports: bool
    key_prefix: str | SkipJsonSchema[None] = None
    created_at: str = Field(json_schema_extra=_TIME)
    updated_at: str = Field(json_schema_extra=_TIME)

    @classmethod
    def of(cls, app: App, **extra: Any) -> Self:
        return cls(
            id=app.app_id,
            name=app.name,
            reports=app.reports,
            key_prefix=app.key_prefix if app.reports and app.key_prefix else None,
            created_at=app.created_at,
            updated_at=app.updated_at,
            **extra,
        )


class UpdatedApp(AppView):
    """`PATCH /apps/{app_id}`: the app; `report_key` only when this change issued a new key."""

    report_key: str | SkipJsonSchema[None] = Field(
        default=None, description="plaintext key `rpk_<64 hex>`, only when this call issued it"
    )


class AppList(_Answer):
    """`GET /apps`: the requester's apps."""

    items: list[AppView]

    @classmethod
    def of(cls, apps: list[App]) -> AppList:
        return cls(items=[AppView.of(app) for app in apps])


class ReportKeyRow(_Answer):
    """One app with reports on: its key's id and prefix, never the key."""

    id: str = Field(json_schema_extra=_UUID)
    app_id: str = Field(json_schema_extra=_UUID)
    app_name: str
    key_prefix: str | None
    updated_at: str | None = Field(json_schema_extra=_TIME)

    @classmethod
    def of(cls, app: App) -> ReportKeyRow:
        if app.key_id is None:
            raise ValueError(f"app {app.app_id} has no report key")
        return cls(
            id=app.key_id,
            app_id=app.app_id,
            app_name=app.name,
            key_prefix=app.key_prefix,
            updated_at=app.key_updated_at,
        )


class ReportKeyList(_Answer):
    """`GET /report-keys/list`: one row per app with reports on."""

    report_keys: list[ReportKeyRow]

    @classmethod
    def of(cls, apps: list[App]) -> ReportKeyList:
        return cls(report_keys=[ReportKeyRow.of(app) for app in apps])

    def to_json(self) -> dict[str, Any]:
        # Every field of a row is always present (null stays null), as before the models existed.
        return self.model_dump()


class RegeneratedKey(_Answer):
    """`POST /report-keys/regenerate`: the new plaintext key (the old one no longer works)."""

    app_id: str = Field(json_schema_extra=_UUID)
    key_value: str = Field(description="plaintext key `rpk_<64 hex>`")

    @classmethod
    def of(cls, app: App, key_value: str) -> RegeneratedKey:
        return cls(app_id=app.app_id, key_value=key_value)
