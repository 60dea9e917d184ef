"""Rollup fan-out (SPEC §9): a run over every tenant enqueues one unit per tenant; the workers roll
them with partial batch failure, so one tenant's failure delays no other, and its unit is retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError
from compliance_support import compliance, consumer_created, load
from fleetreport.rollup.days import last_closed_day
from fleetreport.settings import get_settings
from fleetreport.storage.aws import dynamodb
from fleetreport_local.poller import sqs_records

TENANTS = ("t1", "t2", "t3")
SCHEDULED = {"detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": "{}"}


def seed_day() -> str:
    return (datetime.now(UTC) - timedelta(days=2)).date().isoformat()


def seed(stack: Any) -> None:
    day = datetime.now(UTC) - timedelta(days=2)
    for index, tenant in enumerate(TENANTS):
        uuid = f"c-{tenant}"
        created = day.strftime("%Y-%m-%dT08:00:00.000Z")
        load(
            stack,
            tenant,
            [consumer_created(uuid, created), compliance(uuid, created, ("valid", "invalid")[index % 2])],
        )


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        messages += batch
    return messages


def run_state(stack: Any, tenant: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        stack.table("RollupsTable").get_item(Key={"pk": "RUN", "sk": tenant}).get("Item")
    )
    return item


@contextmanager
def failing_tenant(tenant: str) -> Iterator[None]:
    """fleetreport's DynamoDB client fails every call about `tenant`'s consumers (a broken partition)."""

    def fail(params: dict[str, Any], model: Any, **_: Any) -> None:
        if f"T#{tenant}" in json.dumps(params, default=str):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, model.name)

    events = dynamodb().meta.client.meta.events
    events.register("before-parameter-build.dynamodb", fail)
    try:
        yield
    finally:
        events.unregister("before-parameter-build.dynamodb", fail)


def test_a_scheduled_run_enqueues_one_unit_per_tenant(stack: Any) -> None:
    seed(stack)
    answer = stack.invoke("RollupFunction", SCHEDULED)
    assert answer["dispatched"] == 3 and answer["closed_day"] == last_closed_day(datetime.now(UTC))
    units = [json.loads(m["Body"]) for m in receive_all(get_settings().rollup_queue_url)]
    assert sorted(units, key=str) == [{"tenants": [tenant]} for tenant in TENANTS]
    assert all(run_state(stack, tenant) is None for tenant in TENANTS)  # the dispatcher rolls nothing


def test_a_backfill_over_every_tenant_carries_its_range_into_each_unit(stack: Any) -> None:
    seed(stack)
    stack.invoke("RollupFunction", {"from": "2026-01-01", "to": "2026-01-02"})
    units = [json.loads(m["Body"]) for m in receive_all(get_settings().rollup_queue_url)]
    assert {unit["tenants"][0]: (unit["from"], unit["to"]) for unit in units} == {
        tenant: ("2026-01-01", "2026-01-02") for tenant in TENANTS
    }


def test_a_payload_no_worker_could_read_is_refused_before_anything_is_enqueued(stack: Any) -> None:
    assert stack.invoke("RollupFunction", {"date": "yesterday"}) == {"error": "date must be a day YYYY-MM-DD"}
    assert receive_all(get_settings().rollup_queue_url) == []


def test_one_tenant_failing_delays_no_other_and_its_unit_completes_on_retry(stack: Any) -> None:
    seed(stack)
    stack.invoke("RollupFunction", SCHEDULED)
    messages = receive_all(get_settings().rollup_queue_url)
    event = sqs_records(messages, "arn:aws:sqs:us-east-1:123456789012:rollup-units")
    by_tenant = {json.loads(m["Body"])["tenants"][0]: m["MessageId"] for m in messages}
    with failing_tenant("t2"):
        answer = stack.invoke("RollupFunction", event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": by_tenant["t2"]}]}
    closed = last_closed_day(datetime.now(UTC))
    assert run_state(stack, "t1")["last_day"] == run_state(stack, "t3")["last_day"] == closed  # type: ignore[index]
    assert (run_state(stack, "t2") or {}).get("last_day") is None
    retry = sqs_records(
        [m for m in messages if m["MessageId"] == by_tenant["t2"]], "arn:aws:sqs:::rollup-units"
    )
    assert stack.invoke("RollupFunction", retry) == {"batchItemFailures": []}
    assert run_state(stack, "t2")["last_day"] == closed  # type: ignore[index]


def test_a_unit_that_runs_out_of_time_is_reported_unfinished_and_retried(stack: Any) -> None:
    seed(stack)
    unit = {
        "messageId": "m-1",
        "receiptHandle": "r",
        "body": json.dumps({"tenants": ["t1"]}),
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rollup-units",
        "awsRegion": "us-east-1",
    }

    class NoTimeLeft:
        function_name = "rollup"
        memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:rollup"
        aws_request_id = "req-1"

        calls = 0

        def get_remaining_time_in_millis(self) -> int:
            """Plenty when the unit starts; nothing left once it has (a unit longer than 15 minutes)."""
            self.calls += 1
            return 900_000 if self.calls == 1 else 0

    from fleetreport_local.invoker import Invoker

    module = Invoker(stack.template).module("RollupFunction")
    answer = module.lambda_handler({"Records": [unit]}, NoTimeLeft())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    # nothing rolled (only the first day it found is kept): the redelivered unit starts from that day
    assert run_state(stack, "t1") == {"pk": "RUN", "sk": "t1", "first_day": seed_day()}
