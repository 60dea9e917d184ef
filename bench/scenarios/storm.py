"""Storm workloads of SPEC §9 on the storm model (bench/storm.py), each in its own process:

    python -m bench.scenarios.storm W1 --devices 20000 --seconds 60 --containers 50
    python -m bench.scenarios.storm W2 --consumers 100000 --seconds 300 --containers 20
    python -m bench.scenarios.storm W3 --rate 1540 --groups 200000 --seconds 60 --containers 100

W1 crash storm: every device of one app sends the same failure once, arrivals spread evenly over the
window, default limits, through `POST /reports/ingest`. Exact when the group's count equals the
reports answered 202 (each counted once, none of the 429s).
W2 compliance burst: consumers of one tenant (each already counted `valid`) get an `invalid` snapshot,
sent through the compliance queue (SQS event source: batches of 10, visibility 180 s, 5 receives,
then the DLQ); ComplianceTable's stream is delivered to ComplianceCountsFunction every simulated
second, every fifth batch twice (a retried batch). Exact when the maintained status counts equal a
recount of every consumer's newest snapshot, and nothing was dead-lettered.
W3 busy fleet: one owner with 5 apps and 10,000,000 devices at ≈ 1,540 reports/s spread over 200,000
groups (Zipf, s = 1.1), 1 % with details, 20 operators listing; the per-key limit at 100,000 a minute.
Exact when every group's count equals the reports answered 202 for it.

Every workload's capacity is the one meter's (bench/capacity.py): the hottest partition key of any
table or GSI in its worst simulated second, and WCU per operation kind.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

W3_RATE = 1_540  # reports/s: 1,000,000,000 a month at 4 x the mean rate (SPEC §9)


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "fleetreport",
            # before any import: a Logger reads its level when created, and the local stack's modules
            # create theirs as they are imported (100k INFO lines would time the logger, not the model)
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


def _stack() -> tuple[Any, Any, Any]:
    """moto in this process, the template's resources and every function's environment."""
    import boto3
    from fleetreport.settings import get_settings
    from fleetreport.storage.aws import reset_clients
    from fleetreport_local.invoker import function_environment
    from fleetreport_local.template import create_resources, load_template

    template = load_template()
    boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    create_resources(template, session, endpoint=None)  # type: ignore[arg-type]
    os.environ.update(function_environment(template))
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"  # 100k INFO lines would time the logger, not the model
    get_settings.cache_clear()
    reset_clients()
    return template, session, session.client("dynamodb")


def crash_storm(devices: int, seconds: float, containers: int) -> dict[str, Any]:
    template, session, client = _stack()  # first: modules read their environment when imported
    from fleetreport.apps.models import NewApp
    from fleetreport.apps.store import AppStore
    from fleetreport.storage.aws import table
    from fleetreport_local.apigw import http_api_event

    from bench.storm import StormModel

    app, key = AppStore(table(template.physical_name("AppsTable"))).create(
        "storm", NewApp(name="storm", reports=True)
    )
    assert key is not None
    start = datetime.now(UTC).replace(second=30, microsecond=0)  # spans two minute windows
    model = StormModel(template, "IngestFunction", containers, start)
    body = json.dumps(
        {
            "application": {"name": "storm", "version": "2.0.1", "channel": "stable"},
            "system": {"platform": "windows", "arch": "amd64"},
            "event": {"type": "crash", "reason": "segfault_at_start"},
        }
    )
    rng = random.Random(20261201)

    def requests() -> Any:
        for index in range(devices):
            headers = {"Authorization": f"Bearer {key.plaintext}", "X-Device-ID": f"device-{index:06d}"}
            event = http_api_event(
                "POST", "/reports/ingest", route_key="POST /reports/ingest", headers=headers, body=body
            )
            yield (index + rng.random()) * seconds / devices, event

    undo = model.install(session, client)
    wall = time.perf_counter()
    try:
        answers = model.serve_requests(requests(), _report_kind)
    finally:
        undo()
    statuses = Counter(int(answer["statusCode"]) for answer in answers)
    group_hash = json.loads(next(a["body"] for a in answers if a["statusCode"] == 202))["group_hash"]
    group = table(template.physical_name("GroupsTable")).get_item(
        Key={"app_id": app.app_id, "group_hash": group_hash}
    )["Item"]
    return {
        **_verdict(model),
        "requests": devices,
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "counted": int(group["count"]),
        "exact": int(group["count"]) == statuses[202] and set(statuses) <= {202, 429},
        "wall_seconds": time.perf_counter() - wall,
    }


def compliance_burst(
    consumers: int, seconds: float, containers: int, redeliver_every: int = 5
) -> dict[str, Any]:
    template, session, client = _stack()
    from fleetreport.compliance.counts import status_counts_at
    from fleetreport.compliance.timefmt import to_storage
    from fleetreport.storage.aws import table

    from bench.storm import Message, SimulatedQueue, StormModel, StreamFeed

    tenant = "storm"
    compliance = table(template.physical_name("ComplianceTable"))
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    uuids = [f"{index:08d}-5e1f-4c2a-9d3b-00000000storm"[:36] for index in range(consumers)]
    _preload(compliance, tenant, uuids, start - timedelta(days=1))
    model = StormModel(template, "EventsFunction", containers, start)
    queue = SimulatedQueue(batch_size=10, visibility_s=180, max_receives=5)
    rng = random.Random(20261202)
    for index, uuid in enumerate(uuids):
        at = (index + rng.random()) * seconds / consumers
        queue.send(
            Message(
                f"m-{index}",
                json.dumps(_snapshot_event(uuid, start + timedelta(seconds=at), index)),
                {"owner": tenant},
                at,
            )
        )
    undo = model.install(session, client)
    # The status counts follow ComplianceTable's stream (ADR 25): its mapping runs in the model too,
    # every `redeliver_every`-th batch delivered twice; its cost is the events'.
    streams = StreamFeed(model, _unmetered_pump(template), window_s=1.0, redeliver_every=redeliver_every)
    wall = time.perf_counter()
    try:
        with model.meter.window() as usage:
            model.drain_queue(queue, streams)
        model.meter.book("compliance event", usage, consumers)
    finally:
        undo()
    after = max(model.clock.now(), datetime.now(UTC)) + timedelta(seconds=1)  # the counts answer "now"
    maintained = status_counts_at(compliance, tenant, None, to_storage(after))
    recount = _recount(template.physical_name("ComplianceTable"), tenant)
    return {
        **_verdict(model),
        "consumers": consumers,
        "dead_lettered": len(queue.dead),
        "redelivered": queue.retried,
        "stream_batches": streams.batches,
        "stream_batches_redelivered": streams.redelivered,
        "counts": maintained,
        "recount": recount,
        "exact": maintained == recount and not queue.dead,
        "wall_seconds": time.perf_counter() - wall,
    }


def _report_kind(answer: Any) -> str | None:
    status = int(answer["statusCode"])
    return {202: "accepted report", 429: "refused report"}.get(status, f"report answered {status}")


def _verdict(model: Any) -> dict[str, Any]:
    from bench.storm import within_partition_budget

    return {
        "hottest": model.meter.hottest(),
        "hot_ok": within_partition_budget(model.meter),
        "per_kind": model.meter.per_kind(),
        "usage": model.meter.total.to_dict(),
        "writes": model.log.writes,
        "transactions": model.log.transactions,
        "conflicts": model.log.conflicts,
        "backoff_seconds": round(model.clock.slept, 3),
        "simulated_seconds": round(model.clock.seconds, 1),
        "containers": len(model.containers),
    }


def _snapshot_event(uuid: str, moment: datetime, index: int) -> dict[str, Any]:
    date = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    entity = {
        "consumer": {"uuid": uuid, "name": f"host-{index}", "owner": {"key": f"org-{index % 20:02d}"}},
        "entitlements": [],
        "status": {"status": "invalid", "date": date, "reasons": []},
    }
    return {
        "id": f"burst-{index}",
        "type": "CREATED",
        "target": "COMPLIANCE",
        "timestamp": date,
        "entity": json.dumps(entity),
    }


def _unmetered_pump(template: Any) -> Any:
    """The local stream mapping (fleetreport_local), reading the stream on clients of a session of its
    own: the pump's GetRecords are the mapping's, not the functions' (neither metered nor timed)."""
    import boto3
    from fleetreport_local.stream_poller import StreamPump

    own = boto3.session.Session()
    return StreamPump(template, streams=own.client("dynamodbstreams"), dynamodb=own.client("dynamodb"))


def _preload(compliance: Any, tenant: str, uuids: list[str], moment: datetime) -> None:
    """Every consumer already counted `valid` (as the events path and the counts stream leave it),
    written in bulk and off the stream (a restore, not traffic: its counts are loaded with it)."""
    from collections import Counter as Tally

    from fleetreport.compliance import keys
    from fleetreport.compliance.counts import Counted, counts_key
    from fleetreport.compliance.timefmt import to_storage
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    instant = to_storage(moment)
    counts: dict[str | None, Tally[str]] = {}
    moto_table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(compliance.name)
    shard, moto_table.stream_shard = moto_table.stream_shard, None
    try:
        with compliance.batch_writer() as batch:
            for index, uuid in enumerate(uuids):
                owner = f"org-{index % 20:02d}"
                sort_key = keys.snapshot_sk(instant, f"first-{index}")
                counted = Counted(sort_key, "valid", owner)
                batch.put_item(
                    Item={
                        **keys.consumer_key(tenant, uuid),
                        "uuid": uuid,
                        "created": instant,
                        "owner_key": owner,
                        "owner_scope": keys.owner_scope(tenant, owner),
                        "status": "valid",
                        "status_date": instant,
                        **counted.attributes(),
                    }
                )
                batch.put_item(Item={"pk": keys.snapshot_pk(tenant, uuid), "sk": sort_key, "status": "valid"})
                for partition, attribute in counted.counted_in():
                    counts.setdefault(partition, Tally())[attribute] += 1
            batch.put_item(Item={"pk": keys.TENANTS_PK, "sk": tenant})
            for partition, tally in counts.items():
                batch.put_item(Item={**counts_key(tenant, partition), **tally})
    finally:
        moto_table.stream_shard = shard


def _recount(table_name: str, tenant: str) -> dict[str, int]:
    """Every consumer's newest snapshot, read from moto's own store (not through the code under test)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    store = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[table_name]
    prefix = f"S#{tenant}#"
    counts: Counter[str] = Counter()
    for partition, items in store.items.items():
        if str(partition.value).startswith(prefix):
            newest = max(items, key=lambda sort_key: str(sort_key.value))
            counts[str(items[newest].attrs["status"].value).lower()] += 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios.storm")
    parser.add_argument("workload", choices=("W1", "W2", "W3"))
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--consumers", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=W3_RATE, help="W3: reports per simulated second")
    parser.add_argument("--groups", type=int, default=200_000, help="W3: groups the reports spread over")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--containers", type=int)
    parser.add_argument("--redeliver-every", type=int, default=5, help="W2: every n-th stream batch twice")
    args = parser.parse_args(argv)
    if args.workload == "W1":
        return answer_in_model(lambda: crash_storm(args.devices, args.seconds or 60, args.containers or 50))
    if args.workload == "W3":
        from bench.scenarios.storm_w3 import busy_fleet

        return answer_in_model(
            lambda: busy_fleet(args.rate, args.groups, args.seconds or 60, args.containers or 100)
        )
    return answer_in_model(
        lambda: compliance_burst(
            args.consumers, args.seconds or 300, args.containers or 20, args.redeliver_every
        )
    )


def answer_in_model(work: Callable[[], dict[str, Any]]) -> int:
    """Run `work` in the storm model (moto in this process, item-level transactions) and answer its
    result, with the process's peak RSS, as the one JSON line on stdout."""
    _environment()
    from fleetreport_local.moto_memory import forget_request_models
    from moto import mock_aws

    from bench.measure import peak_rss_mb
    from bench.storm import item_level_transactions

    # The handlers' EMF metrics go to stdout; this process answers one JSON line there.
    answer, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 (restored below)
    item_level_transactions()
    forget_request_models()  # moto would keep every item copy and stream record it ever made
    with mock_aws():
        result = work()
    result["rss_mb"] = peak_rss_mb()
    sys.stdout.close()
    sys.stdout = answer
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
