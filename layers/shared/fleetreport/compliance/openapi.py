"""How `POST /events` looks in the OpenAPI document: the Candlepin envelope it takes and its answers.

The body is documented through `openapi_extensions` rather than parsed by Powertools: the JWT is
checked before the body, and the domain parser names the offending field (`events[1].entity: missing`).
"""

from __future__ import annotations

from typing import Any

from fleetreport.compliance.events import ENTITY_KEYS, MAX_ID_LENGTH

_STRING = {"type": "string"}
_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": _STRING}}}}
_ENTITY = {
    "description": "the event's entity: an object, or the same object as a JSON string (Candlepin "
    "sends strings). CONSUMER: the consumer `{uuid, name, owner{key, displayName}, created, "
    "lastCheckin, facts}`; COMPLIANCE: the compliance status `{consumer, entitlements, status{status, "
    "date, reasons}}`.",
    "oneOf": [{"type": "object"}, {"type": "string"}],
}
EVENT = {
    "type": "object",
    "description": "Candlepin's event envelope. Stored: CONSUMER CREATED/DELETED and COMPLIANCE "
    "CREATED; any other target/type is acknowledged and skipped. A redelivered `id` is stored once.",
    "required": ["id", "type", "target"],
    "properties": {
        "id": {"type": "string", "maxLength": MAX_ID_LENGTH},
        "type": {"type": "string", "examples": ["CREATED", "DELETED", "MODIFIED"]},
        "target": {"type": "string", "examples": ["CONSUMER", "COMPLIANCE"]},
        "timestamp": {"type": "string", "description": "event time (CONSUMER DELETED: the deletion)"},
        **{key: _ENTITY for key in ENTITY_KEYS},
    },
}


def post_body(max_events: int) -> dict[str, Any]:
    """The `requestBody` extension: one envelope, or an array of at most `max_events`."""
    one_or_many = {"oneOf": [EVENT, {"type": "array", "items": EVENT, "maxItems": max_events}]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": one_or_many}}}}


_SUMMARY = {
    "type": "object",
    "properties": {
        "received": {"type": "integer"},
        "stored": {"type": "integer"},
        "skipped": {"type": "integer", "description": "targets/types that are not stored"},
        "duplicates": {"type": "integer", "description": "event ids already stored"},
        "snapshots_stored": {"type": "integer"},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _ERROR}


def post_responses(max_events: int) -> dict[int, Any]:
    return {
        200: {
            "description": "every event stored (or skipped) under the token's owner",
            "content": {"application/json": {"schema": _SUMMARY}},
        },
        400: _error(
            f"nothing stored: `invalid request body`, `events: at most {max_events} events per request`, "
            "or `<field path>: <reason>` for the first malformed event (e.g. "
            "`events[1].entity.status.date: missing`, or `events[0].entity: too large to store` when the "
            "consumer item would pass DynamoDB's item limit)"
        ),
        401: _error("missing, malformed or invalid bearer JWT"),
        403: _error("Permission denied (role ingest or admin)"),
        503: _error("temporarily unavailable"),
    }
