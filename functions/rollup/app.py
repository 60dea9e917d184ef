"""Rollup function: the scheduled catch-up (EventBridge Scheduler), `{"date"}` / `{"from", "to"}`
backfills, and the workers of the fan-out (SPEC §9, rollup/fanout.py).

With ROLLUP_QUEUE_URL set (on AWS), a run over every tenant dispatches one unit per tenant onto the
rollup queue, and the function's SQS event source rolls them, one unit per invocation; a payload
naming `tenants` runs inline, as it does everywhere without the queue (the CLI, the local stack).
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from fleetreport.compliance.timefmt import utc_now
from fleetreport.rollup.fanout import consume_units, enqueue
from fleetreport.rollup.lag import rollup_lag_hours
from fleetreport.rollup.request import InvalidRollupRequest, parse_request
from fleetreport.rollup.service import dispatch_rollup, run_rollup
from fleetreport.settings import get_settings

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if _is_sqs_batch(event):
        settings = get_settings()
        limit = settings.rollup_unit_items  # a unit is a bounded slice (SPEC §9)
        queue_url = settings.rollup_queue_url
        return consume_units(
            event,
            context,
            lambda unit: _summarised(run_rollup(unit, remaining_ms=remaining, items_limit=limit)),
            (lambda unit: enqueue(queue_url, [unit])) if queue_url else None,
        )
    queue_url = get_settings().rollup_queue_url
    if queue_url and _is_fleet_run(event):
        return _dispatched(dispatch_rollup(event, queue_url))
    return _summarised(run_rollup(event, remaining_ms=remaining, now=utc_now()), event)


def _dispatched(answer: dict[str, Any]) -> dict[str, Any]:
    if "error" in answer:
        logger.warning("rollup request refused", extra={"reason": answer["error"]})
        return answer
    metrics.add_metric(name="RollupUnitsDispatched", unit=MetricUnit.Count, value=answer["dispatched"])
    metrics.add_metric(name="RollupLagHours", unit=MetricUnit.NoUnit, value=answer["lag_hours"])
    logger.info("rollup units dispatched", extra=answer)
    return answer


def _summarised(summary: dict[str, Any], event: Any = None) -> dict[str, Any]:
    now = utc_now()
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
    if event is not None and _is_fleet_catch_up(event):
        # The alarm on RollupLagHours treats a day without it as lag: only the full catch-up emits it.
        metrics.add_metric(
            name="RollupLagHours", unit=MetricUnit.NoUnit, value=rollup_lag_hours(summary, now)
        )
    logger.info(
        "rollup finished", extra={"closed_day": summary["closed_day"], "complete": summary["complete"]}
    )
    return summary


def _is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and isinstance(records, list) and records[0].get("eventSource") == "aws:sqs"


def _is_fleet_run(event: Any) -> bool:
    """Every tenant (no `tenants` in the payload): what the dispatcher splits; a bad payload is
    refused by the dispatcher itself."""
    return not (isinstance(event, dict) and "tenants" in event)


def _is_fleet_catch_up(event: Any) -> bool:
    try:
        request = parse_request(event)
    except InvalidRollupRequest:
        return False
    return request.is_catch_up and request.tenants is None
