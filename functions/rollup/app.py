"""Rollup function: the daily catch-up (EventBridge Scheduler) and `{"date"}` / `{"from", "to"}` backfills."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from fleetreport.rollup.service import run_rollup

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    summary = run_rollup(event, remaining_ms=remaining)
    if "error" in summary:
        logger.warning("rollup request refused", extra={"reason": summary["error"]})
        return summary
    tenants = summary["tenants"]
    metrics.add_metric(
        name="RollupStatusDays", unit=MetricUnit.Count, value=sum(t["status"]["days"] for t in tenants)
    )
    metrics.add_metric(
        name="RollupGroupDays", unit=MetricUnit.Count, value=sum(t["groups"]["days"] for t in tenants)
    )
    metrics.add_metric(
        name="RollupChanges", unit=MetricUnit.Count, value=sum(t["status"]["changes"] for t in tenants)
    )
    logger.info(
        "rollup finished", extra={"closed_day": summary["closed_day"], "complete": summary["complete"]}
    )
    return summary
