"""Rollup fan-out on the storm model (SPEC §9): what one unit costs, and the makespan of a fleet.

    python -m bench.scenarios.rollup_fanout --sizes 10 100 1000

Each size is one tenant whose closed day (yesterday) holds that many consumers, each created and
given a snapshot that day (2 changes each), rolled for the first time (the dearest case: a first
rollup also reads every consumer once). Its unit runs through the rollup function's SQS worker on
the storm model's simulated clock (its per-call latencies), with items read counted by the bench's
CallLog. The fleet figures are extrapolated from those units, linearly in the day's changes (§5: a
rollup costs reads proportional to the day's changes): 10,000 tenants sharing 1,000,000 changes,
their units list-scheduled on 50 workers, plus the dispatcher's enqueueing. The verdict on a unit's
limits (≤ 50,000 items, ≤ 10 simulated minutes) reads the units that ran — every tenant's unit and
every delivery of the sliced day, their items and simulated seconds (call latencies + CPU measured
with `time.process_time`) — never the extrapolation; W2's day (100,000 changes) and the 1,000,000
sizes are the `rollup unit: …` rows (bench/scenarios/rollup_units.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

TENANTS = 10_000
CHANGES = 1_000_000
WORKERS = 50
UNIT_BUDGET = 50_000
UNIT_SECONDS_LIMIT = 600.0  # SPEC §9: no unit runs longer than 10 simulated minutes


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


def measure(
    sizes: list[int], burst_size: int | None = None, burst_budget: int | None = None, limit: int = UNIT_BUDGET
) -> dict[str, Any]:
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
                started = time.process_time()
                answer, ends = model.invoke(model.containers[0], 0.0, {"Records": [record]})
                cpu = time.process_time() - started
            assert answer == {"batchItemFailures": []}, answer
            units.append(
                {"tenant": tenant, "changes": count, "items_read": cost.items_read, "seconds": ends + cpu}
            )
        burst = _sliced_day(
            model, calls, f"r{burst_size or max(sizes)}-burst", burst_size or max(sizes), yesterday,
            units[-1]["items_read"], burst_budget,
        )  # fmt: skip
    finally:
        undo()
    return {"units": units, "burst": burst, **fleet(units), **measured_verdict(units, burst, limit)}


def measured_verdict(units: list[dict[str, Any]], burst: dict[str, Any], limit: int) -> dict[str, Any]:
    """SPEC §9's unit limits read from the units that ran (each tenant's unit, each delivery of the
    sliced day): their items read and simulated seconds (call latencies + measured CPU). A budget set
    too high, or a day read whole, shows here and fails it (tests/test_rollup_verdict.py)."""
    measured = [*units, *burst["deliveries"]]
    max_items = max(unit["items_read"] for unit in measured)
    max_seconds = max(unit["seconds"] for unit in measured)
    return {
        "measured_units": len(measured),
        "measured_max_items": max_items,
        "measured_max_seconds": round(max_seconds, 3),
        "unit_limit": limit,
        "within_unit_budget": max_items <= limit and max_seconds <= UNIT_SECONDS_LIMIT,
    }


def _record(body: dict[str, Any], message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id, "receiptHandle": "r", "body": json.dumps(body),
        "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rollup-units", "awsRegion": "us-east-1",
    }  # fmt: skip


def _sliced_day(
    model: Any, calls: Any, tenant: str, consumers: int, day: datetime, day_items: int, budget: int | None
) -> dict[str, Any]:
    """A tenant's day rolled by units with a budget of a quarter of its items: each continuation it
    sends to the queue is delivered next, until none follows. Exact when its end counts are the
    consumers it loaded (all valid)."""
    import os

    import boto3
    from fleetreport.rollup import runs
    from fleetreport.rollup.days import previous_day
    from fleetreport.settings import get_settings
    from fleetreport.storage.aws import table

    _load_tenant(tenant, consumers, day)
    # a tenant rolled before (as W2's is): its first rollup would also read every consumer once
    runs.advance(
        table(get_settings().rollups_table), tenant, "last_day", previous_day(day.date().isoformat())
    )
    budget = budget or max(1, day_items // 4)
    os.environ["ROLLUP_UNIT_ITEMS"] = str(budget)
    get_settings.cache_clear()
    sqs, url = boto3.client("sqs"), get_settings().rollup_queue_url
    body, at, deliveries = {"tenants": [tenant]}, 0.0, []
    try:
        while len(deliveries) < 100:
            with calls.window() as cost:
                started = time.process_time()
                answer, ends = model.invoke(
                    model.containers[0], at, {"Records": [_record(body, f"u{len(deliveries)}")]}
                )
                cpu = time.process_time() - started
            assert answer == {"batchItemFailures": []}, answer
            deliveries.append({"items_read": cost.items_read, "seconds": round(ends - at + cpu, 3)})
            at = ends + cpu
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(messages[0]["Body"])
    finally:
        del os.environ["ROLLUP_UNIT_ITEMS"]
        get_settings.cache_clear()
    rollups = table(get_settings().rollups_table)
    stored = rollups.get_item(Key={"pk": f"ST#{tenant}", "sk": day.date().isoformat()}).get("Item") or {}
    return {
        "consumers": consumers,
        "budget": budget,
        "units": len(deliveries),
        "deliveries": deliveries,
        "max_items_per_unit": max(d["items_read"] for d in deliveries),
        "day_items": day_items,
        "exact": {k: int(v) for k, v in stored.get("end", {}).items()} == {"valid": consumers},
    }


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
    tenant_items = items_at[0] + items_at[1] * skewed  # an estimate: the verdict reads measured units
    unit_seconds = seconds_at[0] + seconds_at[1] * mean
    rounds = -(-TENANTS // WORKERS)
    dispatch_seconds = (TENANTS / 10) * 0.01 + 0.05  # SendMessageBatch of 10 at ~10 ms, 2 registry queries
    return {
        "items_per_change": round(items_at[1], 2),
        "max_items_per_unit": round(tenant_items),
        "mean_unit_seconds": round(unit_seconds, 2),
        "makespan_seconds": round(dispatch_seconds + rounds * unit_seconds, 1),
        "dispatch_seconds": round(dispatch_seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios.rollup_fanout")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--burst", type=int, help="consumers of the sliced day (default: the largest size)")
    parser.add_argument("--burst-budget", type=int, help="its unit budget (default: a quarter of its items)")
    parser.add_argument("--limit", type=int, default=UNIT_BUDGET, help="the verdict's items per unit")
    args = parser.parse_args(argv)
    from bench.scenarios.storm import answer_in_model

    return answer_in_model(lambda: measure(args.sizes, args.burst, args.burst_budget, args.limit))


if __name__ == "__main__":
    sys.exit(main())
