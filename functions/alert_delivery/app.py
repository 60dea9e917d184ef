"""The alert delivery function: alert events from the delivery queue to each app's webhook.

Powertools batch processor with partial batch failures: a failed delivery fails only its message,
which SQS brings back after a backoff that doubles with each receive, and dead-letters after the
queue's maxReceiveCount. Each failed attempt counts in `WebhookDeliveryFailures` (alarmed).
"""

import json
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import BotoCoreError, ClientError
from fleetreport.alerts.delivery import DeliveryFailed, deliver, http_post
from fleetreport.http import logger, metrics
from fleetreport.settings import get_settings
from fleetreport.storage.aws import CLIENT_CONFIG, dynamodb

processor = BatchProcessor(event_type=EventType.SQS)
dynamodb()
MAX_BACKOFF_SECONDS = 900


@lru_cache(maxsize=1)
def sqs_client() -> Any:
    return boto3.client("sqs", config=CLIENT_CONFIG)


def process(record: SQSRecord) -> None:
    envelope = json.loads(record.body)
    detail = envelope.get("detail", {})
    timeout = float(get_settings().alerts_webhook_timeout_seconds)
    try:
        outcome = deliver(envelope, lambda url, body, headers: http_post(url, body, headers, timeout))
    except DeliveryFailed as error:
        metrics.add_metric(name="WebhookDeliveryFailures", unit=MetricUnit.Count, value=1)
        logger.warning("webhook delivery failed", extra={"signal_id": detail.get("id"), "reason": str(error)})
        back_off(record)
        raise
    logger.info(
        "alert", extra={"signal_id": detail.get("id"), "signal": detail.get("signal"), "outcome": outcome}
    )
    if outcome == "sent":
        metrics.add_metric(name="WebhooksDelivered", unit=MetricUnit.Count, value=1)


def back_off(record: SQSRecord) -> None:
    """Make the message visible again after 30 s, 60 s, 120 s, ... (capped), not all at once."""
    receives = int(record.attributes.approximate_receive_count or 1)
    name = record.event_source_arn.rsplit(":", 1)[-1]
    try:
        url = sqs_client().get_queue_url(QueueName=name)["QueueUrl"]
        sqs_client().change_message_visibility(
            QueueUrl=url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=min(MAX_BACKOFF_SECONDS, 30 * 2 ** (receives - 1)),
        )
    except (BotoCoreError, ClientError):
        logger.warning("could not set the retry backoff; the queue's visibility timeout applies")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = process_partial_response(  # type: ignore[assignment]
        event=event, record_handler=process, processor=processor, context=context
    )
    return response
