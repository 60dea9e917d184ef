"""The local SQS event source mapping: feeds queue messages to a function in batches.

Semantics follow Lambda's mapping with `ReportBatchItemFailures`: messages the function did not list
as failed are deleted; failed ones become visible again (after `retry_delay` seconds locally, instead
of the queue's visibility timeout, so retries happen at development speed) and moto's redrive moves
them to the dead-letter queue after `maxReceiveCount` receives. A function that raises, or answers a
malformed failure list, fails the whole batch.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleetreport_local.template import LOCAL_ACCOUNT, Template

log = logging.getLogger("fleetreport.local.sqs")

DEFAULT_RETRY_DELAY_SECONDS = 2


@dataclass(frozen=True)
class QueueSource:
    """One `Type: SQS` event of a function in template.yaml."""

    function: str  # logical id
    queue: str  # logical id of the queue
    batch_size: int
    report_item_failures: bool


def queue_sources(template: Template) -> list[QueueSource]:
    sources = []
    for logical_id, res in template.resources("AWS::Serverless::Function").items():
        for event in res["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            props = event["Properties"]
            queue = props["Queue"]
            queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue)
            sources.append(
                QueueSource(
                    function=logical_id,
                    queue=queue_id,
                    batch_size=int(props.get("BatchSize", 10)),
                    report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                )
            )
    return sources


def sqs_records(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS mapping sends: one record per received message."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {
                    name: lambda_attribute(value) for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """ReceiveMessage spells attribute fields `StringValue`; the Lambda event spells them `stringValue`."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": _base64(value.get("BinaryValue")),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [_base64(v) for v in value.get("BinaryListValues", [])],
        "dataType": value.get("DataType", "String"),
    }


def _base64(raw: bytes | None) -> str | None:
    return base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw


def failed_message_ids(response: Any, all_ids: list[str]) -> set[str]:
    """Which messages to retry, read like Lambda reads a ReportBatchItemFailures answer."""
    if not isinstance(response, dict) or "batchItemFailures" not in response:
        return set()
    failures = response["batchItemFailures"]
    if not isinstance(failures, list):
        return set(all_ids)
    ids = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    if None in ids or "" in ids or not ids <= set(all_ids):
        return set(all_ids)  # Lambda treats a malformed answer as a failure of the whole batch
    return {str(i) for i in ids}


class QueuePoller(threading.Thread):
    def __init__(
        self,
        source: QueueSource,
        queue_url: str,
        sqs: Any,
        invoke: Callable[[str, dict[str, Any]], Any],
        retry_delay: int = DEFAULT_RETRY_DELAY_SECONDS,
    ) -> None:
        super().__init__(name=f"sqs-{source.queue}", daemon=True)
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = f"arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}"
        self.sqs = sqs
        self.invoke = invoke
        self.retry_delay = retry_delay
        self._stop_requested = threading.Event()

    def run(self) -> None:
        while not self._stop_requested.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # the queue itself misbehaved; keep the mapping alive like Lambda does
                log.exception("polling %s failed", self.source.queue)
                self._stop_requested.wait(1)

    def stop(self) -> None:
        self._stop_requested.set()

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch, run the function on it, settle each message; returns the batch size."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0
        ids = [m["MessageId"] for m in messages]
        try:
            response = self.invoke(self.source.function, sqs_records(messages, self.queue_arn))
            failed = failed_message_ids(response, ids) if self.source.report_item_failures else set()
        except Exception:
            log.exception("%s failed on a batch of %d messages", self.source.function, len(messages))
            failed = set(ids)
        self._settle(messages, failed)
        return len(messages)

    def _settle(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if retry:
            log.warning("%d of %d messages failed; they will be retried", len(retry), len(messages))
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.retry_delay}
                    for i, m in enumerate(retry)
                ],
            )
