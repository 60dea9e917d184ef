"""One ReleasesTable stream batch: device changes → summed increments → one update per count item.

The whole batch succeeds or fails (no partial answers): Lambda then retries the same records, and the
markers of releases/counting.py make the retry add only what the failed attempt did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent

from fleetreport.groups.models import utc_now
from fleetreport.releases.counting import apply_increments, increments_of
from fleetreport.settings import get_settings


@dataclass(frozen=True)
class BatchOutcome:
    records: int
    count_items: int
    duplicates: int


def count_release_batch(event: dict[str, Any]) -> BatchOutcome:
    settings = get_settings()
    records = list(DynamoDBStreamEvent(event).records)
    changes = []
    for record in records:
        stream = record.dynamodb
        if stream is None:
            continue
        changes.append((str(record.event_id), stream.old_image or None, stream.new_image or None))
    summed = increments_of(changes)
    applied, duplicates = apply_increments(settings.rollups_table, settings.counters_table, summed, utc_now())
    return BatchOutcome(records=len(records), count_items=applied, duplicates=duplicates)
