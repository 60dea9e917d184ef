"""The compliance counts function: the ComplianceTable stream (no route).

Keeps the status counts items (every consumer's and each Candlepin owner key's) equal to the
consumers' counted states (fleetreport.compliance.stream_counts): one write per counts item per
batch, once only.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from fleetreport.compliance.stream_batch import count_compliance_batch
from fleetreport.http import logger, metrics
from fleetreport.storage.aws import dynamodb

dynamodb()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = count_compliance_batch(event)
    metrics.add_metric(name="StatusCountItemsUpdated", unit=MetricUnit.Count, value=outcome.count_items)
    logger.info(
        "compliance stream batch",
        extra={
            "records": outcome.records,
            "count_items": outcome.count_items,
            "duplicates": outcome.duplicates,
        },
    )
    return {}
