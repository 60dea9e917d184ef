"""The alerts stream consumer: one GroupsTable stream record in, its signals out.

For each signal: write it to the alert log (conditional: the dedupe point), then put it on the
EventBridge bus, then mark it published. A redelivered record (Lambda retries, bisected batches)
finds the log item and publishes only if the first attempt stopped before that. The only write to
GroupsTable is the reopening of a group whose conditional mute ended — by this consumer, never by
ingest, whose one write stays as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from fleetreport.alerts.log import mark_published, record_signal
from fleetreport.alerts.models import EVENT_SOURCE, GROUP_UNMUTED, Signal
from fleetreport.alerts.signals import Change, HourHistory, basic_signals, mute_ended, spike_signal
from fleetreport.settings import Settings
from fleetreport.storage.aws import table

_deserializer = TypeDeserializer()
Publish = Callable[[Signal, dict[str, Any]], None]


def change_of(record: dict[str, Any]) -> Change:
    """The old and new images of a Lambda DynamoDB stream record, as plain items."""
    body = record.get("dynamodb", {})

    def image(name: str) -> dict[str, Any] | None:
        raw = body.get(name)
        return {key: _deserializer.deserialize(value) for key, value in raw.items()} if raw else None

    return Change(image("OldImage"), image("NewImage"))


def signals_of(change: Change, settings: Settings, history: HourHistory) -> list[Signal]:
    signals = basic_signals(change)
    spike = spike_signal(change, settings.alert_spike_min, history)
    if spike is not None:
        signals.append(spike)
    if mute_ended(change) and reopen_muted(settings.groups_table, change.new or {}):
        new = change.new or {}
        signals.append(
            Signal(GROUP_UNMUTED, {**new, "status": "open"}, str(new["muted_at"]), str(new["last_seen"]))
        )
    return signals


def reopen_muted(table_name: str, item: dict[str, Any]) -> bool:
    """Reopen the group if it is still under the mute this record saw (a PATCH since wins). True
    also when a previous delivery of this record already reopened it (`unmuted_from` says so)."""
    groups = table(table_name)
    key = {"app_id": item["app_id"], "group_hash": item["group_hash"]}
    try:
        groups.update_item(
            Key=key,
            UpdateExpression="SET #status = :open, unmuted_from = :muted_at "
            "REMOVE mute_until, mute_ends_at_count, muted_at",
            ConditionExpression="#status = :muted AND muted_at = :muted_at",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":open": "open", ":muted": "muted", ":muted_at": item["muted_at"]},
        )
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    current = groups.get_item(Key=key, ConsistentRead=True).get("Item") or {}
    return current.get("unmuted_from") == item["muted_at"]


def handle_record(
    record: dict[str, Any], settings: Settings, history: HourHistory, publish: Publish
) -> list[Signal]:
    """Every signal of one record, logged and published once; returns them (for logs and tests)."""
    change = change_of(record)
    signals = signals_of(change, settings, history)
    for signal in signals:
        detail = signal.detail(settings.dashboard_url)
        if record_signal(signal, detail, settings.alerts_retention_days):
            publish(signal, detail)
            mark_published(signal)
    return signals


def eventbridge_publisher(events_client: Any, bus: str) -> Publish:
    """Put one signal on the bus; a failed entry raises, so the record is retried."""

    def publish(signal: Signal, detail: dict[str, Any]) -> None:
        answer = events_client.put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": signal.name,
                    "Detail": json.dumps(detail, separators=(",", ":"), default=str),
                    "EventBusName": bus,
                    "Resources": [],
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"put_events refused {signal.name}: {answer['Entries'][0].get('ErrorCode')}")

    return publish
