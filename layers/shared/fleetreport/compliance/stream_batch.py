"""One ComplianceTable stream batch: consumer item changes → summed moves → one write per counts item.

The whole batch succeeds or fails (no partial answers): Lambda then retries the same records, and the
markers of compliance/stream_counts.py make the retry add only what the failed attempt did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent

from fleetreport import clock
from fleetreport.compliance.stream_counts import apply_moves, batch_id_of, sum_moves
from fleetreport.settings import get_settings
from fleetreport.storage.aws import dynamodb


@dataclass(frozen=True)
class BatchOutcome:
    records: int
    count_items: int
    duplicates: int


def count_compliance_batch(event: dict[str, Any]) -> BatchOutcome:
    settings = get_settings()
    records = list(DynamoDBStreamEvent(event).records)
    changes = []
    sequences = []
    for record in records:
        stream = record.dynamodb
        if stream is None:
            continue
        sequences.append(str(stream.sequence_number or record.event_id))
        changes.append((stream.keys or {}, stream.old_image or None, stream.new_image or None))
    summed = sum_moves(changes)
    if not summed:
        return BatchOutcome(records=len(records), count_items=0, duplicates=0)
    applied = apply_moves(
        dynamodb().meta.client,
        settings.compliance_table,
        settings.counters_table,
        batch_id_of(sequences),
        summed,
        clock.now(),
    )
    return BatchOutcome(records=len(records), count_items=applied.items, duplicates=applied.duplicates)
