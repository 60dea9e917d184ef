"""POST /events and the compliance-events queue (SPEC §4.1)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from compliance_support import change_log, compliance, consumer_created, consumer_deleted, entitlement
from fleetreport.compliance import keys
from fleetreport.compliance.snapshot import decompress_doc
from fleetreport_local.apigw import sqs_event


def post(stack: Any, body: Any, owner: str = "t1", role: str = "ingest") -> Any:
    return stack.http("POST", "/events", headers=stack.auth(role=role, owner=owner), body=body)


def items(stack: Any, pk: str) -> list[dict[str, Any]]:
    table = stack.table("ComplianceTable")
    return table.query(KeyConditionExpression=Key("pk").eq(pk))["Items"]


def consumer_item(stack: Any, uuid: str, tenant: str = "t1") -> dict[str, Any] | None:
    return stack.table("ComplianceTable").get_item(Key=keys.consumer_key(tenant, uuid)).get("Item")


def with_owner(event: dict[str, Any], owner: str | None) -> dict[str, Any]:
    for record in event["Records"]:
        if owner is not None:
            record["messageAttributes"] = {"owner": {"stringValue": owner, "dataType": "String"}}
    return event


def test_compliance_event_stores_snapshot_consumer_change_log_and_tenant(stack: Any) -> None:
    event = compliance("c1", "2026-03-01T10:00:00.000+0000", "invalid", reasons=[{"key": "NOTCOVERED"}])
    answer = post(stack, event)
    assert answer.status == 200
    assert answer.json() == {"received": 1, "stored": 1, "skipped": 0, "duplicates": 0, "snapshots_stored": 1}
    consumer = consumer_item(stack, "c1")
    assert consumer is not None
    assert consumer["status"] == "invalid"
    assert consumer["status_date"] == "2026-03-01T10:00:00.000Z"
    assert consumer["owner_scope"] == "t1#acme"
    assert consumer["created"] == "2026-03-01T10:00:00.000Z"  # state created from the snapshot
    [snapshot] = items(stack, "S#t1#c1")
    assert snapshot["sk"] == f"2026-03-01T10:00:00.000Z#{event['id']}"
    assert decompress_doc(snapshot["doc"].value)["status"]["status"] == "invalid"
    [change] = change_log(stack, "t1", "2026-03-01")
    assert change["sk"] == "2026-03-01T10:00:00.000Z#c1#snapshot" and change["kind"] == "snapshot"
    assert [item["sk"] for item in items(stack, "TENANTS")] == ["t1"]


def test_entity_may_be_an_object_or_a_json_string(stack: Any) -> None:
    as_string = compliance("c1", "2026-03-01T10:00:00Z")
    as_object = compliance("c2", "2026-03-01T10:00:00Z")
    as_object["newEntity"] = json.loads(as_object.pop("entity"))
    assert post(stack, [as_string, as_object]).json()["stored"] == 2
    assert consumer_item(stack, "c1") and consumer_item(stack, "c2")


def test_a_malformed_event_rejects_the_whole_request_and_names_the_field(stack: Any) -> None:
    bad = compliance("c2", "2026-03-01T10:00:00Z")
    entity = json.loads(bad["entity"])
    del entity["status"]["date"]
    bad["entity"] = entity
    answer = post(stack, [compliance("c1", "2026-03-01T10:00:00Z"), bad])
    assert answer.status == 400
    assert answer.json() == {"error": "events[1].entity.status.date: missing"}
    assert consumer_item(stack, "c1") is None  # validated first: nothing of the request was stored


def test_each_missing_or_malformed_field_has_its_own_message(stack: Any) -> None:
    good = compliance("c1", "2026-03-01T10:00:00Z")
    cases = [
        ({**good, "id": {"not": "an id"}}, "id: must be a string"),
        ({**good, "target": 7}, "target: must be a string"),
        ({**good, "entity": "{not json"}, "entity: invalid JSON"),
        ({k: v for k, v in good.items() if k != "entity"}, "entity: missing"),
        ({**good, "entity": {"status": {"status": "valid", "date": "x"}}}, "entity.consumer: missing"),
        (
            {**good, "entity": {"consumer": {"uuid": "c1"}, "status": {"status": "valid", "date": "x"}}},
            "entity.status.date: invalid date",
        ),
        (consumer_deleted("c1", "") | {"timestamp": None}, "timestamp: missing"),
        (json.dumps("just a string"), "event: must be a JSON object"),
    ]
    for body, message in cases:
        answer = post(stack, body)
        assert (answer.status, answer.json()) == (400, {"error": message}), message


def test_body_that_is_not_json_is_rejected(stack: Any) -> None:
    answer = stack.http("POST", "/events", headers=stack.auth(role="ingest", owner="t1"), body="{nope")
    assert (answer.status, answer.json()) == (400, {"error": "invalid request body"})


def test_only_ingest_or_admin_principals_may_post_events(stack: Any) -> None:
    event = compliance("c1", "2026-03-01T10:00:00Z")
    assert post(stack, event, role="admin").status == 200
    denied = post(stack, event, role="team")
    assert (denied.status, denied.json()) == (403, {"error": "Permission denied"})
    assert stack.http("POST", "/events", body=event).status == 401


def test_redelivered_event_is_stored_once(stack: Any) -> None:
    event = compliance("c1", "2026-03-01T10:00:00Z")
    assert post(stack, event).json()["stored"] == 1
    again = post(stack, [event, event]).json()
    assert again == {"received": 2, "stored": 0, "skipped": 0, "duplicates": 2, "snapshots_stored": 0}
    assert len(items(stack, "S#t1#c1")) == 1


def test_event_ids_are_scoped_by_tenant(stack: Any) -> None:
    event = compliance("c1", "2026-03-01T10:00:00Z")
    assert post(stack, event, owner="t1").json()["stored"] == 1
    assert post(stack, event, owner="t2").json()["stored"] == 1
    assert consumer_item(stack, "c1", "t2") is not None


def test_an_older_snapshot_never_moves_the_latest_status_back(stack: Any) -> None:
    post(stack, compliance("c1", "2026-03-02T10:00:00Z", "valid"))
    post(stack, compliance("c1", "2026-03-01T10:00:00Z", "invalid"))
    consumer = consumer_item(stack, "c1")
    assert consumer is not None and (consumer["status"], consumer["status_date"]) == (
        "valid",
        "2026-03-02T10:00:00.000Z",
    )
    assert len(items(stack, "S#t1#c1")) == 2


def test_consumer_created_and_deleted_set_the_consumer_state(stack: Any) -> None:
    post(stack, consumer_created("c1", "2026-01-01T08:00:00.000+0000", owner_key="acme"))
    post(stack, compliance("c1", "2026-01-02T08:00:00Z"))
    post(stack, consumer_deleted("c1", "2026-02-01T08:00:00.000+0000"))
    consumer = consumer_item(stack, "c1")
    assert consumer is not None
    assert consumer["created"] == "2026-01-01T08:00:00.000Z"
    assert consumer["deleted"] == "2026-02-01T08:00:00.000Z"
    assert consumer["owner_key"] == "acme" and consumer["owner_display"] == "ACME"
    kinds = [item["kind"] for day in ("2026-01-01", "2026-02-01") for item in change_log(stack, "t1", day)]
    assert kinds == ["created", "deleted"]


def test_management_enabled_and_entitlement_sets_are_stored(stack: Any) -> None:
    candlepin_shape = {
        "pool": {
            "productId": "RH-MGMT",
            "productName": "Smart Management",
            "productAttributes": [{"name": "management_enabled", "value": "true"}],
            "providedProducts": [{"productId": "69", "productName": "Red Hat Enterprise Linux"}],
        }
    }
    ents = [entitlement("awesomeos", "Awesome OS", {"37060": "Awesome OS Bits"}), candlepin_shape]
    post(stack, compliance("c1", "2026-03-01T10:00:00Z", entitlements=ents))
    [snapshot] = items(stack, "S#t1#c1")
    assert snapshot["management_enabled"] is True
    assert snapshot["skus"] == {"awesomeos", "RH-MGMT"}
    assert snapshot["subscription_names"] == {"Awesome OS", "Smart Management"}
    # installed and listed by the status (the helper's default); the pool's provided product is not installed
    assert snapshot["product_names"] == {"Awesome OS Bits"}
    post(stack, compliance("c2", "2026-03-01T10:00:00Z", entitlements=[entitlement("x", "X")]))
    assert consumer_item(stack, "c2")["management_enabled"] is False  # type: ignore[index]


def test_other_targets_are_acknowledged_and_skipped(stack: Any) -> None:
    other = {"id": "e9", "type": "MODIFIED", "target": "POOL", "timestamp": "2026-03-01T10:00:00Z"}
    answer = post(stack, other)
    assert answer.status == 200 and answer.json()["skipped"] == 1
    assert items(stack, "TENANTS") == []


def test_sqs_batch_stores_good_messages_and_reports_the_poison_one(stack: Any) -> None:
    bodies = [
        json.dumps(compliance("c1", "2026-03-01T10:00:00Z")),
        "{this is not json",
        json.dumps(
            [compliance("c2", "2026-03-01T11:00:00Z"), consumer_created("c3", "2026-03-01T00:00:00Z")]
        ),
    ]
    event = with_owner(sqs_event(bodies), "t7")
    answer = stack.invoke("events", event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert all(consumer_item(stack, uuid, "t7") for uuid in ("c1", "c2", "c3"))


def test_sqs_tenant_falls_back_to_the_default_setting(stack: Any, settings_env: Any) -> None:
    event = sqs_event([json.dumps(compliance("c1", "2026-03-01T10:00:00Z"))])
    assert stack.invoke("events", event)["batchItemFailures"] == [
        {"itemIdentifier": event["Records"][0]["messageId"]}
    ]  # no tenant at all: never storable
    settings_env(EVENTS_DEFAULT_TENANT="fleet")
    assert stack.invoke("events", event) == {"batchItemFailures": []}
    assert consumer_item(stack, "c1", "fleet") is not None


def test_sqs_redelivery_is_stored_once(stack: Any) -> None:
    body = json.dumps(compliance("c1", "2026-03-01T10:00:00Z"))
    for _ in range(2):
        assert stack.invoke("events", with_owner(sqs_event([body]), "t1")) == {"batchItemFailures": []}
    assert len(items(stack, "S#t1#c1")) == 1


def test_an_event_being_stored_by_another_delivery_counts_as_a_duplicate(stack: Any) -> None:
    import hashlib
    import time

    event = compliance("c1", "2026-03-01T10:00:00Z")
    key = hashlib.md5(json.dumps(["t1", event["id"]], sort_keys=True).encode()).hexdigest()  # noqa: S324
    now = int(time.time())
    stack.table("IdempotencyTable").put_item(
        Item={
            "id": f"compliance-event#{key}",
            "status": "INPROGRESS",
            "expiration": now + 3600,
            "in_progress_expiration": (now + 60) * 1000,
        }
    )
    answer = post(stack, event)
    assert (answer.status, answer.json()["duplicates"]) == (200, 1)
    assert items(stack, "S#t1#c1") == []


def deep(levels: int) -> Any:
    """A JSON value of `levels` levels as DynamoDB counts them (objects around a string)."""
    value: Any = "x"
    for _ in range(levels - 1):
        value = {"k": value}
    return value


def with_facts(event: dict[str, Any], facts: Any) -> dict[str, Any]:
    entity = json.loads(event["entity"])
    entity.get("consumer", entity)["facts"] = facts
    return {**event, "entity": json.dumps(entity)}


def test_facts_nested_beyond_dynamodbs_32_levels_are_refused_before_any_write(stack: Any) -> None:
    too_deep = "nested too deeply to store (at most 32 levels)"
    cases = [
        (compliance("c1", "2026-03-01T10:00:00Z"), f"events[1].entity.consumer.facts: {too_deep}"),
        (consumer_created("c1", "2026-03-01T10:00:00Z"), f"events[1].entity.facts: {too_deep}"),
    ]
    for event, message in cases:
        answer = post(stack, [compliance("c0", "2026-03-01T10:00:00Z"), with_facts(event, {"a": deep(40)})])
        assert (answer.status, answer.json()) == (400, {"error": message})
    assert consumer_item(stack, "c0") is None and consumer_item(stack, "c1") is None
    # the boundary is DynamoDB's: facts 32 levels deep (31 objects around a value) are stored
    assert post(stack, with_facts(compliance("c1", "2026-03-01T10:00:00Z"), deep(32))).status == 200
    assert post(stack, with_facts(compliance("c2", "2026-03-01T10:00:00Z"), deep(33))).status == 400


def test_a_deep_message_on_the_queue_is_a_batch_item_failure_never_a_write(stack: Any) -> None:
    bodies = [
        json.dumps(with_facts(compliance("c1", "2026-03-01T10:00:00Z"), {"a": deep(40)})),
        json.dumps(compliance("c2", "2026-03-01T10:00:00Z")),
    ]
    event = with_owner(sqs_event(bodies), "t7")
    answer = stack.invoke("events", event)  # refused while parsing: retried, then dead-lettered
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert consumer_item(stack, "c1", "t7") is None and consumer_item(stack, "c2", "t7")


def test_numbers_dynamodb_cannot_hold_are_kept_as_their_text(stack: Any) -> None:
    facts = {"huge": 1e300, "tiny": 1e-200, "wide": 10**40, "plain": 2.5}
    assert post(stack, with_facts(compliance("c1", "2026-03-01T10:00:00Z"), facts)).status == 200
    stored = (consumer_item(stack, "c1") or {})["facts"]
    assert stored == {"huge": "1e+300", "tiny": "1e-200", "wide": str(10**40), "plain": Decimal("2.5")}


def test_an_owner_key_longer_than_a_key_may_be_is_refused(stack: Any) -> None:
    answer = post(stack, compliance("c1", "2026-03-01T10:00:00Z", owner_key="k" * 256))
    assert (answer.status, answer.json()) == (400, {"error": "entity.consumer.owner.key: too long"})
    assert post(stack, compliance("c1", "2026-03-01T10:00:00Z", owner_key="k" * 255)).status == 200
