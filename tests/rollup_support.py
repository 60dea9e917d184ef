"""Helpers for the rollup tests: random compliance histories, counting items read, injected failures."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from compliance_support import compliance, consumer_created, consumer_deleted, load, next_id
from fleetreport.compliance.timefmt import to_storage
from fleetreport.rollup.service import run_rollup
from fleetreport.storage.aws import dynamodb

STATUSES = ("valid", "invalid", "partial")
OWNERS = ("acme", "globex", None)


def iso(moment: datetime) -> str:
    return to_storage(moment)


def snapshot_without_owner(uuid: str, date: str, status: str) -> dict[str, Any]:
    """A COMPLIANCE CREATED event whose consumer names no owner."""
    entity = {
        "consumer": {"uuid": uuid, "name": f"host-{uuid}"},
        "entitlements": [],
        "status": {"status": status, "date": date, "reasons": []},
    }
    return {
        "id": next_id(),
        "type": "CREATED",
        "target": "COMPLIANCE",
        "timestamp": date,
        "entity": json.dumps(entity),
    }


def random_instant(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """Mostly uniform, sometimes exactly on (or a millisecond off) a quarter-hour or half-hour grid."""
    span = int((end - start).total_seconds() * 1000)
    moment = start + timedelta(milliseconds=rng.randrange(max(span, 1)))
    roll = rng.random()
    if roll < 0.15:
        moment = moment.replace(minute=(moment.minute // 15) * 15, second=0, microsecond=0)
    elif roll < 0.25:
        moment = moment.replace(minute=(moment.minute // 15) * 15, second=0, microsecond=0) - timedelta(
            milliseconds=1
        )
    return max(start, min(moment, end))


def random_history(
    rng: random.Random, consumers: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Events of `consumers` consumers between `start` and `end`, in a random (not time) order."""
    events: list[dict[str, Any]] = []
    for number in range(consumers):
        uuid = f"c{number:03d}-{rng.randrange(10**6):06d}"
        owner = rng.choice(OWNERS)
        created = random_instant(rng, start, end)
        if rng.random() < 0.8:
            events.append(
                consumer_created(uuid, iso(created), owner or "acme")
                if owner
                else _created_no_owner(uuid, created)
            )
        for _ in range(rng.randrange(0, 6)):
            moment = random_instant(rng, created - timedelta(hours=2), end)
            status = rng.choice(STATUSES)
            if owner:
                events.append(compliance(uuid, iso(moment), status, owner_key=owner))
            else:
                events.append(snapshot_without_owner(uuid, iso(moment), status))
        if rng.random() < 0.25:
            events.append(
                consumer_deleted(
                    uuid, iso(random_instant(rng, created, end + timedelta(days=1))), owner or "acme"
                )
            )
    rng.shuffle(events)
    return events


def _created_no_owner(uuid: str, created: datetime) -> dict[str, Any]:
    entity = {"uuid": uuid, "name": f"host-{uuid}", "created": iso(created)}
    return {
        "id": next_id(),
        "type": "CREATED",
        "target": "CONSUMER",
        "timestamp": iso(created),
        "entity": entity,
    }


def roll(now: datetime, event: dict[str, Any] | None = None) -> dict[str, Any]:
    return run_rollup(event or {}, now=now)


def all_items(table: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {}
    while True:
        page = table.scan(**request)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda item: (str(item.get("pk")), str(item.get("sk"))))


def rollup_items(stack: Any, *, with_run: bool = False) -> list[dict[str, Any]]:
    return [item for item in all_items(stack.table("RollupsTable")) if with_run or item["pk"] != "RUN"]


class ReadCounter:
    """Items DynamoDB returned to our code (Query/Scan Count, GetItem, BatchGetItem), per operation."""

    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    @property
    def items(self) -> int:
        return sum(self.by_operation.values())

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        self.calls[name] += 1
        if name in ("Query", "Scan"):
            self.by_operation[name] += int(parsed.get("Count", 0))
        elif name == "GetItem":
            self.by_operation[name] += 1 if parsed.get("Item") else 0
        elif name == "BatchGetItem":
            self.by_operation[name] += sum(len(items) for items in parsed.get("Responses", {}).values())


@contextmanager
def counting_reads() -> Iterator[ReadCounter]:
    """Count items read by fleetreport's own DynamoDB client (the one the domain code uses)."""
    counter = ReadCounter()
    events = dynamodb().meta.client.meta.events
    events.register("after-call.dynamodb", counter)
    try:
        yield counter
    finally:
        events.unregister("after-call.dynamodb", counter)


@contextmanager
def failing_after(operation: str, calls: int) -> Iterator[None]:
    """Make fleetreport's DynamoDB client fail the `calls`+1-th `operation` call (and every later one)."""
    seen = Counter[str]()

    def fail(model: Any, **_: Any) -> None:
        seen[model.name] += 1
        if model.name == operation and seen[model.name] > calls:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)

    events = dynamodb().meta.client.meta.events
    events.register("before-call.dynamodb", fail)
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb", fail)


def utc(text: str) -> datetime:
    return (
        datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)
    )


__all__ = [
    "Counter",
    "ReadCounter",
    "all_items",
    "counting_reads",
    "failing_after",
    "load",
    "random_history",
    "roll",
    "rollup_items",
    "utc",
]
