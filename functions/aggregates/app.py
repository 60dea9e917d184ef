"""The aggregates function: the groups table's DynamoDB Stream (no route).

Keeps the per-app status counts that `GET /reports/groups` answers `total` from, deletes the blobs of
groups that expired (TTL) or were deleted, and repairs `app_status` keys (fleetreport.aggregates).
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from fleetreport.aggregates.batch import consume_stream_batch
from fleetreport.http import logger, metrics
from fleetreport.storage.aws import dynamodb

# S3 is needed only when a group is removed (its blobs go too): built on first use, not at init,
# since it is the costliest client to build and most batches only count status changes.
dynamodb()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response, summary = consume_stream_batch(event, context)
    metrics.add_metric(name="GroupCountsChanged", unit=MetricUnit.Count, value=summary.counted)
    metrics.add_metric(name="GroupsExpired", unit=MetricUnit.Count, value=summary.expired)
    metrics.add_metric(name="ExpiredBlobsDeleted", unit=MetricUnit.Count, value=summary.blobs_deleted)
    failures = len(response.get("batchItemFailures", []))
    logger.info(
        "groups stream batch",
        extra={"records": len(event.get("Records", [])), "failed": failures, **summary.as_dict()},
    )
    return response
