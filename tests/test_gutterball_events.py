"""Events as Candlepin really sends them, handled as Gutterball's own handlers do (issue 16).

Candlepin posts its events with `"id": null`; Gutterball's EventManager skips an event it has no
handler for (no target, unknown type) instead of failing; its ConsumerHandler leaves an existing
consumer state alone on CONSUMER CREATED (ConsumerHandlerTest.
testConsumerStateCreationSkippedIfRecordAlreadyExists).
"""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.conditions import Key
from compliance_support import change_log, compliance, consumer_created, consumer_deleted
from fleetreport.compliance import keys
from fleetreport.compliance.events import ComplianceCreated, parse_event
from fleetreport_local.apigw import sqs_event


def post(stack: Any, body: Any, owner: str = "t1") -> Any:
    return stack.http("POST", "/events", headers=stack.auth(role="ingest", owner=owner), body=body)


def items(stack: Any, pk: str) -> list[dict[str, Any]]:
    return stack.table("ComplianceTable").query(KeyConditionExpression=Key("pk").eq(pk))["Items"]


def consumer_item(stack: Any, uuid: str, tenant: str = "t1") -> dict[str, Any]:
    item = stack.table("ComplianceTable").get_item(Key=keys.consumer_key(tenant, uuid)).get("Item")
    assert item is not None
    return item


def verbatim(event: dict[str, Any]) -> dict[str, Any]:
    """As Candlepin's EventSink serializes it: `id` null, the entity a JSON string in `newEntity`."""
    raw = dict(event)
    raw["id"] = None
    raw["newEntity"] = raw.pop("entity")
    return raw


# ---------------------------------------------------------------- "id": null
def test_event_with_null_id_is_stored(stack: Any) -> None:
    answer = post(stack, verbatim(compliance("c1", "2026-03-01T10:00:00.000+0000", "invalid")))
    assert answer.status == 200
    assert answer.json()["stored"] == 1 and answer.json()["snapshots_stored"] == 1
    assert consumer_item(stack, "c1")["status"] == "invalid"


def test_event_with_null_id_redelivered_is_stored_once(stack: Any) -> None:
    event = verbatim(compliance("c1", "2026-03-01T10:00:00Z"))
    assert post(stack, event).json()["stored"] == 1
    again = post(stack, json.loads(json.dumps(event)))
    assert again.json()["duplicates"] == 1 and again.json()["stored"] == 0
    assert len(items(stack, "S#t1#c1")) == 1


def test_events_with_null_id_and_different_content_are_both_stored(stack: Any) -> None:
    first = verbatim(compliance("c1", "2026-03-01T10:00:00Z", "invalid"))
    second = verbatim(compliance("c1", "2026-03-02T10:00:00Z", "valid"))
    assert post(stack, [first, second]).json()["snapshots_stored"] == 2
    assert len(items(stack, "S#t1#c1")) == 2


def test_derived_id_is_stable_and_ignores_key_order() -> None:
    event = verbatim(compliance("c1", "2026-03-01T10:00:00Z"))
    reordered = dict(reversed(list(event.items())))
    first, second = parse_event(event), parse_event(reordered)
    assert isinstance(first, ComplianceCreated)
    assert first.event_id == second.event_id and first.event_id.startswith("sha256:")
    changed = parse_event({**event, "timestamp": "2026-03-01T10:00:01Z"})
    assert changed.event_id != first.event_id


def test_gutterball_sample_consumer_created_event_is_stored(stack: Any) -> None:
    """The shape of gutterball's test resource consumer-created.json (epoch-millis timestamps)."""
    entity = {
        "id": "ff80808148b1f8040148b1f9e2340000",
        "uuid": "4a0734c1-32cd-4471-a5d3-648d238c7fc2",
        "name": "boogady",
        "owner": {"id": "ff80", "key": "admin", "displayName": "Admin Owner", "href": "/owners/admin"},
        "created": 1411735218513,
        "facts": {"cpu.cpu(s)": "1"},
    }
    event = {
        "id": None,
        "type": "CREATED",
        "target": "CONSUMER",
        "targetName": "boogady",
        "timestamp": 1411735218526,
        "oldEntity": None,
        "newEntity": json.dumps(entity),
        "principal": {"type": "user", "name": "admin"},
    }
    assert post(stack, event).json()["stored"] == 1
    assert consumer_item(stack, entity["uuid"])["created"] == "2014-09-26T12:40:18.513Z"


# ---------------------------------------------------------------- no target
def test_event_without_target_is_acknowledged_and_skipped_with_the_rest_stored(stack: Any) -> None:
    no_target = {k: v for k, v in compliance("c2", "2026-03-01T10:00:00Z").items() if k != "target"}
    null_target = {**compliance("c3", "2026-03-01T10:00:00Z"), "target": None}
    no_type = {k: v for k, v in compliance("c4", "2026-03-01T10:00:00Z").items() if k != "type"}
    answer = post(stack, [compliance("c1", "2026-03-01T10:00:00Z"), no_target, null_target, no_type])
    assert answer.status == 200
    assert answer.json() == {"received": 4, "stored": 1, "skipped": 3, "duplicates": 0, "snapshots_stored": 1}
    assert items(stack, "S#t1#c1") and not items(stack, "S#t1#c2") and not items(stack, "S#t1#c3")


def test_sqs_message_without_target_is_not_a_batch_failure(stack: Any) -> None:
    no_target = {k: v for k, v in compliance("c2", "2026-03-01T10:00:00Z").items() if k != "target"}
    bodies = [json.dumps(no_target), json.dumps(verbatim(compliance("c1", "2026-03-01T10:00:00Z")))]
    event = sqs_event(bodies)
    for record in event["Records"]:
        record["messageAttributes"] = {"owner": {"stringValue": "t1", "dataType": "String"}}
    assert stack.invoke("events", event) == {"batchItemFailures": []}
    assert items(stack, "S#t1#c1") and not items(stack, "S#t1#c2")


# ---------------------------------------------------------------- CONSUMER CREATED after the state exists
def test_second_consumer_created_never_moves_created_later(stack: Any) -> None:
    post(stack, consumer_created("c1", "2026-03-01T10:00:00Z"))
    post(stack, consumer_created("c1", "2026-03-05T10:00:00Z"))
    assert consumer_item(stack, "c1")["created"] == "2026-03-01T10:00:00.000Z"


def test_consumer_created_after_a_snapshot_keeps_the_state_the_snapshot_made(stack: Any) -> None:
    post(stack, compliance("c1", "2026-03-01T10:00:00Z", "invalid"))
    post(stack, consumer_created("c1", "2026-03-03T10:00:00Z", owner_key="other"))
    consumer = consumer_item(stack, "c1")
    assert consumer["created"] == "2026-03-01T10:00:00.000Z"
    assert consumer["owner_key"] == "acme" and consumer["status"] == "invalid"


def test_earlier_dated_consumer_created_after_the_state_exists_keeps_it_too(stack: Any) -> None:
    """Gutterball's ConsumerHandler creates the state only when none exists: no date moves it."""
    post(stack, compliance("c1", "2026-03-05T10:00:00Z"))
    post(stack, consumer_created("c1", "2026-03-01T10:00:00Z"))
    assert consumer_item(stack, "c1")["created"] == "2026-03-05T10:00:00.000Z"


def test_ignored_consumer_created_logs_no_change(stack: Any) -> None:
    post(stack, consumer_created("c1", "2026-03-01T10:00:00Z"))
    post(stack, consumer_created("c1", "2026-03-05T10:00:00Z"))
    assert change_log(stack, "t1", "2026-03-05") == []
    assert [item["kind"] for item in change_log(stack, "t1", "2026-03-01")] == ["created"]


def test_late_consumer_created_of_a_deleted_consumer_keeps_its_state(stack: Any) -> None:
    """A late CREATED of a deleted consumer neither revives it nor moves its creation."""
    post(stack, consumer_created("c1", "2026-03-01T10:00:00Z"))
    post(stack, consumer_deleted("c1", "2026-03-04T10:00:00Z"))
    post(stack, consumer_created("c1", "2026-03-02T10:00:00Z"))
    consumer = consumer_item(stack, "c1")
    assert consumer["created"] == "2026-03-01T10:00:00.000Z"
    assert consumer["deleted"] == "2026-03-04T10:00:00.000Z"
