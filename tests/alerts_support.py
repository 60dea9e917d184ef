"""What the alert tests share: stream records shaped exactly like Lambda's DynamoDB event, built from
the real items that the real ingest code writes, and a capture of what gets published."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer
from fleetreport.alerts.consumer import eventbridge_publisher, handle_record
from fleetreport.alerts.models import Signal
from fleetreport.alerts.signals import rollup_history
from fleetreport.groups.models import Dimensions
from fleetreport.groups.store import count_report
from fleetreport.settings import get_settings

_serializer = TypeSerializer()
DIMS = Dimensions("test", "1.4.2", "stable", "windows", "amd64", "crash", "segfault")


def stream_record(
    old: dict[str, Any] | None, new: dict[str, Any] | None, sequence: int = 1
) -> dict[str, Any]:
    """One record of a Lambda DynamoDB Streams event (NEW_AND_OLD_IMAGES)."""
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": 1_700_000_000,
        "Keys": {name: _serializer.serialize((new or old or {})[name]) for name in ("app_id", "group_hash")},
        "SequenceNumber": str(sequence).zfill(21),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        body["OldImage"] = {name: _serializer.serialize(value) for name, value in old.items()}
    if new is not None:
        body["NewImage"] = {name: _serializer.serialize(value) for name, value in new.items()}
    return {
        "eventID": f"event-{sequence}",
        "eventName": "INSERT" if old is None else "MODIFY" if new is not None else "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": body,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/groups/stream/2026-01-01T00:00:00",
    }


@dataclass
class SignalFeed:
    """Counts reports with the real ingest upsert and feeds each change to the alerts consumer."""

    stack: Any
    owner: str
    app_id: str
    dims: Dimensions = DIMS
    published: list[tuple[Signal, dict[str, Any]]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def item(self) -> dict[str, Any] | None:
        key = {"app_id": self.app_id, "group_hash": self.dims.group_hash}
        return self.stack.table("GroupsTable").get_item(Key=key, ConsistentRead=True).get("Item")

    def report(self, now: datetime, times: int = 1) -> list[str]:
        """Count `times` reports at `now`; the names of the signals they raised."""
        fired = []
        for _ in range(times):
            old = self.item()
            count_report(
                get_settings().groups_table, owner=self.owner, app_id=self.app_id, dims=self.dims, now=now
            )
            fired += self.feed(stream_record(old, self.item(), len(self.records) + 1))
        return fired

    def feed(self, record: dict[str, Any]) -> list[str]:
        self.records.append(record)
        settings = get_settings()
        publisher = eventbridge_publisher(boto3.client("events"), settings.alerts_bus)

        def publish(signal: Signal, detail: dict[str, Any]) -> None:
            publisher(signal, detail)
            self.published.append((signal, detail))

        rollups = self.stack.table("RollupsTable")
        return [signal.name for signal in handle_record(record, settings, rollup_history(rollups), publish)]


def delivery_queue_events(stack: Any) -> list[dict[str, Any]]:
    """Every EventBridge event the delivery rule put on its queue so far (received and deleted)."""
    sqs = boto3.client("sqs")
    url = stack.template.created["AlertDeliveryQueue"]
    events = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


class Receiver:
    """A webhook receiver: records every request; answers `status` (with `Location: location` when
    set, for redirects), or refuses connections when down."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.location: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.end_headers()

            do_GET = do_PUT = do_POST  # a followed redirect may come back as any method

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
