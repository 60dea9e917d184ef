"""One stream batch through Powertools' batch processor, with partial failures reported.

A record that fails is reported by its sequence number; Lambda then retries the batch from the first
failed record (bisecting on error), so records after it may arrive again: the handling is idempotent
(aggregates/stream.py). Records that keep failing go to the on-failure destination (an SQS DLQ).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from fleetreport.aggregates.stream import StreamSummary, handle_record
from fleetreport.settings import get_settings


def is_stream_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and isinstance(records, list) and records[0].get("eventSource") == "aws:dynamodb"


def consume_stream_batch(event: dict[str, Any], context: Any) -> tuple[dict[str, Any], StreamSummary]:
    """Handle every record; returns the `batchItemFailures` answer and what the batch did."""
    settings = get_settings()
    summary = StreamSummary()
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

    def handle(record: DynamoDBRecord) -> None:
        handle_record(record, settings, summary)

    response = process_partial_response(
        event=event, record_handler=handle, processor=processor, context=context
    )
    return dict(response), summary
