"""Faults (SPEC §8): AWS failing under the handlers, injected with botocore event hooks on fleetreport's
own clients - never by patching our code.

A `before-send` hook answers the chosen calls with the error AWS would send (throttling, 500, 503).
botocore's standard retry mode sees each injected answer as a real one, so what is tested is the real
retry-then-give-up path: the hook counts the attempts and botocore's backoff sleeps are recorded
(not slept). While the hook is on, moto's stubber is taken off that client, so a failed call never
reaches moto: whatever is stored afterwards was stored by a call that succeeded.

Already covered elsewhere, not repeated here: a missing bucket during ingest (test_details), a missing
counters table (test_ratelimit), a poison message in one SQS batch (test_events_ingest), the local
poller dead-lettering a poison message (test_local_stack), a rollup crash then rerun (test_rollup).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.endpoint
import pytest
from boto3.dynamodb.conditions import Key
from botocore.awsrequest import AWSResponse
from compliance_support import compliance
from fleetreport.storage.aws import CLIENT_CONFIG, dynamodb, s3
from fleetreport_local.poller import QueuePoller, queue_sources
from groups_support import blob_items, group_item, gzip_details, ingest, make_app, put_group, report
from moto.core.models import botocore_stubber

# Standard retry mode; `max_attempts` counts the retries, so a call is tried once plus that many times.
ATTEMPTS = 1 + int(CLIENT_CONFIG.retries["max_attempts"])
UNAVAILABLE = {"error": "temporarily unavailable"}
DYNAMODB_ERRORS = {
    "ProvisionedThroughputExceededException": 400,
    "InternalServerError": 500,
}


class _Raw:
    """The raw body stream botocore reads an injected answer from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass
class Fault:
    """Fail `operation` (on `table`, if given) with `code`; `times=None` fails every attempt."""

    service: str
    operation: str
    code: str
    status: int
    table: str | None = None
    times: int | None = None
    attempts: int = 0

    def matches(self, operation: str, request: Any) -> bool:
        if operation != self.operation or (self.times is not None and self.attempts >= self.times):
            return False
        if self.table is None:
            return True
        body = json.loads(request.body or b"{}")
        return self.table in (body.get("TableName"), *body.get("RequestItems", {}))

    def answer(self, request: Any) -> AWSResponse:
        self.attempts += 1
        if self.service == "s3":
            body = f"<Error><Code>{self.code}</Code><Message>injected</Message></Error>".encode()
            headers = {"Content-Type": "application/xml"}
        else:
            body = json.dumps(
                {"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}", "message": "x"}
            ).encode()
            headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": self.code}
        return AWSResponse(request.url, self.status, headers, _Raw(body))  # type: ignore[arg-type]


@dataclass
class Faults:
    """The injected faults on fleetreport's DynamoDB and S3 clients, and botocore's backoff sleeps."""

    faults: list[Fault] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def fail(self, service: str, operation: str, code: str, status: int, **kw: Any) -> Fault:
        fault = Fault(service, operation, code, status, **kw)
        self.faults.append(fault)
        return fault

    def send(self, request: Any, event_name: str, **kw: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        service = "s3" if ".s3." in event_name else "dynamodb"
        for fault in self.faults:
            if fault.service == service and fault.matches(operation, request):
                return fault.answer(request)
        return botocore_stubber(event_name=event_name, request=request, **kw)


class _RecordedTime:
    """botocore.endpoint's view of `time`: backoff sleeps are recorded instead of slept."""

    def __init__(self, sleeps: list[float]) -> None:
        self._sleeps = sleeps

    def sleep(self, seconds: float) -> None:
        self._sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def faults(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    injected = Faults()
    clients = [dynamodb().meta.client, s3()]
    for client in clients:
        client.meta.events.unregister("before-send", botocore_stubber)
        client.meta.events.register("before-send", injected.send)
    monkeypatch.setattr(botocore.endpoint, "time", _RecordedTime(injected.sleeps))
    yield injected
    for client in clients:
        client.meta.events.unregister("before-send", injected.send)
        client.meta.events.register("before-send", botocore_stubber)


def assert_backed_off(faults: Faults, retries: int = ATTEMPTS - 1) -> None:
    """Each retry waited a jittered, growing share of 2^attempt (botocore's standard backoff)."""
    assert len(faults.sleeps) >= retries
    for attempt, delay in enumerate(faults.sleeps[:retries]):
        assert 0 <= delay <= 2**attempt, faults.sleeps


def objects(stack: Any, prefix: str = "reports/") -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=stack.name("BlobBucket"), Prefix=prefix)
    return [obj["Key"] for obj in listed.get("Contents", [])]


def counters_taken(stack: Any) -> int:
    return sum(int(item.get("n", 0)) for item in stack.table("CountersTable").scan()["Items"])


# ---------------------------------------------------------------------- ingest: the group upsert fails
@pytest.mark.parametrize("code", list(DYNAMODB_ERRORS))
def test_failing_group_upsert_is_retried_then_503_and_nothing_is_half_written(
    stack: Any, faults: Faults, code: str
) -> None:
    app_id, key = make_app(stack)
    upsert = faults.fail(
        "dynamodb", "UpdateItem", code, DYNAMODB_ERRORS[code], table=stack.name("GroupsTable")
    )
    answer = ingest(stack, key, report(details=gzip_details()), device="device-1")
    assert (answer.status, answer.json()) == (503, UNAVAILABLE)
    assert upsert.attempts == ATTEMPTS
    assert_backed_off(faults)
    assert stack.table("GroupsTable").scan()["Items"] == []
    assert stack.table("BlobsTable").scan()["Items"] == []
    assert objects(stack) == []
    # The rate-limit windows the request took are handed back: the client's retry is not refused.
    assert counters_taken(stack) == 0
    faults.faults.clear()
    retried = ingest(stack, key, report(details=gzip_details()), device="device-1")
    assert retried.status == 202, retried.text
    item = group_item(stack, app_id, retried.json()["group_hash"])
    assert item and (item["count"], item["details_stored"]) == (1, 1)
    assert len(objects(stack)) == 1


def test_a_throttled_upsert_that_recovers_within_the_retries_counts_once(stack: Any, faults: Faults) -> None:
    app_id, key = make_app(stack)
    upsert = faults.fail(
        "dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", 400,
        table=stack.name("GroupsTable"), times=ATTEMPTS - 1,
    )  # fmt: skip
    answer = ingest(stack, key, report())
    assert answer.status == 202, answer.text
    assert upsert.attempts == ATTEMPTS - 1
    item = group_item(stack, app_id, answer.json()["group_hash"])
    assert item and item["count"] == 1


# ---------------------------------------------------------------------- ingest: S3 and the counters fail
def test_s3_unavailable_during_ingest_counts_the_report_and_rejects_the_details(
    stack: Any, faults: Faults
) -> None:
    app_id, key = make_app(stack)
    put = faults.fail("s3", "PutObject", "ServiceUnavailable", 503)
    answer = ingest(stack, key, report(details=gzip_details()))
    assert answer.status == 202, answer.text
    assert answer.json()["stored_details"] is False
    assert put.attempts == ATTEMPTS
    item = group_item(stack, app_id, answer.json()["group_hash"])
    assert item and (item["count"], item["details_stored"], item["details_rejected"]) == (1, 0, 1)
    assert blob_items(stack, app_id, answer.json()["group_hash"]) == []


def test_blob_metadata_failure_removes_the_stored_object(stack: Any, faults: Faults) -> None:
    app_id, key = make_app(stack)
    faults.fail("dynamodb", "PutItem", "InternalServerError", 500, table=stack.name("BlobsTable"))
    answer = ingest(stack, key, report(details=gzip_details()))
    assert (answer.status, answer.json()["stored_details"]) == (202, False)
    item = group_item(stack, app_id, answer.json()["group_hash"])
    assert item and (item["count"], item["details_stored"], item["details_rejected"]) == (1, 0, 1)
    assert objects(stack) == []


def test_throttled_counter_store_fails_open_and_is_measured(
    stack: Any, faults: Faults, capsys: Any, caplog: Any
) -> None:
    app_id, key = make_app(stack)
    counters = faults.fail(
        "dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", 400,
        table=stack.name("CountersTable"),
    )  # fmt: skip
    answers = [ingest(stack, key, report(), device="same-device") for _ in range(2)]
    assert [a.status for a in answers] == [202, 202]  # the per-device limit (1/hour) is not enforced
    # each report: the rate limiter's window, then the group's device mark (groups/devices.py), each
    # tried ATTEMPTS times; both fail open
    assert counters.attempts == 2 * 2 * ATTEMPTS
    out = capsys.readouterr().out
    assert '"RateLimiterErrors"' in out and '"GroupDeviceMarksFailed"' in out
    assert caplog.messages.count("rate limiter unavailable, allowing") == 2
    assert caplog.messages.count("group device mark failed") == 2
    item = group_item(stack, app_id, answers[0].json()["group_hash"])
    assert item and item["count"] == 2


# ---------------------------------------------------------------------- the other functions
def _seed(stack: Any) -> dict[str, str]:
    app_id, _ = make_app(stack, tenant="t1")
    group_hash = put_group(stack, "t1", app_id)
    stack.http("POST", "/events", headers=stack.auth(role="ingest", owner="t1"), body=compliance("c1", NOW))
    # The seed's stream records are delivered now, before a fault is injected: a stream consumer's
    # own writes (the status counts' transaction) must not count as the faulted route's attempts.
    stack.drain()
    return {"app_id": app_id, "group_hash": group_hash}


NOW = "2026-05-20T10:00:00.000+0000"
# route -> (method, path template, body, the DynamoDB operation that fails on it)
ROUTES: dict[str, tuple[str, str, Any, str]] = {
    "list groups": ("GET", "/reports/groups", None, "Query"),
    "get a group": ("GET", "/reports/groups/{group_hash}", None, "BatchGetItem"),
    "list blobs": ("GET", "/reports/groups/{group_hash}/blobs", None, "Query"),
    "triage a group": ("PATCH", "/reports/groups/{group_hash}", {"note": "n"}, "UpdateItem"),
    "delete a group": ("DELETE", "/reports/groups/{group_hash}", None, "DeleteItem"),
    "list apps": ("GET", "/apps", None, "Query"),
    "create an app": ("POST", "/apps", {"name": "new", "reports": True}, "TransactWriteItems"),
    "list report keys": ("GET", "/report-keys/list", None, "Query"),
    "run consumer_status": ("GET", "/reports/consumer_status/run", None, "Query"),
    "post an event": ("POST", "/events", compliance("c2", NOW), "UpdateItem"),
}


# Throttling on every route; a 500 on one route per resolver flavour (faynoSync-style, Gutterball-style).
ROUTE_FAULTS = [(route, "ProvisionedThroughputExceededException") for route in ROUTES] + [
    ("list groups", "InternalServerError"),
    ("run consumer_status", "InternalServerError"),
]


@pytest.mark.parametrize(("route", "code"), ROUTE_FAULTS)
def test_storage_failing_under_a_route_is_retried_then_503(
    stack: Any, faults: Faults, route: str, code: str
) -> None:
    seeded = _seed(stack)
    method, path, body, operation = ROUTES[route]
    fault = faults.fail("dynamodb", operation, code, DYNAMODB_ERRORS[code])
    answer = stack.http(
        method, path.format(**seeded), headers=stack.auth(role="admin", owner="t1"), body=body
    )
    assert answer.status == 503, answer.text
    assert answer.json() == UNAVAILABLE
    assert fault.attempts == ATTEMPTS
    assert_backed_off(faults)


def test_a_failed_event_post_can_be_retried_and_is_stored_once(stack: Any, faults: Faults) -> None:
    event = compliance("c1", NOW)
    headers = stack.auth(role="ingest", owner="t1")
    faults.fail("dynamodb", "PutItem", "InternalServerError", 500, table=stack.name("ComplianceTable"))
    assert stack.http("POST", "/events", headers=headers, body=event).status == 503
    faults.faults.clear()
    answer = stack.http("POST", "/events", headers=headers, body=event)
    assert (answer.status, answer.json()["stored"], answer.json()["duplicates"]) == (200, 1, 0), answer.text
    again = stack.http("POST", "/events", headers=headers, body=event)
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 1)
    snapshots = stack.table("ComplianceTable").query(KeyConditionExpression=Key("pk").eq("S#t1#c1"))
    assert len(snapshots["Items"]) == 1


# ---------------------------------------------------------------------- the queue
def _poller(stack: Any) -> tuple[QueuePoller, Any, str, str, list[str]]:
    """The local stack's SQS event source mapping on the compliance queue, and the bodies it delivered."""
    (source,) = [s for s in queue_sources(stack.template) if s.queue == "ComplianceEventsQueue"]
    sqs = boto3.client("sqs")
    queue_url = stack.template.created["ComplianceEventsQueue"]
    dlq_url = stack.template.created["ComplianceEventsDLQ"]
    delivered: list[str] = []

    def invoke(function: str, event: dict[str, Any]) -> Any:
        delivered.extend(record["body"] for record in event["Records"])
        return stack.invoke(function, event)

    return QueuePoller(source, queue_url, sqs, invoke, retry_delay=0), sqs, queue_url, dlq_url, delivered


def _send(sqs: Any, queue_url: str, body: str, owner: str = "t1") -> None:
    attributes = {"owner": {"DataType": "String", "StringValue": owner}}
    sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=attributes)


def max_receive_count(stack: Any) -> int:
    queue = stack.template.raw["Resources"]["ComplianceEventsQueue"]["Properties"]
    return int(queue["RedrivePolicy"]["maxReceiveCount"])


def test_poison_message_is_retried_max_receive_count_times_then_dead_lettered(stack: Any) -> None:
    poller, sqs, queue_url, dlq_url, delivered = _poller(stack)
    poison = json.dumps({"id": "e-1", "type": "CREATED", "target": "COMPLIANCE"})
    _send(sqs, queue_url, json.dumps(compliance("c1", NOW)))
    _send(sqs, queue_url, poison)
    for _ in range(3 * max_receive_count(stack)):
        poller.poll_once()
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == [poison]
    assert delivered.count(poison) == max_receive_count(stack)  # retried, then dead-lettered
    snapshots = stack.table("ComplianceTable").query(KeyConditionExpression=Key("pk").eq("S#t1#c1"))
    assert len(snapshots["Items"]) == 1
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []


def test_a_message_that_meets_throttled_storage_is_retried_not_lost(stack: Any, faults: Faults) -> None:
    poller, sqs, queue_url, dlq_url, _ = _poller(stack)
    _send(sqs, queue_url, json.dumps(compliance("c1", NOW)))
    faults.fail("dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", 400, times=ATTEMPTS)
    poller.poll_once()  # one delivery: every attempt throttled -> a batch item failure, back on the queue
    snapshots = stack.table("ComplianceTable").query(KeyConditionExpression=Key("pk").eq("S#t1#c1"))
    assert snapshots["Items"] == []
    poller.poll_once()
    snapshots = stack.table("ComplianceTable").query(KeyConditionExpression=Key("pk").eq("S#t1#c1"))
    assert len(snapshots["Items"]) == 1
    assert sqs.receive_message(QueueUrl=dlq_url).get("Messages", []) == []
