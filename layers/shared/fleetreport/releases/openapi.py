"""How the release routes look in the OpenAPI document: the answers' models and every status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fleetreport.releases.answers import GateVerdict, ReleaseDetail, ReleaseList

_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}
_JWT = {401: "missing, malformed or invalid bearer JWT", 403: "Permission denied"}


def _responses(model: type[BaseModel], errors: dict[int, str]) -> Any:
    responses: dict[int, Any] = {
        200: {"description": "OK", "content": {"application/json": {"model": model}}}
    }
    for status, description in {**_JWT, **errors}.items():
        responses[status] = {"description": description, "content": _ERROR}
    responses[503] = {"description": "temporarily unavailable", "content": _ERROR}
    return responses


LIST_RESPONSES = _responses(
    ReleaseList,
    {
        400: "invalid days / invalid limit / invalid cursor / invalid channel / invalid platform",
        404: "app not found",
    },
)
GET_RESPONSES = _responses(
    ReleaseDetail,
    {
        400: "invalid version / invalid days / invalid channel / invalid platform",
        404: "app not found / release not found",
    },
)
GATE_RESPONSES = _responses(GateVerdict, {400: "invalid version / invalid channel", 404: "app not found"})

BEACON_RESPONSES: Any = {
    204: {"description": "the device is counted active for the version and UTC day"},
    400: {
        "description": "missing X-Device-ID / invalid request body / missing <field> / invalid <field>",
        "content": _ERROR,
    },
    401: {"description": "invalid report key", "content": _ERROR},
    403: {
        "description": "reports are disabled for this app / report key does not belong to this application",
        "content": _ERROR,
    },
    413: {"description": "request body too large", "content": _ERROR},
    429: {
        "description": "rate limit exceeded (REPORTS_BEACONS_PER_DEVICE_PER_DAY), with Retry-After",
        "content": _ERROR,
    },
    503: {"description": "temporarily unavailable", "content": _ERROR},
}
_STRING = {"type": "string"}
BEACON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["application", "system"],
                    "properties": {
                        "application": {
                            "type": "object",
                            "properties": {"name": _STRING, "version": _STRING, "channel": _STRING},
                        },
                        "system": {"type": "object", "properties": {"platform": _STRING, "arch": _STRING}},
                        "is_latest": {"type": "boolean"},
                    },
                }
            }
        },
    }
}
