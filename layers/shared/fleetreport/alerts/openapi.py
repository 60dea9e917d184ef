"""How the alert routes look in the OpenAPI document: the rules body, the alert log and every status."""

from __future__ import annotations

from typing import Any

from fleetreport.alerts.models import SIGNALS
from fleetreport.groups.models import EVENT_TYPES

_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}
_SIGNALS = {"type": "array", "items": {"type": "string", "enum": list(SIGNALS)}}
_TYPES = {"type": "array", "items": {"type": "string", "enum": sorted(EVENT_TYPES)}}
_URL = {
    "anyOf": [{"type": "string"}, {"type": "null"}],
    "description": "https:// (http:// to loopback on the local stack); null: none",
}
_INTERVAL = {"type": "integer", "minimum": 0, "maximum": 10080}
_RELEASE_HEALTH = {
    "type": "object",
    "description": "the release gate's settings (SPEC 12): halt below `threshold` crash-free devices % "
    "once a version has `min_devices` active devices today",
    "properties": {
        "threshold": {"type": "number", "minimum": 0, "maximum": 100, "default": 99.0},
        "min_devices": {"type": "integer", "minimum": 1, "default": 250},
    },
}
RULES = {
    "type": "object",
    "properties": {
        "app_id": {"type": "string"},
        "signals": _SIGNALS,
        "types": {**_TYPES, "description": "event types to alert on; empty = every type"},
        "webhook_url": _URL,
        "min_interval_minutes": _INTERVAL,
        "release_health": _RELEASE_HEALTH,
        "configured": {"type": "boolean", "description": "false: nothing was PUT yet (defaults shown)"},
        "webhook_secret": {
            "type": "string",
            "description": "HMAC-SHA256 key of X-Fleetreport-Signature; only in the PUT that issued it",
        },
    },
}
RULES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "signals": _SIGNALS,
                        "types": _TYPES,
                        "webhook_url": _URL,
                        "min_interval_minutes": _INTERVAL,
                        "release_health": _RELEASE_HEALTH,
                        "rotate_secret": {"type": "boolean"},
                    },
                }
            }
        },
    }
}
ALERT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "signal": {"type": "string", "enum": list(SIGNALS)},
        "occurred_at": {"type": "string", "format": "date-time"},
        "tenant": {"type": "string"},
        "app": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
        "group": {"type": "object"},
        "counts": {"type": "object"},
        "link": {"type": "string"},
    },
}
_JWT = {401: "missing, malformed or invalid bearer JWT", 403: "Permission denied"}


def _responses(schema: dict[str, Any], errors: dict[int, str]) -> Any:
    responses: dict[int, Any] = {
        200: {"description": "ok", "content": {"application/json": {"schema": schema}}}
    }
    for status, description in {**errors, 503: "temporarily unavailable"}.items():
        responses[status] = {"description": description, "content": _ERROR}
    return responses


GET_RULES_RESPONSES = _responses(RULES, {**_JWT, 404: "app not found"})
PUT_RULES_RESPONSES = _responses(
    RULES,
    {
        400: "invalid request body, invalid signals, invalid types, invalid webhook_url, "
        "invalid min_interval_minutes, invalid rotate_secret",
        **_JWT,
        404: "app not found",
    },
)
LIST_ALERTS_RESPONSES = _responses(
    {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ALERT},
            "next_cursor": {"type": "string", "description": "absent on the last page"},
        },
    },
    {400: "invalid signal, invalid limit, invalid cursor", **_JWT},
)
