"""How the admin routes look in the OpenAPI document: request bodies and every status they answer.

Success bodies are the models of `fleetreport.apps.answers`, which also serialize them; what stays
hand-written here is what no model serializes: the `{"error"}` bodies and their messages.

The body models only describe; they accept any JSON object so that `fleetreport.apps.models` gives
the exact messages of the spec (`missing name`, `invalid name`, ...) instead of a generic 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from fleetreport.apps.answers import AppList, CreatedApp, RegeneratedKey, ReportKeyList, UpdatedApp
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


def _responses(ok: int, ok_description: str, ok_model: type[BaseModel], errors: dict[int, str]) -> Any:
    # The success schema is derived by Powertools from the model that serializes the answer.
    ok_content = {"application/json": {"model": ok_model}}
    responses: dict[int, Any] = {ok: {"description": ok_description, "content": ok_content}}
    common = {401: "missing, malformed or invalid bearer JWT", 403: "Permission denied"}
    for status, description in {**common, **errors}.items():
        responses[status] = {"description": description, "content": _ERROR}
    responses[503] = {"description": "temporarily unavailable", "content": _ERROR}
    return responses


CREATE_APP_RESPONSES = _responses(
    201,
    "the app; `report_key` (shown only here) when reports are on",
    CreatedApp,
    {400: "invalid request body, missing name, invalid name, invalid reports", 409: "app already exists"},
)
LIST_APPS_RESPONSES = _responses(
    200,
    "the requester's apps",
    AppList,
    {},
)
PATCH_APP_RESPONSES = _responses(
    200,
    "the app; `report_key` when reports were switched on",
    UpdatedApp,
    {
        400: "invalid request body, no fields to update, invalid reports, invalid name",
        404: "app not found",
        409: "app already exists",
    },
)
LIST_KEYS_RESPONSES = _responses(
    200,
    "one row per app with reports on (key prefix only)",
    ReportKeyList,
    {},
)
REGENERATE_RESPONSES = _responses(
    200,
    "the new plaintext key (the old one no longer works)",
    RegeneratedKey,
    {
        400: "invalid request body, missing app_id, invalid app_id, reports are disabled for this app",
        404: "app not found",
    },
)
