"""The release counts function: the ReleasesTable stream (no route).

Turns device-day marks into exact active/crashed device counts per version and day (SPEC §12,
fleetreport.releases.counting): one update per count item per batch, once only.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from fleetreport.http import logger, metrics
from fleetreport.releases.stream import count_release_batch
from fleetreport.storage.aws import dynamodb

dynamodb()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = count_release_batch(event)
    metrics.add_metric(name="ReleaseCountItemsUpdated", unit=MetricUnit.Count, value=outcome.count_items)
    logger.info(
        "releases stream batch",
        extra={
            "records": outcome.records,
            "count_items": outcome.count_items,
            "duplicates": outcome.duplicates,
        },
    )
    return {}
