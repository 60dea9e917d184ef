"""How the report-group routes look in the OpenAPI document: parameters, bodies and every status.

Request bodies are documented through `openapi_extensions` rather than parsed by Powertools, because
the spec orders the checks (the report key / JWT before the body) and gives exact messages.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fleetreport.groups.answers import BlobList, Group, GroupDeleted, GroupList, GroupUpdated

_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}
_TIME = {"type": "string", "format": "date-time"}
_HASH = {"type": "string", "pattern": "^[a-f0-9]{64}$"}
_STRING = {"type": "string"}

_DIMENSIONS = {
    "application": {
        "type": "object",
        "properties": {"name": _STRING, "version": _STRING, "channel": _STRING},
    },
    "system": {"type": "object", "properties": {"platform": _STRING, "arch": _STRING}},
    "event": {"type": "object", "properties": {"type": _STRING, "reason": _STRING}},
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _responses(
    ok: int, ok_description: str, ok_schema: dict[str, Any] | type[BaseModel], errors: dict[int, str]
) -> Any:
    """`ok_schema` a model: the one that serializes the answer, and Powertools derives its schema."""
    if isinstance(ok_schema, dict):
        ok_content = _json(ok_schema)
    else:
        ok_content = {"application/json": {"model": ok_schema}}
    responses: dict[int, Any] = {ok: {"description": ok_description, "content": ok_content}}
    for status, description in errors.items():
        responses[status] = {"description": description, "content": _ERROR}
    responses[503] = {"description": "temporarily unavailable", "content": _ERROR}
    return responses


_JWT_ERRORS = {401: "missing, malformed or invalid bearer JWT", 403: "Permission denied"}
_DISABLED = {404: "report groups are disabled (REPORTS_ENABLED=false)"}

INGEST_RESPONSES = _responses(
    202,
    "counted into its group",
    {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["accepted"]},
            "group_hash": _HASH,
            "stored_details": {"type": "boolean"},
        },
    },
    {
        400: "missing X-Device-ID, invalid request body, missing/invalid <field>, details errors",
        401: "invalid report key",
        403: "reports are disabled for this app, report key does not belong to this application",
        413: "request body too large, compressed details too large, decompressed details too large",
        429: "rate limit exceeded (see Retry-After)",
    },
)
INGEST_RESPONSES[429]["headers"] = {
    "Retry-After": {"description": "seconds until the window resets", "schema": {"type": "integer"}}
}
INGEST_BODY = {
    "parameters": [
        {
            "name": "X-Device-ID",
            "in": "header",
            "required": True,
            "description": "the reporting device (stored only as a hash)",
            "schema": {"type": "string", "minLength": 1},
        }
    ],
    "requestBody": {
        "required": True,
        "content": _json(
            {
                "type": "object",
                "required": ["application", "system", "event"],
                "properties": {
                    **_DIMENSIONS,
                    "details": {
                        "type": "object",
                        "properties": {
                            "encoding": {"type": "string", "enum": ["gzip+base64"]},
                            "content_type": {"type": "string", "enum": ["application/json"]},
                            "payload": {"type": "string", "description": "base64 of gzip bytes"},
                        },
                    },
                },
            }
        ),
    },
}
LIST_RESPONSES = _responses(
    200,
    "one page of groups, newest last_seen first",
    GroupList,
    {
        400: "invalid from, invalid to, invalid status, invalid page, invalid limit, invalid cursor, "
        "use cursor for deep pages, invalid activity, invalid query",
        **_JWT_ERRORS,
        **_DISABLED,
    },
)
GET_RESPONSES = _responses(
    200,
    "the group",
    Group,
    {400: "invalid group hash, invalid query", **_JWT_ERRORS, 404: "report group not found"},
)
BLOBS_RESPONSES = _responses(
    200,
    "the group's detail blobs, newest first (empty for an unknown group)",
    BlobList,
    {400: "invalid group hash, invalid limit, invalid query", **_JWT_ERRORS, **_DISABLED},
)
PATCH_RESPONSES = _responses(
    200,
    "updated",
    GroupUpdated,
    {
        400: "invalid request body, no fields to update, invalid status, invalid tags, invalid note, "
        "note too long, invalid mute_until, invalid mute_until_count, "
        "mute_until and mute_until_count need status muted, invalid query",
        **_JWT_ERRORS,
        404: "report group not found",
    },
)
PATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": _json(
            {
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["open", "resolved", "muted"]},
                    "tags": {
                        "type": "array",
                        "maxItems": 20,
                        "items": {"type": "string", "pattern": "^[a-zA-Z0-9._-]{1,64}$"},
                    },
                    "note": {"type": "string", "description": "at most 2000 bytes; empty clears"},
                    "mute_until": {
                        **_TIME,
                        "description": "with status muted: the group reopens (group.unmuted) on the "
                        "first report after this instant (must be in the future)",
                    },
                    "mute_until_count": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 1_000_000_000,
                        "description": "with status muted: the group reopens after N more reports",
                    },
                },
            }
        ),
    }
}
DELETE_RESPONSES = _responses(
    200,
    "deleted with its blobs",
    GroupDeleted,
    {400: "invalid group hash, invalid query", **_JWT_ERRORS, 404: "report group not found"},
)
