"""Rollup function: the daily catch-up (EventBridge Scheduler) and `{"date"}` / `{"from", "to"}` backfills."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from fleetreport.compliance.timefmt import utc_now
from fleetreport.rollup.lag import rollup_lag_hours
from fleetreport.rollup.request import InvalidRollupRequest, parse_request
from fleetreport.rollup.service import run_rollup

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    now = utc_now()
    summary = run_rollup(event, remaining_ms=remaining, now=now)
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
    if _is_fleet_catch_up(event):
        # The alarm on RollupLagHours treats a day without it as lag: only the full catch-up emits it.
        metrics.add_metric(
            name="RollupLagHours", unit=MetricUnit.NoUnit, value=rollup_lag_hours(summary, now)
        )
    logger.info(
        "rollup finished", extra={"closed_day": summary["closed_day"], "complete": summary["complete"]}
    )
    return summary


def _is_fleet_catch_up(event: Any) -> bool:
    try:
        request = parse_request(event)
    except InvalidRollupRequest:
        return False
    return request.is_catch_up and request.tenants is None
