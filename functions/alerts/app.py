"""The alerts function: reads the groups table's stream and turns changes into signals (SPEC §10).

Each record is processed on its own (Powertools batch processor, partial batch failures): a failing
record is retried from its position without blocking the others; every step is idempotent.
"""

from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from fleetreport.alerts.consumer import eventbridge_publisher, handle_record
from fleetreport.alerts.signals import rollup_history
from fleetreport.http import logger, metrics
from fleetreport.settings import get_settings
from fleetreport.storage.aws import CLIENT_CONFIG, dynamodb, table

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
dynamodb()


@lru_cache(maxsize=1)
def events_client() -> Any:
    return boto3.client("events", config=CLIENT_CONFIG)


def process(record: DynamoDBRecord) -> None:
    settings = get_settings()
    signals = handle_record(
        record.raw_event,
        settings,
        rollup_history(table(settings.rollups_table)),
        eventbridge_publisher(events_client(), settings.alerts_bus),
    )
    for signal in signals:
        metrics.add_metric(name="AlertSignals", unit=MetricUnit.Count, value=1)
        logger.info(
            "signal", extra={"signal": signal.name, "app_id": signal.app_id, "group_hash": signal.group_hash}
        )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = process_partial_response(  # type: ignore[assignment]
        event=event, record_handler=process, processor=processor, context=context
    )
    return response
