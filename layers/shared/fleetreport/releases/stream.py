"""One ReleasesTable stream batch: device changes → summed increments → one update per count item.

The whole batch succeeds or fails (no partial answers): Lambda then retries the same records, and the
markers of releases/counting.py make the retry add only what the failed attempt did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent

from fleetreport.alerts.consumer import eventbridge_publisher
from fleetreport.apps.store import default_store
from fleetreport.groups.models import utc_now
from fleetreport.releases.counting import apply_increments, increments_of
from fleetreport.releases.signals import watch_verdicts
from fleetreport.settings import get_settings
from fleetreport.storage.aws import CLIENT_CONFIG


@dataclass(frozen=True)
class BatchOutcome:
    records: int
    count_items: int
    duplicates: int
    signals: int = 0


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
    now = utc_now()
    applied, duplicates = apply_increments(settings.rollups_table, settings.counters_table, summed, now)
    signals = 0
    if settings.alerts_bus and summed:
        publish = eventbridge_publisher(events_client(), settings.alerts_bus)
        signals = len(watch_verdicts(settings, summed.keys(), now, publish, app_name))
    return BatchOutcome(records=len(records), count_items=applied, duplicates=duplicates, signals=signals)


@lru_cache(maxsize=1)
def events_client() -> Any:
    return boto3.client("events", config=CLIENT_CONFIG)


def app_name(owner: str, app_id: str) -> str:
    app = default_store().get(owner, app_id)
    return app.name if app else ""
