"""One stream batch through Powertools' batch processor, with partial failures reported.

A record that fails is reported by its sequence number; Lambda then retries the batch from the first
failed record (bisecting on error), so records after it may arrive again: the handling is idempotent
(aggregates/stream.py). Records that keep failing go to the on-failure destination (an SQS DLQ).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBStreamEvent,
)
from botocore.exceptions import BotoCoreError, ClientError

from fleetreport.aggregates.stream import StreamSummary, handle_record
from fleetreport.groups.models import utc_now
from fleetreport.http import logger
from fleetreport.releases.group_reports import count_group_reports
from fleetreport.releases.top_groups import rank_groups
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

    response = dict(
        process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
    )
    return count_release_reports(event, response, settings), summary


def count_release_reports(event: dict[str, Any], response: dict[str, Any], settings: Any) -> dict[str, Any]:
    """Release `reports`/`open_groups` (SPEC §12) from the records before the first failure: Lambda
    retries from that record, so the prefix is never delivered again and is counted exactly once.
    If counting fails, the whole batch is reported failed (its per-record work is idempotent)."""
    records = event.get("Records", [])
    failed = {item.get("itemIdentifier") for item in response.get("batchItemFailures", [])}
    prefix = []
    for record in records:
        if record.get("dynamodb", {}).get("SequenceNumber") in failed:
            break
        prefix.append(record)
    if not prefix:
        return response
    try:
        changes = [
            (str(record.event_id), stream.old_image or None, stream.new_image or None)
            for record in DynamoDBStreamEvent({"Records": prefix}).records
            if (stream := record.dynamodb) is not None
        ]
        count_group_reports(settings.rollups_table, settings.counters_table, changes, utc_now())
        rank_groups(settings.rollups_table, changes)  # top_groups (idempotent: safe in a retried batch)
    except (ClientError, BotoCoreError):
        logger.exception("release report counts failed; the batch is retried")
        first = str(records[0].get("dynamodb", {}).get("SequenceNumber", ""))
        return {"batchItemFailures": [{"itemIdentifier": first}]}
    return response
