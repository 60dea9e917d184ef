"""Rollup fan-out on the storm model (SPEC §9): what one unit costs, and the makespan of a fleet.

    python -m bench.scenarios.rollup_fanout --sizes 10 100 1000

Each size is one tenant whose closed day (yesterday) holds that many consumers, each created and
given a snapshot that day (2 changes each), rolled for the first time (the dearest case: a first
rollup also reads every consumer once). Its unit runs through the rollup function's SQS worker on
the storm model's simulated clock (its per-call latencies), with items read counted by the bench's
CallLog. The fleet figures are extrapolated from those units, linearly in the day's changes (§5: a
rollup costs reads proportional to the day's changes): 10,000 tenants sharing 1,000,000 changes,
their units list-scheduled on 50 workers, plus the dispatcher's enqueueing.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

TENANTS = 10_000
CHANGES = 1_000_000
WORKERS = 50
UNIT_BUDGET = 50_000


def _load_tenant(tenant: str, consumers: int, day: datetime) -> int:
    from fleetreport.compliance.events import parse_event
    from fleetreport.compliance.ingest import store_event
    from fleetreport.compliance.store import ComplianceWriter
    from fleetreport.settings import get_settings
    from fleetreport.storage.aws import table

    writer = ComplianceWriter(table(get_settings().compliance_table), tenant)
    writer.register_tenant()
    for index in range(consumers):
        moment = day + timedelta(seconds=index)
        date = moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        consumer = {"uuid": f"{tenant}-{index}", "owner": {"key": f"org-{index % 5}"}, "created": date}
        entity = {"consumer": consumer, "entitlements": [], "status": {"status": "valid", "date": date}}
        for raw in (
            {"id": f"c-{tenant}-{index}", "type": "CREATED", "target": "CONSUMER", "timestamp": date,
             "entity": json.dumps(consumer)},
            {"id": f"s-{tenant}-{index}", "type": "CREATED", "target": "COMPLIANCE", "timestamp": date,
             "entity": json.dumps(entity)},
        ):  # fmt: skip
            store_event(writer, parse_event(raw))
    return 2 * consumers


def measure(sizes: list[int]) -> dict[str, Any]:
    from bench.scenarios.storm import _stack

    template, session, client = _stack()
    from bench.measure import CallLog
    from bench.storm import StormModel

    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).replace(hour=1, minute=0, second=0, microsecond=0)
    changes = {f"r{size}": _load_tenant(f"r{size}", size, yesterday) for size in sizes}
    model = StormModel(template, "RollupFunction", 1, now)
    calls = CallLog({template.physical_name(t): t for t in template.resources("AWS::DynamoDB::Table")})
    calls.install(session.events)
    undo = model.install(session, client)
    units = []
    try:
        for tenant, count in changes.items():
            body = json.dumps({"tenants": [tenant]})
            record = {
                "messageId": f"unit-{tenant}", "receiptHandle": "r", "body": body,
                "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rollup-units", "awsRegion": "us-east-1",
            }  # fmt: skip
            with calls.window() as cost:
                answer, ends = model.invoke(model.containers[0], 0.0, {"Records": [record]})
            assert answer == {"batchItemFailures": []}, answer
            units.append({"tenant": tenant, "changes": count, "items_read": cost.items_read, "seconds": ends})
    finally:
        undo()
    return {"units": units, **fleet(units)}


def fleet(units: list[dict[str, Any]]) -> dict[str, Any]:
    """Fit items and seconds per change on the measured units; apply to the fleet (uniform tenants,
    and one tenant ten times the mean as the skew case), list-scheduled on WORKERS workers."""
    big, small = max(units, key=lambda u: u["changes"]), min(units, key=lambda u: u["changes"])
    span = max(1, big["changes"] - small["changes"])

    def per(key: str) -> tuple[float, float]:
        slope = (big[key] - small[key]) / span
        return small[key] - slope * small["changes"], slope

    items_at, seconds_at = per("items_read"), per("seconds")
    mean = CHANGES / TENANTS
    skewed = 10 * mean
    tenant_items = items_at[0] + items_at[1] * skewed
    unit_seconds = seconds_at[0] + seconds_at[1] * mean
    rounds = -(-TENANTS // WORKERS)
    dispatch_seconds = (TENANTS / 10) * 0.01 + 0.05  # SendMessageBatch of 10 at ~10 ms, 2 registry queries
    return {
        "items_per_change": round(items_at[1], 2),
        "max_items_per_unit": round(tenant_items),
        "mean_unit_seconds": round(unit_seconds, 2),
        "makespan_seconds": round(dispatch_seconds + rounds * unit_seconds, 1),
        "dispatch_seconds": round(dispatch_seconds, 1),
        "within_unit_budget": tenant_items <= UNIT_BUDGET,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios.rollup_fanout")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args(argv)
    from bench.scenarios.storm import answer_in_model

    return answer_in_model(lambda: measure(args.sizes))


if __name__ == "__main__":
    sys.exit(main())
