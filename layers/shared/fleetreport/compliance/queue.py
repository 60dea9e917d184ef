"""The compliance-events queue: each SQS message is one event (or a JSON array of events).

The tenant comes from the message attribute `owner`, else the EVENTS_DEFAULT_TENANT setting. A message
that cannot be stored raises, which Powertools' batch processor reports as a batch item failure: the
rest of the batch is kept, and SQS retries the failed one and dead-letters it after maxReceiveCount.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from fleetreport.compliance.events import parse_events
from fleetreport.compliance.ingest import IngestSummary, ingest_events, loads_strict, valid_tenant
from fleetreport.http import logger, metrics
from fleetreport.settings import get_settings


class PoisonMessage(ValueError):
    """A message that will never be storable (bad JSON, bad event, no tenant)."""


def is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and isinstance(records, list) and records[0].get("eventSource") == "aws:sqs"


def consume_batch(event: dict[str, Any], context: Any) -> tuple[dict[str, Any], IngestSummary]:
    """Store every good message; returns the `batchItemFailures` answer and what was stored."""
    total = IngestSummary()
    # Report every failure as an item failure, even when the whole batch failed (no Lambda error).
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def handle(record: SQSRecord) -> None:
        summary = _consume_record(record, context)
        for name, value in summary.as_dict().items():
            setattr(total, name, getattr(total, name) + value)

    response = process_partial_response(
        event=event, record_handler=handle, processor=processor, context=context
    )
    return dict(response), total


def _consume_record(record: SQSRecord, context: Any) -> IngestSummary:
    try:
        tenant = _tenant(record)
        events = parse_events(loads_strict(record.body))
    except ValueError as error:
        # Refused while parsing, before any write: retried, then dead-lettered (SPEC §8). Logged with
        # the reason (never the body) and counted, so the DLQ alarm has an explanation next to it.
        reason = {"message_id": record.message_id, "reason": str(error)}
        logger.warning("compliance event refused", extra=reason)
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        raise PoisonMessage(f"message {record.message_id}: {error}") from None
    return ingest_events(tenant, events, context)


def _tenant(record: SQSRecord) -> str:
    attribute = record.message_attributes["owner"] if record.message_attributes else None
    tenant = (attribute.string_value if attribute else None) or get_settings().events_default_tenant
    if not valid_tenant(tenant):
        raise ValueError("no tenant (message attribute 'owner')")
    return str(tenant)
