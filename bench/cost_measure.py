"""Measure, on the real handlers, what each operation of the cost model (bench/cost.py) costs.

`python -m bench.cost_measure [--smoke]` prints JSON: per operation, the DynamoDB read and write
capacity units as the one meter prices them (bench/capacity.py: item sizes, transactions 2x, every
GSI, refused writes), the S3 calls, the number of AWS calls and the handler's own time (wall time
minus the time spent waiting on moto), the bytes and lines the handler wrote to stdout and stderr
(Powertools' JSON log lines and EMF metrics, at the template's LogLevel: what Lambda sends to
CloudWatch Logs besides its own platform lines), medians over a few repetitions; and the average
stored size of the items and blobs the model keeps. It runs the handlers in this process on moto (`mock_aws`),
with tables and env built from template.yaml. The groups table's stream is pumped to its consumers
(AggregatesFunction, AlertsFunction) after each report, and the alert events the bus puts on the
delivery queue are handed to AlertDeliveryFunction, so every function's work is measured. The
release count items the measured reports and beacons update first get `HISTORY_DAYS` of per-day
history (`_seed_history`), so the stream consumers' writes are priced at a live version's item size.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.output_capture import handler_output

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "fleetreport",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

HISTORY_DAYS = 30  # days of a_/c_/r_ attributes each measured count item carries (KEEP_DAYS = 90)
EVENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "events")
TENANT = "costco"


def _sample(name: str) -> dict[str, Any]:
    with open(os.path.join(EVENTS, name)) as handle:
        event: dict[str, Any] = json.load(handle)
    event.pop("_expect", None)
    return event


class Bench:
    """The stack on moto plus the call log; `cost(fn)` runs fn and returns what it cost."""

    def __init__(self) -> None:
        import boto3
        from fleetreport.settings import get_settings
        from fleetreport.storage.aws import reset_clients
        from fleetreport_local.invoker import Invoker, function_environment
        from fleetreport_local.stream_poller import StreamPump
        from fleetreport_local.template import create_resources, load_template
        from fleetreport_local.tokens import DEV_SECRET, mint_token

        from bench.capacity import Meter
        from bench.measure import CallLog

        self.template = load_template()
        create_resources(self.template, boto3.Session(), endpoint=None)  # type: ignore[arg-type]
        env = function_environment(self.template)
        env["JWT_SECRET"] = DEV_SECRET
        os.environ.update(env)
        get_settings.cache_clear()
        reset_clients()
        names = {self.template.physical_name(t): t for t in self.template.resources("AWS::DynamoDB::Table")}
        self.log = CallLog(names)
        boto3.setup_default_session()
        self.log.install(boto3.DEFAULT_SESSION.events)  # type: ignore[attr-defined]
        self.meter = Meter.for_template(self.template)
        self.meter.install(boto3.DEFAULT_SESSION.events)  # type: ignore[attr-defined]
        self.invoker = Invoker(self.template)
        unhooked = boto3.session.Session()  # the pump's own reads of the stream are not the functions'
        self.pump = StreamPump(
            self.template,
            streams=unhooked.client("dynamodbstreams"),
            dynamodb=unhooked.client("dynamodb"),
            sqs=unhooked.client("sqs"),
        )
        self.admin = {"Authorization": f"Bearer {mint_token(role='admin', owner=TENANT)}"}

    def cost(self, action: Callable[[], Any]) -> dict[str, float]:
        """What `action` cost: capacity units from the meter, S3 calls and times from the call log."""
        start = len(self.log.calls)
        with self.meter.window() as usage, handler_output() as output:
            began = time.perf_counter()  # the capture's own set-up is not the handler's time
            action()
            wall = time.perf_counter() - began
        calls = self.log.calls[start:]
        s3 = [c for c in calls if c.service == "s3"]
        return {
            "read_units": usage.rcu,
            "write_units": usage.wcu,
            "s3_put": sum(1 for c in s3 if c.operation in ("PutObject", "DeleteObject")),
            "s3_get": sum(1 for c in s3 if c.operation not in ("PutObject", "DeleteObject")),
            "aws_calls": usage.calls + len(s3),
            "own_seconds": max(0.0, wall - sum(c.seconds for c in calls)),
            "log_bytes": float(len(output.getvalue())),
            "log_lines": float(len(output.getvalue().splitlines())),
        }

    def pump_streams(self, suffix: str, run: Callable[[str, Callable[[], Any]], None]) -> None:
        """Deliver the groups stream's pending records to its consumers, each delivery costed as
        `<function>_<suffix>`; then the alert events on the delivery queue to AlertDeliveryFunction."""
        names = {
            "AggregatesFunction": "aggregates",
            "AlertsFunction": "alerts",
            "ReleaseCountsFunction": "release_counts",
            "ComplianceCountsFunction": "compliance_counts",
        }

        def invoke(function: str, event: dict[str, Any]) -> Any:
            answer: list[Any] = []
            run(
                f"{names.get(function, function)}_{suffix}",
                lambda: answer.append(self.invoker.invoke(function, event)),
            )
            return answer[0]

        self.pump.pump(invoke)
        for event in self._delivery_events():
            run("alert_delivery", lambda event=event: self.invoker.invoke("AlertDeliveryFunction", event))

    def _delivery_events(self) -> list[dict[str, Any]]:
        import boto3

        sqs = boto3.client("sqs")
        url = self.template.created.get("AlertDeliveryQueue")
        if not url:
            return []
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [
            {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                          "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                          "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alert-delivery"}]}
            for m in messages
        ]  # fmt: skip


def _median(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}


def _ingest_event(key: str, index: int, details: bool, device: str | None = None) -> dict[str, Any]:
    event = _sample("ingest_report_with_details.json" if details else "ingest_report.json")
    event["headers"]["authorization"] = f"Bearer {key}"
    event["headers"]["x-device-id"] = device or f"device-{index}"
    body = json.loads(event["body"])
    body["application"]["name"] = "Agent"
    body["event"]["reason"] = f"reason-{index}"  # a group of its own: never rate-limited
    if details:  # a 4 KB JSON debug payload, about 1 KB gzipped
        payload = json.dumps({"log": [f"line {n}: step {index} failed" for n in range(150)]}).encode()
        body["details"]["payload"] = base64.b64encode(gzip.compress(payload)).decode()
    event["body"] = json.dumps(body)
    return event


def _beacon_event(key: str, index: int) -> dict[str, Any]:
    """A device's beacon (SPEC §12): its device-day mark is new, so the releases stream gets a record."""
    event = _sample("ingest_beacon.json")
    event["headers"]["authorization"] = f"Bearer {key}"
    event["headers"]["x-device-id"] = f"beacon-device-{index}"
    body = json.loads(event["body"])
    body["application"]["name"] = "Agent"
    event["body"] = json.dumps(body)
    return event


def _sqs_batch(index: int, size: int = 10) -> dict[str, Any]:
    batch = _sample("events_sqs_batch.json")
    record = batch["Records"][0]
    records = []
    for n in range(size):
        body = json.loads(record["body"])
        entity = json.loads(body["entity"])
        uuid = f"00000000-0000-4000-8000-{index * size + n:012d}"
        entity["consumer"]["uuid"] = uuid
        entity["status"]["status"] = ("valid", "invalid", "partial")[n % 3]
        body.update(id=f"evt-{index}-{n}", entity=json.dumps(entity))
        records.append({**record, "messageId": f"m-{index}-{n}", "body": json.dumps(body)})
        records[-1]["messageAttributes"]["owner"]["stringValue"] = TENANT
    return {"Records": records}


def _seed_history(bench: Bench, app_id: str, days: int) -> None:
    """Give the count items the measured reports and beacons update (releases/counting.py) the history
    a live version has: `days` days of `a_`/`c_`/`r_` attributes with a reference fleet's figures
    (tens of thousands of devices and reports a day), written through the consumers' own
    `apply_increments` a week a batch, before anything is measured. A write costs
    ⌈max(old, new) / 1 KB⌉ WCU, so a fresh, tiny count item would under-price every later update."""
    from datetime import UTC, datetime, timedelta

    from fleetreport.releases.counting import apply_increments
    from fleetreport.settings import get_settings

    settings = get_settings()
    today = datetime.now(UTC).date()
    for newest in range(1, days + 1, 7):
        week = [today - timedelta(days=back) for back in range(newest, min(days, newest + 6) + 1)]
        summed = _history_increments(app_id, week, lifetime=newest == 1)
        apply_increments(settings.rollups_table, settings.counters_table, summed, datetime.now(UTC))


def _history_increments(app_id: str, week: list[Any], lifetime: bool) -> dict[tuple[str, str], Any]:
    """One seeding batch: `week`'s day attributes (and the lifetime counts once) for every count item
    of the samples' versions and slices."""
    from fleetreport.releases.counting import Increment, day_attr
    from fleetreport.releases.keys import counts_key, slices_of

    summed: dict[tuple[str, str], Any] = {}
    for sample in ("ingest_report.json", "ingest_beacon.json"):
        body = json.loads(_sample(sample)["body"])
        version, channel = body["application"]["version"], body["application"]["channel"]
        for slice_ in slices_of(channel, body["system"]["platform"]):
            inc = Increment(TENANT, app_id, version, first_day=str(min(week)), last_day=str(max(week)))
            inc.event_ids.append(f"history-{slice_}-{version}-{min(week)}")
            if lifetime:
                inc.adds.update(active=60_000, crashed=4_000, reports=400_000)
            for day in week:
                back = (max(week) - day).days + 1
                inc.adds[day_attr("a", str(day))] = 41_000 + 37 * back
                inc.adds[day_attr("c", str(day))] = 300 + back
                inc.adds[day_attr("r", str(day))] = 9_000 + 13 * back
            summed[counts_key(app_id, slice_, version)] = inc
    return summed


def measure(repeat: int) -> dict[str, Any]:
    from moto import mock_aws

    with mock_aws():
        bench = Bench()
        http = bench.invoker.http
        created = http("POST", "/apps", headers=bench.admin, body={"name": "Agent", "reports": True})
        key = json.loads(created.text)["report_key"]
        app_id = json.loads(created.text)["id"]
        ops: dict[str, list[dict[str, float]]] = {}

        def run(name: str, action: Callable[[], Any]) -> None:
            ops.setdefault(name, []).append(bench.cost(action))

        bench.pump.pump(lambda function, event: bench.invoker.invoke(function, event))  # set-up records
        _seed_history(bench, app_id, HISTORY_DAYS)
        for i in range(repeat):
            run("ingest", lambda i=i: bench.invoker.invoke("ingest", _ingest_event(key, i, False)))
            bench.pump_streams("new_group", run)  # a report that opens a group (group.new fires)
            run(
                "ingest_repeat",
                lambda i=i: bench.invoker.invoke("ingest", _ingest_event(key, i, False, device=f"again-{i}")),
            )
            bench.pump_streams("repeat", run)  # a report on a group seen before
            run(
                "ingest_details",
                lambda i=i: bench.invoker.invoke("ingest", _ingest_event(key, 1000 + i, True)),
            )
            bench.pump_streams("new_group", run)
            run("events_batch_of_10", lambda i=i: bench.invoker.invoke("events", _sqs_batch(i)))
            bench.pump_streams("batch", run)  # its consumer items' records to the status counts
            run("beacon", lambda i=i: bench.invoker.invoke("ingest", _beacon_event(key, i)))
            bench.pump_streams("beacon", run)  # the device-day mark's record to the release counts
        group = json.loads(http("GET", "/reports/groups", headers=bench.admin).text)["items"][0]["group_hash"]
        for _ in range(repeat):
            run("list_groups", lambda: http("GET", "/reports/groups", headers=bench.admin))
            run("group_detail", lambda: http("GET", f"/reports/groups/{group}", headers=bench.admin))
            run("group_blobs", lambda: http("GET", f"/reports/groups/{group}/blobs", headers=bench.admin))
            run(
                "triage",
                lambda: http("PATCH", f"/reports/groups/{group}", headers=bench.admin, body={"note": "seen"}),
            )
            run(
                "status_trend_30_days",
                lambda: http(
                    "GET",
                    "/reports/status_trend/run",
                    headers=bench.admin,
                    query={"start_date": _days_ago(30), "end_date": _days_ago(0)},
                ),
            )
            run(
                "consumer_status_page",
                lambda: http(
                    "GET",
                    "/reports/consumer_status/run",
                    headers=bench.admin,
                    query={"page": "1", "per_page": "50"},
                ),
            )
            run("catalog", lambda: http("GET", "/reports", headers=bench.admin))
            run("releases_list", lambda: http("GET", f"/apps/{app_id}/releases", headers=bench.admin))
            run("ui_page", lambda: bench.invoker.invoke("ui", _sample("ui_index.json")))
        changes = repeat * 10
        day = json.loads(json.loads(_sqs_batch(0)["Records"][0]["body"])["entity"])["status"]["date"][:10]
        # One tenant's unit, rolled inline (what a fan-out worker does; a fleet run only enqueues).
        rollup = bench.cost(lambda: bench.invoker.invoke("rollup", {"date": day, "tenants": [TENANT]}))
        return {
            "operations": {name: _median(samples) for name, samples in ops.items()},
            "rollup_day": {**rollup, "changes": changes},
            "memory_mb": {
                fn.logical_id: _memory(bench.template, fn.logical_id)
                for fn in bench.template.functions().values()
            },
            "stored": _stored_sizes(bench),
        }


def _days_ago(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d")


def _memory(template: Any, logical_id: str) -> int:
    props = template.raw["Resources"][logical_id]["Properties"]
    return int(props.get("MemorySize", template.raw["Globals"]["Function"]["MemorySize"]))


def _item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size, closely enough: attribute names plus their values' lengths."""
    return sum(len(name) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: Any) -> int:
    if isinstance(value, dict):
        return _item_bytes(value)
    if isinstance(value, list | set | tuple):
        return sum(_value_bytes(v) for v in value)
    raw = getattr(value, "value", value)  # boto3 Binary wraps bytes
    return len(raw) if isinstance(raw, bytes) else len(str(raw).encode())


def _stored_sizes(bench: Bench) -> dict[str, float]:
    import boto3

    sizes: dict[str, float] = {}
    for logical_id in ("GroupsTable", "BlobsTable", "ComplianceTable"):
        items = boto3.resource("dynamodb").Table(bench.template.physical_name(logical_id)).scan()["Items"]
        sizes[logical_id] = statistics.mean(_item_bytes(item) for item in items) if items else 0.0
    s3 = boto3.client("s3")
    objects = s3.list_objects_v2(Bucket=bench.template.physical_name("BlobBucket")).get("Contents", [])
    sizes["blob_object"] = statistics.mean(obj["Size"] for obj in objects) if objects else 0.0
    return sizes


if __name__ == "__main__":
    result = measure(repeat=3 if "--smoke" in sys.argv else 7)
    sys.stdout.write("\n" + json.dumps(result) + "\n")  # the last line is the answer
