"""Rollup units measured at size (SPEC §9): one tenant-day of N changes, and a first rollup of N consumers.

    python -m bench.scenarios.rollup_units day --size 200000
    python -m bench.scenarios.rollup_units first --size 200000 [--budget 40000]

The data goes straight into moto's backend (cloned, with new uuids and instants, from the items the
real ComplianceWriter wrote for one template consumer: a consumer row, its snapshot, their change-log
items), because a million writes through the API take hours. Then the tenant's unit is delivered to
the rollup function's SQS worker on the storm model's clock, and every continuation it sends is
delivered next, until none follows. Per unit: items read (counted from the answers botocore
receives, as every bench row), CPU (`time.process_time` around the handler invocation: moto runs in
this process, so moto's own work is included — an upper bound of the handler's; moto's slow paths
are patched as bench/store.py does), and its simulated
time (the model's call latencies + that CPU). The first unit is made to die mid-way (its change-log
or consumer Queries fail after a few) and is delivered again: the row shows it went on from its saved
position. The result is compared with a recount of the generated data.

`day`: N/2 consumers, each created and given a snapshot on one closed day (2 changes each), the
tenant rolled before (no first walk). `first`: N consumers created over 10 closed days with a snapshot
each, never rolled (the walk over N consumers, then 10 days of N/5 changes).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.scenarios.rollup_verdict import UNIT_ITEMS_LIMIT, UNIT_SECONDS_LIMIT, unit_verdict

STATUSES = ("valid", "invalid", "partial")
OWNERS = 5
TEMPLATE_TENANT, TEMPLATE_UUID = "zztmpl", "zzuuid0000"


def _backend_table(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)


def _template_items(compliance_name: str, instant: str) -> dict[str, list[dict[str, Any]]]:
    """The items the real writer stores for one consumer created with one snapshot at `instant`,
    in wire form, by kind (consumer, snapshot, log)."""
    from fleetreport.compliance.events import parse_event
    from fleetreport.compliance.ingest import store_event
    from fleetreport.compliance.store import ComplianceWriter
    from fleetreport.storage.aws import table

    writer = ComplianceWriter(table(compliance_name), TEMPLATE_TENANT)
    date = instant.replace("Z", "+0000")
    consumer = {"uuid": TEMPLATE_UUID, "owner": {"key": "zzowner"}, "created": date}
    entity = {"consumer": consumer, "entitlements": [], "status": {"status": "zzstatus", "date": date}}
    for raw in (
        {"id": "zz-c", "type": "CREATED", "target": "CONSUMER", "timestamp": date,
         "entity": json.dumps(consumer)},
        {"id": "zz-s", "type": "CREATED", "target": "COMPLIANCE", "timestamp": date,
         "entity": json.dumps(entity)},
    ):  # fmt: skip
        store_event(writer, parse_event(raw))
    kinds: dict[str, list[dict[str, Any]]] = {"consumer": [], "snapshot": [], "log": []}
    for item in _backend_table(compliance_name).all_items():
        pk = item.hash_key.value
        kind = (
            "consumer" if pk.startswith(f"T#{TEMPLATE_TENANT}#C@")
            else "snapshot" if pk.startswith(f"S#{TEMPLATE_TENANT}#")
            else "log" if pk.startswith(f"L#{TEMPLATE_TENANT}#")
            else None
        )  # fmt: skip
        if kind:
            kinds[kind].append(item.to_json()["Attributes"])
    return kinds


def _replaced(value: Any, swaps: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in swaps:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: _replaced(inner, swaps) for key, inner in value.items()}
    if isinstance(value, list):
        return [_replaced(inner, swaps) for inner in value]
    return value


def load_consumers(
    compliance_name: str, tenant: str, count: int, instant_of: Callable[[int], str]
) -> Counter[tuple[str | None, str]]:
    """`count` consumers of `tenant`, consumer `n` created with a snapshot at `instant_of(n)`,
    owner `org-{n % OWNERS}`, status STATUSES[n % 3]; the recount: (partition, status) -> consumers."""
    from fleetreport.compliance import keys

    template_instant = "2001-02-03T04:05:06.789Z"
    templates = _template_items(compliance_name, template_instant)
    target = _backend_table(compliance_name)
    stream, target.stream_shard = target.stream_shard, None  # no stream records for bulk data
    recount: Counter[tuple[str | None, str]] = Counter()
    try:
        for number in range(count):
            uuid, instant = f"{tenant}-{number:07d}", instant_of(number)
            owner, status = f"org-{number % OWNERS}", STATUSES[number % 3]
            swaps = [
                (TEMPLATE_UUID, uuid),
                (template_instant.replace("Z", "+0000"), instant.replace("Z", "+0000")),
                (template_instant, instant), (template_instant[:10], instant[:10]),
                ("zzowner", owner), ("zzstatus", status), ("ZZSTATUS", status.upper()),
                (f"#{TEMPLATE_TENANT}#", f"#{tenant}#"), (f"#{TEMPLATE_TENANT}", f"#{tenant}"),
            ]  # fmt: skip
            for kind, items in templates.items():
                for item in items:
                    clone = _replaced(copy.deepcopy(item), swaps)
                    if kind == "consumer":
                        clone["pk"] = {"S": keys.consumer_pk(tenant, uuid)}
                    elif kind == "log":
                        clone["pk"] = {"S": keys.change_log_pk(tenant, instant[:10], keys.log_shard_of(uuid))}
                    target.put_item(clone)
            recount[(None, status)] += 1
            recount[(owner, status)] += 1
    finally:
        target.stream_shard = stream
    return recount


class ItemsRead:
    """Items DynamoDB answered to the process while `on` (Query/Scan ScannedCount, GetItem, BatchGet)."""

    def __init__(self) -> None:
        self.on = False
        self.items = 0

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.on:
            return
        if model.name in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif model.name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            self.items += sum(len(items) for items in parsed.get("Responses", {}).values())


def _record(body: dict[str, Any], message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id, "receiptHandle": "r", "body": json.dumps(body),
        "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rollup-units", "awsRegion": "us-east-1",
    }  # fmt: skip


class _Crash:
    """Fails every DynamoDB call after `after` Queries whose request names `marker` (a unit dying)."""

    def __init__(self, marker: str, after: int) -> None:
        self.marker, self.after, self.seen, self.armed = marker, after, 0, False

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        from botocore.exceptions import ClientError

        if self.armed and model.name == "Query" and self.marker in str(params.get("body", b""), "utf-8"):
            self.seen += 1
            if self.seen > self.after:
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "crash"}}, "Query")


def run_units(
    model: Any, counter: ItemsRead, tenant: str, progress: Callable[[], int], crash: _Crash
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Deliver the tenant's unit and each continuation until none follows; the first delivery dies
    mid-way (`crash`) and is delivered again. Per unit (the dead one left out: its work is redone
    only back to its last save): items, CPU s, simulated s."""
    import boto3
    from fleetreport.settings import get_settings

    sqs, url = boto3.client("sqs"), get_settings().rollup_queue_url
    body: dict[str, Any] = {"tenants": [tenant]}
    at, units, redelivery = 0.0, list[dict[str, Any]](), dict[str, Any]()
    while len(units) < 2_000:
        dying = not units and not redelivery
        if dying:
            before = progress()
            crash.armed = True
        counter.on, counter.items = True, 0
        started = time.process_time()
        try:
            answer, ends = model.invoke(
                model.containers[0], at, {"Records": [_record(body, f"u{len(units)}")]}
            )
        finally:
            cpu = time.process_time() - started
            counter.on = False
            crash.armed = False
        if dying:
            assert answer["batchItemFailures"], answer  # it died: SQS delivers the same body again
            redelivery = {
                "progress_before": before,
                "progress_at_crash": progress(),
                "died_items": counter.items,
            }
            at = ends + cpu
            continue
        assert answer == {"batchItemFailures": []}, answer
        units.append({"items": counter.items, "cpu": round(cpu, 3), "seconds": round(ends - at + cpu, 3)})
        if len(units) == 1:
            redelivery.update(progress_after=progress(), items=counter.items)
        at = ends + cpu
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not messages:
            break
        body = json.loads(messages[0]["Body"])
    return units, redelivery


def _stored_ends(tenant: str, days: list[str]) -> Counter[tuple[str | None, str]]:
    """(partition, status) -> count at the end of the last day, from the rollup's items."""
    from boto3.dynamodb.conditions import Key
    from fleetreport.settings import get_settings
    from fleetreport.storage.aws import table

    rollups = table(get_settings().rollups_table)
    ends: Counter[tuple[str | None, str]] = Counter()
    top = rollups.get_item(Key={"pk": f"ST#{tenant}", "sk": days[-1]}).get("Item") or {}
    for status, count in (top.get("end") or {}).items():
        ends[(None, status)] = int(count)
    for owner in range(OWNERS):
        found = rollups.query(
            KeyConditionExpression=Key("pk").eq(f"ST#{tenant}#org-{owner}") & Key("sk").lte(days[-1]),
            ScanIndexForward=False,
            Limit=1,
        )["Items"]
        for status, count in (found[0]["end"] if found else {}).items():
            ends[(f"org-{owner}", status)] = int(count)
    return ends


def measure(kind: str, size: int, budget: int | None, limit: int, crash_after: int) -> dict[str, Any]:
    import os

    if budget is not None:
        os.environ["ROLLUP_UNIT_ITEMS"] = str(budget)
    from bench.scenarios.storm import _stack
    from bench.store import (
        no_item_size_check,
        partition_queries,
        plain_json_reads,
        single_conversion_projection,
    )

    for patch in (partition_queries, no_item_size_check, single_conversion_projection, plain_json_reads):
        patch()  # moto's own slow paths (bench/store.py): items and ScannedCount unchanged
    template, session, _ = _stack()
    from fleetreport.rollup import runs
    from fleetreport.rollup.days import previous_day
    from fleetreport.settings import get_settings
    from fleetreport.storage.aws import table

    from bench.storm import StormModel

    settings = get_settings()
    now = datetime.now(UTC)
    closed = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    tenant = f"{kind}{size}"
    loading = time.perf_counter()
    if kind == "day":
        consumers, span_days = size // 2, 1
    else:
        consumers, span_days = size, 10
    first = closed - timedelta(days=span_days - 1)
    per_day = -(-consumers // span_days)
    seconds_apart = 86_000 / max(1, per_day)

    def instant_of(number: int) -> str:
        moment = first + timedelta(days=number // per_day, seconds=(number % per_day) * seconds_apart)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    recount = load_consumers(settings.compliance_table, tenant, consumers, instant_of)
    load_seconds = time.perf_counter() - loading
    rollups = table(settings.rollups_table)
    if kind == "day":  # rolled before: its unit starts on the day
        runs.advance(rollups, tenant, "last_day", previous_day(first.date().isoformat()))
        marker, progress = f'"L#{tenant}#', lambda: _saved_changes(rollups, tenant)
    else:
        marker, progress = f'"T#{tenant}#C@', lambda: _walked(rollups, tenant)
    model = StormModel(template, "RollupFunction", 1, now)
    counter = ItemsRead()
    crash = _Crash(marker, crash_after)
    session.events.register("after-call.dynamodb", counter)
    session.events.register("before-call.dynamodb", crash)
    undo = model.install(session, session.client("dynamodb"))
    running = time.perf_counter()
    try:
        units, redelivery = run_units(model, counter, tenant, progress, crash)
    finally:
        undo()
    days = [(first + timedelta(days=n)).date().isoformat() for n in range(span_days)]
    exact = _stored_ends(tenant, days) == recount
    return {
        "kind": kind,
        "size": size,
        "changes": 2 * consumers,
        "consumers": consumers,
        "budget": settings.rollup_unit_items,
        "units": units,
        "redelivery": redelivery,
        "exact": exact,
        "load_seconds": round(load_seconds),
        "run_seconds": round(time.perf_counter() - running),
        **unit_verdict(units, redelivery, exact, limit),
    }


def _saved_changes(rollups: Any, tenant: str) -> int:
    """Changes counted in the saved parts of the tenant's day (what a redelivery continues from)."""
    from boto3.dynamodb.conditions import Key
    from fleetreport.rollup.slices import DayPart

    total = 0
    for item in _items(rollups, Key("pk").begins_with(f"SL#{tenant}#")):
        total += DayPart.decode(bytes(item["part"])).changes
    return total


def _items(rollups: Any, condition: Any) -> Iterator[dict[str, Any]]:
    answer = rollups.scan(FilterExpression=condition)
    yield from answer.get("Items", [])
    while "LastEvaluatedKey" in answer:
        answer = rollups.scan(FilterExpression=condition, ExclusiveStartKey=answer["LastEvaluatedKey"])
        yield from answer.get("Items", [])


def _walked(rollups: Any, tenant: str) -> int:
    """How far the first walk got: partition * 10^7 + the consumer number it last read there."""
    run = rollups.get_item(Key={"pk": "RUN", "sk": tenant}).get("Item") or {}
    scan = run.get("first_scan") or {}
    after = str((scan.get("after") or {}).get("sk", "")).rsplit("-", 1)[-1]
    return int(scan.get("shard", 0)) * 10**7 + (int(after) if after.isdigit() else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios.rollup_units")
    parser.add_argument("kind", choices=("day", "first"))
    parser.add_argument("--size", type=int, required=True, help="changes (day) or consumers (first)")
    parser.add_argument("--budget", type=int, help="ROLLUP_UNIT_ITEMS (default: the template's)")
    parser.add_argument("--limit", type=int, default=UNIT_ITEMS_LIMIT, help="the verdict's items per unit")
    parser.add_argument("--crash-after", type=int, default=6, help="Queries before the first unit dies")
    args = parser.parse_args(argv)
    from bench.scenarios.storm import answer_in_model

    return answer_in_model(lambda: measure(args.kind, args.size, args.budget, args.limit, args.crash_after))


__all__ = ["UNIT_SECONDS_LIMIT", "main", "measure"]

if __name__ == "__main__":
    sys.exit(main())
