"""How the admin routes look in the OpenAPI document: request bodies and every status they answer.

The body models only describe; they accept any JSON object so that `fleetreport.apps.models` gives
the exact messages of the spec (`missing name`, `invalid name`, ...) instead of a generic 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from fleetreport.apps.models import MAX_APP_NAME_LENGTH

_NAME_SCHEMA = {"type": "string", "pattern": r"^[a-zA-Z0-9\- ]+$", "maxLength": MAX_APP_NAME_LENGTH}
_BOOL_SCHEMA = {"type": "boolean"}
_ID_SCHEMA = {"type": "string", "format": "uuid"}


class NewAppBody(BaseModel):
    """`POST /apps`: `reports` defaults to false (no key is issued)."""

    model_config = ConfigDict(extra="allow")
    name: Annotated[Any, WithJsonSchema(_NAME_SCHEMA)] = None
    reports: Annotated[Any, WithJsonSchema(_BOOL_SCHEMA)] = None


class AppChangeBody(BaseModel):
    """`PATCH /apps/{app_id}`: at least one of `reports` and `name`."""

    model_config = ConfigDict(extra="allow")
    reports: Annotated[Any, WithJsonSchema(_BOOL_SCHEMA)] = None
    name: Annotated[Any, WithJsonSchema(_NAME_SCHEMA)] = None


class RegenerateBody(BaseModel):
    """`POST /report-keys/regenerate`."""

    model_config = ConfigDict(extra="allow")
    app_id: Annotated[Any, WithJsonSchema(_ID_SCHEMA)] = None


def as_dict(body: BaseModel | None) -> dict[str, Any] | None:
    """The body as the domain parsers take it (None stays None: `invalid request body`)."""
    return None if body is None else body.model_dump(exclude_unset=True)


_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}
_APP = {
    "type": "object",
    "properties": {
        "id": _ID_SCHEMA,
        "name": {"type": "string"},
        "reports": _BOOL_SCHEMA,
        "key_prefix": {"type": "string"},
        "report_key": {"type": "string", "description": "plaintext key, only when this call issued it"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _responses(ok: int, ok_description: str, ok_schema: dict[str, Any], errors: dict[int, str]) -> Any:
    responses: dict[int, Any] = {ok: {"description": ok_description, "content": _json(ok_schema)}}
    common = {401: "missing, malformed or invalid bearer JWT", 403: "Permission denied"}
    for status, description in {**common, **errors}.items():
        responses[status] = {"description": description, "content": _ERROR}
    responses[503] = {"description": "temporarily unavailable", "content": _ERROR}
    return responses


CREATE_APP_RESPONSES = _responses(
    201,
    "the app; `report_key` (shown only here) when reports are on",
    _APP,
    {400: "invalid request body, missing name, invalid name, invalid reports", 409: "app already exists"},
)
LIST_APPS_RESPONSES = _responses(
    200,
    "the requester's apps",
    {"type": "object", "properties": {"items": {"type": "array", "items": _APP}}},
    {},
)
PATCH_APP_RESPONSES = _responses(
    200,
    "the app; `report_key` when reports were switched on",
    _APP,
    {
        400: "invalid request body, no fields to update, invalid reports, invalid name",
        404: "app not found",
        409: "app already exists",
    },
)
LIST_KEYS_RESPONSES = _responses(
    200,
    "one row per app with reports on (key prefix only)",
    {
        "type": "object",
        "properties": {
            "report_keys": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": _ID_SCHEMA,
                        "app_id": _ID_SCHEMA,
                        "app_name": {"type": "string"},
                        "key_prefix": {"type": "string"},
                        "updated_at": {"type": "string", "format": "date-time"},
                    },
                },
            }
        },
    },
    {},
)
REGENERATE_RESPONSES = _responses(
    200,
    "the new plaintext key (the old one no longer works)",
    {"type": "object", "properties": {"app_id": _ID_SCHEMA, "key_value": {"type": "string"}}},
    {
        400: "invalid request body, missing app_id, invalid app_id, reports are disabled for this app",
        404: "app not found",
    },
)
