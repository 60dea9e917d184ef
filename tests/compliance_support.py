"""Builders for Candlepin events and a direct loader for compliance fixtures (shared by compliance tests)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from fleetreport.compliance.events import parse_event
from fleetreport.compliance.ingest import store_event
from fleetreport.compliance.store import ComplianceWriter
from stack_support import Stack, fresh_stack

_IDS = itertools.count(1)


def next_id() -> str:
    return f"evt-{next(_IDS):06d}"


def consumer_json(uuid: str, owner_key: str = "acme", **extra: Any) -> dict[str, Any]:
    consumer = {
        "uuid": uuid,
        "name": f"host-{uuid}",
        "owner": {"key": owner_key, "displayName": owner_key.upper()},
        "lastCheckin": extra.pop("lastCheckin", None),
        "facts": {"cpu.cpu(s)": "4"},
    }
    consumer.update(extra)
    return consumer


def entitlement(
    sku: str, name: str, provided: dict[str, str] | None = None, management: bool = False
) -> dict:
    attributes = {"arch": "ALL"}
    if management:
        attributes["management_enabled"] = "1"
    return {
        "productId": sku,
        "productName": name,
        "attributes": attributes,
        "providedProducts": provided or {},
        "quantity": 1,
    }


def consumer_created(uuid: str, created: str, owner_key: str = "acme", event_id: str | None = None) -> dict:
    return {
        "id": event_id or next_id(),
        "type": "CREATED",
        "target": "CONSUMER",
        "timestamp": created,
        "entity": json.dumps(consumer_json(uuid, owner_key, created=created)),
    }


def consumer_deleted(uuid: str, deleted: str, owner_key: str = "acme", event_id: str | None = None) -> dict:
    return {
        "id": event_id or next_id(),
        "type": "DELETED",
        "target": "CONSUMER",
        "timestamp": deleted,
        "oldEntity": consumer_json(uuid, owner_key),
    }


def compliance(
    uuid: str,
    date: str,
    status: str = "valid",
    *,
    owner_key: str = "acme",
    entitlements: list[dict] | None = None,
    reasons: list[dict] | None = None,
    event_id: str | None = None,
    last_checkin: str | None = None,
    installed: dict[str, str] | None = None,
    compliant: list[str] | None = None,
    partial: list[str] | None = None,
    noncompliant: list[str] | None = None,
) -> dict:
    """`installed` ({product id: name}) and the status's product id lists default to what a real
    Candlepin reports for a consumer whose entitlements cover it: every provided product installed
    and compliant."""
    if installed is None:
        installed = {}
        for ent in entitlements or []:
            provided = ent.get("providedProducts")
            installed.update(provided if isinstance(provided, dict) else {})
        compliant = list(installed) if compliant is None else compliant
    entity = {
        "consumer": consumer_json(
            uuid,
            owner_key,
            lastCheckin=last_checkin or date,
            installedProducts=[{"productId": pid, "productName": name} for pid, name in installed.items()],
        ),
        "entitlements": entitlements or [],
        "status": {
            "status": status,
            "date": date,
            "reasons": reasons or [],
            "compliantProducts": {pid: [] for pid in compliant or []},
            "partiallyCompliantProducts": {pid: [] for pid in partial or []},
            "nonCompliantProducts": list(noncompliant or []),
        },
    }
    return {
        "id": event_id or next_id(),
        "type": "CREATED",
        "target": "COMPLIANCE",
        "timestamp": date,
        "entity": json.dumps(entity),
    }


def change_log(stack: Any, tenant: str, day: str) -> list[dict[str, Any]]:
    """Every change-log item of a tenant-day, each shard's partition read, in sort-key order."""
    from boto3.dynamodb.conditions import Key
    from fleetreport.compliance.keys import LOG_SHARDS, change_log_pk

    table = stack.table("ComplianceTable")
    pks = [change_log_pk(tenant, day, shard) for shard in range(LOG_SHARDS)]
    found = [item for pk in pks for item in table.query(KeyConditionExpression=Key("pk").eq(pk))["Items"]]
    return sorted(found, key=lambda item: item["sk"])


def load(stack: Any, tenant: str, raw_events: list[dict]) -> None:
    """Store events straight through the domain writer (fast fixtures; ingest itself is tested by HTTP),
    then deliver the table's stream (the status counts follow it)."""
    writer = ComplianceWriter(boto3.resource("dynamodb").Table(stack.name("ComplianceTable")), tenant)
    writer.register_tenant()
    for raw in raw_events:
        store_event(writer, parse_event(raw))
    stack.drain()


@contextmanager
def shared_stack() -> Iterator[Stack]:
    """The `stack` fixture's world, for a whole module of read-only tests (validation, catalogue)."""
    with pytest.MonkeyPatch.context() as patch:
        yield from fresh_stack(patch)


def run_report(
    stack: Any, key: str, query: list[tuple[str, str]] | None = None, owner: str = "t1", **kw: Any
) -> Any:
    """GET /reports/{key}/run as an admin of `owner`; returns the HttpResult."""
    headers = stack.auth(owner=owner)
    headers.update(kw.pop("headers", {}))
    return stack.http("GET", f"/reports/{key}/run", headers=headers, query=query or [])


def report_json(stack: Any, key: str, query: list[tuple[str, str]] | None = None, owner: str = "t1") -> Any:
    answer = run_report(stack, key, query, owner)
    assert answer.status == 200, answer.text
    return answer.json()


class ItemsRead:
    """Counts DynamoDB items returned to a boto3 client, through botocore's `after-call` event hook."""

    def __init__(self, client: Any) -> None:
        self.items = 0
        self.operations: list[str] = []
        client.meta.events.register("after-call.dynamodb", self._count)

    def _count(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.operations.append(model.name)
        if model.name in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif model.name == "GetItem":
            self.items += 1 if "Item" in parsed else 0
        elif model.name == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())

    def reset(self) -> None:
        self.items = 0
        self.operations = []
