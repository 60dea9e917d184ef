"""Candlepin event envelopes → typed compliance events, with errors that name the offending field.

Envelope: `{"id", "type", "target", "timestamp", "entity"}`; the entity may be an object or a JSON
string, under `entity`, `newEntity` or `oldEntity` (in that order of preference). Only
CONSUMER CREATED/DELETED and COMPLIANCE CREATED change anything; every other event — an event without
a `target` or `type` included, as Gutterball's EventManager skips one it has no handler for — is
acknowledged and skipped. Candlepin sends its events with `"id": null` (the id is assigned when stored),
so an event without an id gets one derived from its content: a redelivery derives the same id and is
stored once. Parsing never touches storage, so a request can be validated whole before any write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from fleetreport import jsontext
from fleetreport.compliance.consumer import ConsumerInfo
from fleetreport.compliance.fields import (
    EventError,
    join,
    optional_instant,
    optional_object,
    optional_string,
    required_object,
    required_string,
)
from fleetreport.compliance.itemsize import check_item_size
from fleetreport.compliance.snapshot import Snapshot, snapshot_from_entity
from fleetreport.compliance.timefmt import parse_instant, to_storage

ENTITY_KEYS = ("entity", "newEntity", "oldEntity")
MAX_ID_LENGTH = 256
MAX_UUID_LENGTH = 255
MAX_OWNER_KEY_LENGTH = 255

__all__ = ["ComplianceEvent", "ConsumerInfo", "EventError", "parse_event", "parse_events"]


@dataclass(frozen=True)
class ConsumerCreated:
    event_id: str
    consumer: ConsumerInfo
    created: str


@dataclass(frozen=True)
class ConsumerDeleted:
    event_id: str
    consumer: ConsumerInfo
    deleted: str


@dataclass(frozen=True)
class ComplianceCreated:
    event_id: str
    consumer: ConsumerInfo
    snapshot: Snapshot


@dataclass(frozen=True)
class Ignored:
    """An event of a target/type fleetreport does not store; acknowledged so the sender moves on."""

    event_id: str
    target: str
    type: str


ComplianceEvent = ConsumerCreated | ConsumerDeleted | ComplianceCreated | Ignored


def parse_event(raw: Any, path: str = "") -> ComplianceEvent:
    """Validate one envelope; raises EventError whose field is prefixed with `path` (e.g. `events[2]`)."""
    if not isinstance(raw, dict):
        raise EventError(path or "event", "must be a JSON object")
    event_id = _event_id(raw, path)
    target = (optional_string(raw, "target", path) or "").upper()
    kind = (optional_string(raw, "type", path) or "").upper()
    if (target, kind) == ("CONSUMER", "CREATED"):
        entity, where = _entity(raw, path)
        consumer = consumer_from_entity(entity, where)
        check_item_size(consumer, None, where, where)
        created = consumer.created or _timestamp(raw, path)
        return ConsumerCreated(event_id, consumer, created)
    if (target, kind) == ("CONSUMER", "DELETED"):
        entity, where = _entity(raw, path)
        consumer = consumer_from_entity(entity, where)
        check_item_size(consumer, None, where, where)
        return ConsumerDeleted(event_id, consumer, _timestamp(raw, path))
    if (target, kind) == ("COMPLIANCE", "CREATED"):
        entity, where = _entity(raw, path)
        consumer_where = join(where, "consumer")
        consumer = consumer_from_entity(required_object(entity, "consumer", where), consumer_where)
        snapshot = snapshot_from_entity(entity, where)
        check_item_size(
            consumer, snapshot, where, consumer_where
        )  # before any write: the consumer item must fit
        return ComplianceCreated(event_id, consumer, snapshot)
    return Ignored(event_id, target, kind)


def parse_events(body: Any) -> list[ComplianceEvent]:
    """A request body: one envelope, or a JSON array of them (paths `events[i]...`)."""
    if isinstance(body, list):
        return [parse_event(item, f"events[{index}]") for index, item in enumerate(body)]
    return [parse_event(body)]


def consumer_from_entity(entity: dict[str, Any], where: str) -> ConsumerInfo:
    uuid = required_string(entity, "uuid", where)
    if len(uuid) > MAX_UUID_LENGTH:
        raise EventError(join(where, "uuid"), "too long")
    owner = optional_object(entity, "owner", where) or {}
    facts = optional_object(entity, "facts", where)
    return ConsumerInfo(
        uuid=uuid,
        name=optional_string(entity, "name", where),
        owner_key=_owner_key(owner, join(where, "owner")),
        owner_display=optional_string(owner, "displayName", join(where, "owner")),
        created=optional_instant(entity, "created", where),
        last_checkin=optional_instant(entity, "lastCheckin", where),
        facts=facts,
    )


def _owner_key(owner: dict[str, Any], where: str) -> str | None:
    key = optional_string(owner, "key", where)
    if key is not None and ("#" in key or not key):
        # The key becomes part of the ByOwnerKey partition `{tenant}#{owner_key}`.
        raise EventError(join(where, "key"), "must be a non-empty string without '#'")
    if key is not None and len(key) > MAX_OWNER_KEY_LENGTH:  # ... whose key value DynamoDB bounds
        raise EventError(join(where, "key"), "too long")
    return key


def _event_id(raw: dict[str, Any], path: str) -> str:
    value = raw.get("id")
    if value is None or value == "":
        return content_id(raw)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise EventError(join(path, "id"), "must be a string")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise EventError(join(path, "id"), "too long")
    return text


def content_id(raw: dict[str, Any]) -> str:
    """A stable id for an event sent without one: the SHA-256 of its canonical JSON (id left out, keys
    sorted, non-ASCII escaped so lone surrogates hash too). Equal content means the same event."""
    content = {key: value for key, value in raw.items() if key != "id"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _entity(raw: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The entity object and its path; a JSON-string entity is decoded."""
    for key in ENTITY_KEYS:
        value = raw.get(key)
        if value is None or value == "":
            continue
        where = join(path, key)
        if isinstance(value, str):
            try:
                value = jsontext.loads(value)  # no lone surrogates: they cannot be stored
            except (ValueError, RecursionError):
                raise EventError(where, "invalid JSON") from None
        if not isinstance(value, dict):
            raise EventError(where, "must be an object")
        return value, where
    raise EventError(join(path, "entity"), "missing")


def _timestamp(raw: dict[str, Any], path: str) -> str:
    if raw.get("timestamp") in (None, ""):
        raise EventError(join(path, "timestamp"), "missing")
    instant = parse_instant(raw["timestamp"])
    if instant is None:
        raise EventError(join(path, "timestamp"), "invalid date")
    return to_storage(instant)
