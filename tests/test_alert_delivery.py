"""Webhook delivery (SPEC §10) with a real HTTP receiver on 127.0.0.1: body, signature, throttle,
redelivery, a receiver that is down (retried, then dead-lettered, nothing lost).

Signals come from the real consumer (tests/alerts_support.py) onto the moto bus of template.yaml; the
bus's rule puts them on the delivery queue; the local SQS event source mapping feeds the real
delivery function."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from alerts_support import Receiver, SignalFeed, stream_record
from fleetreport_local.poller import QueuePoller, queue_sources
from groups_support import make_app

NOW = datetime(2026, 11, 30, 15, 20, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def world(stack: Any, settings_env: Any, receiver: Receiver) -> dict[str, Any]:
    settings_env(ALERTS_ALLOW_HTTP_LOOPBACK="true")
    app_id, _ = make_app(stack, tenant="t1")
    headers = stack.auth(role="admin", owner="t1")
    rules = {"webhook_url": receiver.url, "min_interval_minutes": 60}
    answer = stack.http("PUT", f"/apps/{app_id}/alerts", headers=headers, body=rules)
    assert answer.status == 200, answer.text
    return {
        "app_id": app_id,
        "secret": answer.json()["webhook_secret"],
        "feed": SignalFeed(stack, "t1", app_id),
    }


def deliver_all(stack: Any, rounds: int = 12) -> list[str]:
    """Run the delivery queue's event source mapping until it is empty; the bodies it handed over."""
    (source,) = [s for s in queue_sources(stack.template) if s.queue == "AlertDeliveryQueue"]
    handed: list[str] = []

    def invoke(function: str, event: dict[str, Any]) -> Any:
        handed.extend(record["body"] for record in event["Records"])
        return stack.invoke(function, event)

    poller = QueuePoller(source, stack.template.created["AlertDeliveryQueue"], boto3.client("sqs"), invoke, 0)
    for _ in range(rounds):
        poller.poll_once()
    return handed


def dead_letters(stack: Any) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=stack.template.created["AlertDeliveryDLQ"], MaxNumberOfMessages=10
    )
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def resolve(feed: SignalFeed) -> None:
    old = feed.item()
    feed.stack.table("GroupsTable").update_item(
        Key={"app_id": feed.app_id, "group_hash": feed.dims.group_hash},
        UpdateExpression="SET #s = :r",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":r": "resolved"},
    )
    feed.feed(stream_record(old, feed.item(), len(feed.records) + 1))


def test_a_signal_reaches_the_webhook_signed_and_slack_compatible(
    stack: Any, world: dict[str, Any], receiver: Receiver
) -> None:
    world["feed"].report(NOW)
    deliver_all(stack)
    ((headers, raw),) = receiver.requests
    expected = "sha256=" + hmac.new(world["secret"].encode(), raw, hashlib.sha256).hexdigest()
    assert headers["x-fleetreport-signature"] == expected
    assert headers["content-type"] == "application/json"
    body = json.loads(raw)
    assert body["text"].startswith("[fleetreport] New report group: test 1.4.2 (stable) windows/amd64 crash")
    event = body["event"]
    assert (event["source"], event["detail-type"]) == ("fleetreport", "group.new")
    assert event["detail"]["app"] == {"id": world["app_id"], "name": "test"}
    assert event["detail"]["group"]["hash"] == world["feed"].dims.group_hash


def test_at_most_one_alert_per_group_and_signal_per_interval(
    stack: Any, world: dict[str, Any], receiver: Receiver
) -> None:
    feed = world["feed"]
    feed.report(NOW)
    for minutes in (5, 10):  # two regressions within the hour: the second is throttled
        resolve(feed)
        feed.report(NOW + timedelta(minutes=minutes))
    deliver_all(stack)
    assert [b["event"]["detail-type"] for b in receiver.bodies()] == ["group.new", "group.regressed"]
    alerts = stack.http("GET", "/alerts", headers=stack.auth(role="admin", owner="t1")).json()["items"]
    assert [a["signal"] for a in alerts] == ["group.regressed", "group.regressed", "group.new"]  # all logged


def test_rules_choose_signals_and_types(stack: Any, world: dict[str, Any], receiver: Receiver) -> None:
    headers = stack.auth(role="admin", owner="t1")
    body = {"webhook_url": receiver.url, "signals": ["group.regressed"]}
    assert stack.http("PUT", f"/apps/{world['app_id']}/alerts", headers=headers, body=body).status == 200
    feed = world["feed"]
    feed.report(NOW)
    resolve(feed)
    feed.report(NOW + timedelta(minutes=1))
    deliver_all(stack)
    assert [b["event"]["detail-type"] for b in receiver.bodies()] == ["group.regressed"]
    body = {"webhook_url": receiver.url, "types": ["update_failure"]}  # the group is a crash
    assert stack.http("PUT", f"/apps/{world['app_id']}/alerts", headers=headers, body=body).status == 200
    resolve(feed)
    feed.report(NOW + timedelta(hours=2))
    deliver_all(stack)
    assert len(receiver.requests) == 1


def test_a_redelivered_event_is_sent_once(stack: Any, world: dict[str, Any], receiver: Receiver) -> None:
    world["feed"].report(NOW)
    sqs = boto3.client("sqs")
    url = stack.template.created["AlertDeliveryQueue"]
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody=message["Body"])  # EventBridge delivers at least once
    handed = deliver_all(stack)
    assert len(handed) == 2 and len(receiver.requests) == 1


def test_a_receiver_that_is_down_gets_retries_then_the_alert_is_dead_lettered_not_lost(
    stack: Any, world: dict[str, Any], receiver: Receiver
) -> None:
    receiver.status = 503
    world["feed"].report(NOW)
    handed = deliver_all(stack)
    receive_count = int(
        stack.template.raw["Resources"]["AlertDeliveryQueue"]["Properties"]["RedrivePolicy"][
            "maxReceiveCount"
        ]
    )
    assert len(handed) == receive_count and len(receiver.requests) == receive_count  # every attempt tried
    (dead,) = dead_letters(stack)
    assert dead["detail"]["signal"] == "group.new"  # the whole event, ready for a redrive
    receiver.status = 200
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=stack.template.created["AlertDeliveryQueue"], MessageBody=json.dumps(dead))
    deliver_all(stack)
    assert [h.get("x-fleetreport-event") for h, _ in receiver.requests][-1] == "group.new"
    assert len(receiver.requests) == receive_count + 1


def test_a_receiver_back_after_one_failure_gets_the_alert_once(
    stack: Any, world: dict[str, Any], receiver: Receiver
) -> None:
    receiver.status = 500
    world["feed"].report(NOW)
    deliver_all(stack, rounds=1)
    receiver.status = 204
    deliver_all(stack)
    assert [r[0]["x-fleetreport-event"] for r in receiver.requests] == ["group.new", "group.new"]
    assert dead_letters(stack) == []
    deliver_all(stack)
    assert len(receiver.requests) == 2


def emitted(output: str, name: str) -> list[float]:
    """The values of metric `name` in the EMF lines Powertools flushed to stdout."""
    values: list[float] = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if name in document:  # one value, or a list of them
                values += document[name] if isinstance(document[name], list) else [document[name]]
    return values


def test_each_failed_attempt_counts_in_the_alarmed_failure_metric(
    stack: Any, world: dict[str, Any], receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.status = 500
    world["feed"].report(NOW)
    capsys.readouterr()
    deliver_all(stack, rounds=1)
    failed = capsys.readouterr().out
    assert emitted(failed, "WebhookDeliveryFailures") == [1]
    assert emitted(failed, "WebhooksDelivered") == []
    receiver.status = 204
    deliver_all(stack)
    delivered = capsys.readouterr().out
    assert emitted(delivered, "WebhookDeliveryFailures") == []
    assert emitted(delivered, "WebhooksDelivered") == [1]


def test_an_unreachable_receiver_is_a_failed_attempt(
    stack: Any, world: dict[str, Any], receiver: Receiver
) -> None:
    receiver.close()
    world["feed"].report(NOW)
    deliver_all(stack)
    (dead,) = dead_letters(stack)
    assert dead["detail-type"] == "group.new"


def test_signals_without_rules_are_only_logged(stack: Any, receiver: Receiver) -> None:
    app_id, _ = make_app(stack, tenant="t2", name="quiet")
    SignalFeed(stack, "t2", app_id).report(NOW)
    handed = deliver_all(stack)
    assert len(handed) == 1 and receiver.requests == [] and dead_letters(stack) == []
    alerts = stack.http("GET", "/alerts", headers=stack.auth(role="admin", owner="t2")).json()["items"]
    assert [a["signal"] for a in alerts] == ["group.new"]
