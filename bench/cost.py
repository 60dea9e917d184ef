"""Monthly AWS cost of a fleet (SPEC §11), from measured per-operation work times published prices.

`bench/cost_measure.py` runs the real handlers on moto and reports, per operation, the DynamoDB read
and write capacity units as the one meter prices them (bench/capacity.py), S3 calls, AWS calls and
the handler's own time — for every function: the API functions, the events consumer, the compliance
stream's consumer (ComplianceCounts), the groups stream's consumers (Aggregates, Alerts),
AlertDelivery and the rollup. This module multiplies them by
the fleet's monthly volumes (`Fleet`) and the on-demand prices of `bench/prices.json` (dated, with
sources). Every assumption that is not measured is a named constant below, stated in docs/deploy.md.
The marginal all-in cost of 1M more reports (or events) is the difference of two whole bills.

    python -m bench.cost             # the Markdown tables of docs/deploy.md (reference and 10x fleet)
    python -m bench.cost --update docs/deploy.md   # ... written into it
    python -m bench.run --only cost  # the bench/RESULTS.md row
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.report import Row, errored

ROOT = Path(__file__).resolve().parents[1]
PRICES = Path(__file__).with_name("prices.json")
SECONDS_PER_MONTH = 30 * 24 * 3600
GB = 1024**3

# ---- assumptions (not measured; docs/deploy.md states each one)
DETAILS_SHARE = 0.10  # reports that carry a debug payload
NEW_GROUP_SHARE = 0.05  # reports that open a group (the others land on a group seen before)
WORKING_DAYS = 22
OPERATOR_DAY = {  # one operator's requests on a working day
    "list_groups": 30,
    "group_detail": 10,
    "group_blobs": 3,
    "triage": 3,
    "status_trend_30_days": 3,
    "consumer_status_page": 2,
    "catalog": 2,
    "ui_page": 5,  # the page and its assets
    "releases_list": 3,  # the Releases page (or an update server asking the gate)
}
LIVE_GROUPS_PER_DEVICE = 0.2  # groups alive (seen within retention) per device
SNAPSHOT_MONTHS = 12  # compliance history kept when the bill is read
DYNAMODB_CALL_SECONDS = 0.006  # in-region round trip per DynamoDB call
S3_CALL_SECONDS = 0.025
FULL_CPU_MB = 1769  # Lambda gives one full vCPU at this memory size; less memory, less CPU
SQS_BATCH = 10  # events per SendMessageBatch and per Lambda batch
SQS_IDLE_POLLS = 5 * 3 * 60 * 24 * 30  # 5 pollers, one 20 s long poll each, all month
RESTORES_PER_FUNCTION_HOUR = 4  # SnapStart restores (new containers) per SnapStart function and hour
ALERT_EVENTS_PER_REPORT = 0.01  # EventBridge events (new/regressed/spike signals) per report
STREAM_BATCH_WINDOW_S = 1.0  # the stream consumers' MaximumBatchingWindowInSeconds (template.yaml)
COST_TARGETS = {"reports": 3.0, "events": 5.0}  # SPEC §11: all-in dollars per 1,000,000
CUSTOM_METRICS = 15  # metric name x dimension combinations the functions emit
XRAY_TRACED_PER_SECOND = 1  # default sampling: the first request each second ...
XRAY_TRACED_SHARE = 0.05  # ... and 5 % of the rest
BEACON_DAYS = 30  # SPEC §12 reference: each device sends one beacon a day
ROLLUPS_PER_MONTH = 30  # each closed day is rolled once
SCHEDULED_RUNS_PER_MONTH = 24 * 30  # the schedule fires hourly (most runs find nothing to roll)


# ---- Lambda's own log lines per invocation (the functions' lines are measured, bench/cost_measure.py).
# Plain text (no LoggingConfig): START, END and REPORT, as in the warm invocation of the example in
# https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html (its cold-start "Init Duration"
# left out), and the REPORT's XRAY line when the function traces.
_REQUEST = "8f507cfc-xmpl-4697-b07a-ac58fc914c95"
PLATFORM_TEXT_LINES = (
    f"START RequestId: {_REQUEST} Version: $LATEST",
    f"END RequestId: {_REQUEST}",
    f"REPORT RequestId: {_REQUEST}\tDuration: 15.74 ms\tBilled Duration: 16 ms\tMemory Size: 512 MB\t"
    "Max Memory Used: 56 MB\t",
)
PLATFORM_XRAY_LINE = (
    "XRAY TraceId: 1-5e34a614-10bdxmplf1fb44f07bc535a1\tSegmentId: 07f5xmpl2d1f6f85\tSampled: true\t"
)
# JSON format at SystemLogLevel INFO or DEBUG: platform.start and platform.report records with the fields
# of https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html. At WARN (the
# template's choice) Lambda sends neither for a successful invocation: "By default, Lambda sets the
# system log level to INFO. With this setting, Lambda automatically sends "start" and "report" log
# messages" (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
PLATFORM_JSON_RECORDS = (
    json.dumps({"time": "2026-12-01T00:21:51.358Z", "type": "platform.start",
                "record": {"requestId": _REQUEST, "version": "$LATEST"}}),
    json.dumps({"time": "2026-12-01T00:21:51.374Z", "type": "platform.report",
                "record": {"requestId": _REQUEST, "metrics": {"durationMs": 15.74, "billedDurationMs": 16,
                           "memorySizeMB": 512, "maxMemoryUsedMB": 56}, "status": "success"}}),
)  # fmt: skip
PLATFORM_JSON_TRACE = {
    "tracing": {
        "spanId": "07f5xmpl2d1f6f85",
        "type": "X-Amzn-Trace-Id",
        "value": "Root=1-5e34a614-10bdxmplf1fb44f07bc535a1;Sampled=1",
    }
}


@dataclass(frozen=True)
class Observability:
    """What template.yaml says the functions log and trace: the Lambda log format, the system log
    level and the functions with active X-Ray tracing."""

    log_format: str = "Text"
    system_log_level: str = "INFO"
    traced: frozenset[str] = frozenset()

    @classmethod
    def from_template(cls, parameters: dict[str, str] | None = None) -> Observability:
        from fleetreport_local.template import load_template

        template = load_template(parameters=parameters)
        defaults = template.raw.get("Globals", {}).get("Function", {})
        functions = template.resources("AWS::Serverless::Function")
        props = {name: {**defaults, **res.get("Properties", {})} for name, res in functions.items()}
        logging = template.resolve(defaults.get("LoggingConfig") or {})
        return cls(
            log_format=logging.get("LogFormat", "Text"),
            system_log_level=logging.get("SystemLogLevel", "INFO"),
            traced=frozenset(n for n, p in props.items() if template.resolve(p.get("Tracing")) == "Active"),
        )

    def platform_bytes(self, function: str) -> int:
        """Bytes of Lambda's own lines for one successful invocation of `function` (newlines counted)."""
        traced = function in self.traced
        if self.log_format != "JSON":
            lines = [*PLATFORM_TEXT_LINES, *([PLATFORM_XRAY_LINE] if traced else [])]
            return sum(len(line) + 1 for line in lines)
        if self.system_log_level == "WARN":
            return 0
        start, report = (json.loads(record) for record in PLATFORM_JSON_RECORDS)
        if traced:
            report["record"] |= PLATFORM_JSON_TRACE
        return sum(len(json.dumps(record, separators=(",", ":"))) + 1 for record in (start, report))


@dataclass(frozen=True)
class Fleet:
    name: str
    devices: int
    reports: int
    events: int
    consumers: int
    operators: int

    def times(self, factor: int) -> Fleet:
        return replace(
            self,
            name=f"{factor}x fleet",
            devices=self.devices * factor,
            reports=self.reports * factor,
            events=self.events * factor,
            consumers=self.consumers * factor,
            operators=self.operators * factor,
        )


REFERENCE = Fleet("reference fleet", 100_000, 1_000_000, 3_000_000, 10_000, 50)
OPERATION_FUNCTION = {
    "ingest": "IngestFunction",
    "ingest_repeat": "IngestFunction",
    "ingest_details": "IngestFunction",
    "aggregates_new_group": "AggregatesFunction",
    "aggregates_repeat": "AggregatesFunction",
    "alerts_new_group": "AlertsFunction",
    "alerts_repeat": "AlertsFunction",
    "alert_delivery": "AlertDeliveryFunction",
    "events_batch_of_10": "EventsFunction",
    "compliance_counts_batch": "ComplianceCountsFunction",
    "list_groups": "GroupsFunction",
    "group_detail": "GroupsFunction",
    "group_blobs": "GroupsFunction",
    "triage": "GroupsFunction",
    "status_trend_30_days": "RunReportFunction",
    "consumer_status_page": "RunReportFunction",
    "catalog": "CatalogFunction",
    "ui_page": "UiFunction",
    "beacon": "IngestFunction",
    "release_counts_beacon": "ReleaseCountsFunction",
    "release_counts_new_group": "ReleaseCountsFunction",
    "release_counts_repeat": "ReleaseCountsFunction",
    "releases_list": "ReleasesFunction",
}
NOT_HTTP = {"events_batch_of_10", "compliance_counts_batch", "rollup", "alert_delivery"} | {
    op for op in OPERATION_FUNCTION if op.startswith(("aggregates_", "alerts_", "release_counts_"))
}
# What one invocation of an operation is, for the per-1M column: a report, an event, a request.
PER = {
    op: "report"
    for op in OPERATION_FUNCTION
    if op.startswith(("ingest", "aggregates_", "alerts_", "release_counts_new", "release_counts_rep"))
}
PER |= {"beacon": "beacon", "release_counts_beacon": "beacon"}
PER |= {"events_batch_of_10": "event", "compliance_counts_batch": "event", "alert_delivery": "alert event"}
# An SQS batch of events is stored within a fraction of a second, so its consumer items' records reach
# the compliance stream's mapping in one batch (1 s window): one counts invocation per events batch,
# measured on a batch of SQS_BATCH consumer records (conservative at W2's rates, where a batch holds
# hundreds and each counts item is still written once).
ITEMS_PER_INVOCATION = {"events_batch_of_10": SQS_BATCH, "compliance_counts_batch": SQS_BATCH}


def load_prices() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PRICES.read_text())
    return document


def measure(smoke: bool) -> dict[str, Any]:
    """Run bench.cost_measure in a fresh process (moto in-process there, nothing leaks here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    args = [sys.executable, "-m", "bench.cost_measure", *(["--smoke"] if smoke else [])]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.cost_measure failed: {done.stderr.strip()[-600:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def monthly_volumes(fleet: Fleet) -> dict[str, float]:
    """Invocations per operation and month (an SQS batch of events is one operation).

    Every report writes its group, so each is one record on the groups stream for both consumers; at
    the reference fleet's rate (< 1 report a second, a 1 s batching window) a batch holds one record,
    which is how the consumers were measured: one invocation per record (conservative at high rates)."""
    plain = fleet.reports * (1 - DETAILS_SHARE)
    new_groups = fleet.reports * NEW_GROUP_SHARE
    volumes = {
        "ingest": plain * NEW_GROUP_SHARE,
        "ingest_repeat": plain * (1 - NEW_GROUP_SHARE),
        "ingest_details": fleet.reports * DETAILS_SHARE,
        "aggregates_new_group": new_groups,
        "aggregates_repeat": fleet.reports - new_groups,
        "alerts_new_group": new_groups,
        "alerts_repeat": fleet.reports - new_groups,
        "alert_delivery": fleet.reports * ALERT_EVENTS_PER_REPORT,
        "events_batch_of_10": fleet.events / SQS_BATCH,
        "compliance_counts_batch": fleet.events / SQS_BATCH,
        # SPEC §12: one beacon per device a day; its device-day mark is one record on the releases
        # stream. A report marks its device too: priced as if every report were its device's first of
        # the day (one record each; conservative, as the groups stream's consumers are priced).
        "beacon": fleet.devices * BEACON_DAYS,
        "release_counts_beacon": fleet.devices * BEACON_DAYS,
        "release_counts_new_group": new_groups,
        "release_counts_repeat": fleet.reports - new_groups,
    }
    for operation, per_day in OPERATOR_DAY.items():
        volumes[operation] = fleet.operators * WORKING_DAYS * per_day
    return volumes


def lambda_seconds(figures: dict[str, float], memory_mb: int) -> float:
    """Billed duration: our own time scaled to the CPU share of the memory size, plus AWS round trips."""
    cpu = max(1.0, FULL_CPU_MB / memory_mb)
    s3_calls = figures["s3_put"] + figures["s3_get"]
    return (
        figures["own_seconds"] * cpu
        + (figures["aws_calls"] - s3_calls) * DYNAMODB_CALL_SECONDS
        + (s3_calls * S3_CALL_SECONDS)
    )


class Bill:
    """Dollars by (service, operation)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], float] = defaultdict(float)

    def add(self, service: str, operation: str, dollars: float) -> None:
        self.lines[(service, operation)] += dollars

    def total(self) -> float:
        return sum(self.lines.values())

    def by(self, index: int) -> dict[str, float]:
        sums: dict[str, float] = defaultdict(float)
        for key, dollars in self.lines.items():
            sums[key[index]] += dollars
        return dict(sorted(sums.items(), key=lambda item: -item[1]))


def monthly_bill(
    fleet: Fleet, measured: dict[str, Any], prices: dict[str, float], seen: Observability | None = None
) -> Bill:
    """The month's bill; `seen` is what the template logs and traces (read from it when not given)."""
    seen = seen or Observability.from_template()
    bill = Bill()
    memory = measured["memory_mb"]
    per_op = dict(measured["operations"])
    rollup = measured["rollup_day"]
    changes_per_day = fleet.events / 30
    scale = changes_per_day / max(1, rollup["changes"])  # the rollup's work is proportional to changes
    per_op["rollup"] = {key: value * scale for key, value in rollup.items() if key != "changes"}
    volumes = {**monthly_volumes(fleet), "rollup": ROLLUPS_PER_MONTH}
    functions = {**OPERATION_FUNCTION, "rollup": "RollupFunction"}
    traced = 0.0
    for operation, count in volumes.items():
        figures = per_op[operation]
        mb = memory[functions[operation]]
        seconds = lambda_seconds(figures, mb)
        bill.add("Lambda", operation, count * (seconds * mb / 1024 * prices["lambda_arm64_gb_second"]))
        bill.add("Lambda", operation, count * prices["lambda_request"])
        bill.add(
            "DynamoDB", operation, count * figures["write_units"] * prices["dynamodb_write_request_unit"]
        )
        bill.add("DynamoDB", operation, count * figures["read_units"] * prices["dynamodb_read_request_unit"])
        bill.add("S3", operation, count * figures["s3_put"] * prices["s3_put_request"])
        bill.add("S3", operation, count * figures["s3_get"] * prices["s3_get_request"])
        if operation not in NOT_HTTP:
            bill.add("API Gateway (HTTP API)", operation, count * prices["http_api_request"])
        log_gb = count * (figures.get("log_bytes", 0.0) + seen.platform_bytes(functions[operation])) / GB
        bill.add("CloudWatch", operation, log_gb * prices["cloudwatch_logs_ingested_gb"])
        bill.add("CloudWatch", operation, log_gb * prices["cloudwatch_logs_stored_gb_month"])
        traced += count if functions[operation] in seen.traced else 0.0
    _add_queue_and_bus(bill, fleet, prices)
    _add_storage(bill, fleet, measured["stored"], prices)
    _add_snapstart(bill, memory, prices)
    _add_observability(bill, traced, prices)
    return bill


def marginal(
    fleet: Fleet,
    measured: dict[str, Any],
    prices: dict[str, float],
    what: str,
    seen: Observability | None = None,
) -> Bill:
    """The all-in cost of 1,000,000 more reports (`what="reports"`) or events: a whole bill minus
    another, so every line that grows with them (functions, logs, traces, queue, storage) is in."""
    seen = seen or Observability.from_template()
    more = replace(fleet, **{what: getattr(fleet, what) + 1_000_000})
    difference = Bill()
    base, grown = monthly_bill(fleet, measured, prices, seen), monthly_bill(more, measured, prices, seen)
    for key in set(base.lines) | set(grown.lines):
        difference.lines[key] = grown.lines.get(key, 0.0) - base.lines.get(key, 0.0)
    return difference


def _add_queue_and_bus(bill: Bill, fleet: Fleet, prices: dict[str, float]) -> None:
    # Send (batched by the producer), receive and delete-batch per batch, plus the idle long polls.
    requests = 3 * fleet.events / SQS_BATCH + SQS_IDLE_POLLS
    bill.add("SQS", "events_batch_of_10", requests * prices["sqs_request"])
    alert_events = fleet.reports * ALERT_EVENTS_PER_REPORT
    bill.add("EventBridge", "alert_delivery", alert_events * prices["eventbridge_custom_event"])
    bill.add("SQS", "alert_delivery", 3 * alert_events * prices["sqs_request"])  # send, receive, delete
    bill.add("EventBridge", "rollup", SCHEDULED_RUNS_PER_MONTH * prices["eventbridge_scheduler_invocation"])


def _add_storage(bill: Bill, fleet: Fleet, stored: dict[str, float], prices: dict[str, float]) -> None:
    groups = fleet.devices * LIVE_GROUPS_PER_DEVICE
    detailed = fleet.reports * DETAILS_SHARE  # a month of blobs (30-day retention, ≤ 10 per group)
    blobs = min(detailed, groups * 10)
    snapshots = fleet.events * SNAPSHOT_MONTHS
    table_gb = (
        groups * stored["GroupsTable"] + blobs * stored["BlobsTable"] + snapshots * stored["ComplianceTable"]
    ) / GB
    bill.add("DynamoDB", "storage", table_gb * prices["dynamodb_storage_gb_month"])
    bill.add("DynamoDB", "storage", table_gb * prices["dynamodb_pitr_gb_month"])
    bill.add("S3", "storage", blobs * stored["blob_object"] / GB * prices["s3_standard_gb_month"])


def _add_snapstart(bill: Bill, memory: dict[str, int], prices: dict[str, float]) -> None:
    """Every function with SnapStart in template.yaml (Admin's too): its cache all month, its restores,
    and one KMS decrypt of the JWT secret (AWS managed key) per restore."""
    gb = sum(memory[name] for name in snapstart_functions()) / 1024
    bill.add("Lambda", "SnapStart cache", gb * SECONDS_PER_MONTH * prices["lambda_snapstart_cache_gb_second"])
    restores = RESTORES_PER_FUNCTION_HOUR * 24 * 30
    bill.add("Lambda", "SnapStart restores", gb * restores * prices["lambda_snapstart_restore_gb"])
    decrypts = restores * len(snapstart_functions())
    bill.add("KMS", "JWT secret decrypts", decrypts * prices["kms_request"])


def snapstart_functions() -> list[str]:
    from fleetreport_local.template import load_template

    functions = load_template().resources("AWS::Serverless::Function")
    return sorted(name for name, res in functions.items() if "SnapStart" in res.get("Properties", {}))


def _add_observability(bill: Bill, traced_invocations: float, prices: dict[str, float]) -> None:
    """Alarms, metrics, the dashboard and the secret (fixed), and the X-Ray traces of the invocations of
    functions the template traces actively (none with `Tracing: PassThrough`)."""
    alarms = _template_alarm_metrics()
    bill.add("CloudWatch", "alarms", alarms * prices["cloudwatch_alarm_metric_month"])
    bill.add("CloudWatch", "custom metrics", CUSTOM_METRICS * prices["cloudwatch_custom_metric_month"])
    bill.add("CloudWatch", "dashboard", prices["cloudwatch_dashboard_month"])
    if traced_invocations:
        traced = min(traced_invocations, SECONDS_PER_MONTH * XRAY_TRACED_PER_SECOND)
        traced += (traced_invocations - traced) * XRAY_TRACED_SHARE
        bill.add("X-Ray", "traces", traced * prices["xray_trace_recorded"])
    bill.add("Secrets Manager", "JWT secret", prices["secretsmanager_secret_month"])


def _template_alarm_metrics() -> int:
    """Alarmed metrics in template.yaml: one per plain alarm, one per metric of a math/insights alarm."""
    from fleetreport_local.template import load_template

    resources = load_template().raw["Resources"].values()
    alarms = [res["Properties"] for res in resources if res["Type"] == "AWS::CloudWatch::Alarm"]
    return sum(max(1, sum(1 for q in a.get("Metrics", []) if "MetricStat" in q)) for a in alarms)


# ---------------------------------------------------------------------- output
def money(dollars: float) -> str:
    return f"${dollars:,.2f}" if dollars < 100 else f"${dollars:,.0f}"


def cost_rows(smoke: bool = False) -> list[Row]:
    figure = (
        "cost model reference fleet (100k devices, 1M reports + 3M events a month, "
        "10k consumers, 50 operators)"
    )
    try:
        measured = measure(smoke)
    except Exception as exc:  # the orchestrator shows it as an ERROR row
        return [errored("cost", figure, "(reported)", f"{type(exc).__name__}: {exc}")]
    document = load_prices()
    prices = document["prices"]
    seen = Observability.from_template()
    reference = monthly_bill(REFERENCE, measured, prices, seen)
    tenfold = monthly_bill(REFERENCE.times(10), measured, prices, seen)
    top = ", ".join(f"{service} {money(d)}" for service, d in list(reference.by(0).items())[:4])
    dated = f"us-east-1 on-demand prices of {document['date']} (bench/prices.json)"
    rows = [
        Row(
            "cost",
            figure,
            "(reported: no budget)",
            measured=f"{money(reference.total())}/month ({top}); 10x fleet {money(tenfold.total())}/month",
            note=f"{dated}; assumptions in bench/cost.py and docs/deploy.md",
        )
    ]
    for what, label in (("reports", "reports"), ("events", "compliance events")):
        bill = marginal(REFERENCE, measured, prices, what, seen)
        rows.append(_all_in_row(what, label, bill, measured, dated))
    return rows


def _all_in_row(what: str, label: str, bill: Bill, measured: dict[str, Any], dated: str) -> Row:
    """`cost per 1M <label> (all-in)` against SPEC §11's target, with what dominates it."""
    target = COST_TARGETS[what]
    services = ", ".join(f"{service} {money(d)}" for service, d in list(bill.by(0).items())[:4] if d > 0.005)
    lines = sorted(bill.lines.items(), key=lambda item: -item[1])[:3]
    dominant = ", ".join(f"{service} {operation} {money(d)}" for (service, operation), d in lines)
    work = _unit_work(what, measured)
    return Row(
        "cost",
        f"cost per 1M {label} (all-in)",
        f"≤ ${target:g} per 1,000,000 {label} (SPEC §11)",
        measured=f"{money(bill.total())} ({services}); dominated by {dominant}",
        writes=work,
        checks=[(f"≤ ${target:g}", bill.total() <= target)],
        note=f"marginal: the reference fleet's bill with 1M more {label} minus its bill; {dated}",
    )


def _unit_work(what: str, measured: dict[str, Any]) -> str:
    """The meter's WCU/RCU and the bytes logged per report (mean over the report mix, stream consumers
    included) or per event."""
    fleet = replace(REFERENCE, reports=1_000_000, events=1_000_000)
    volumes = monthly_volumes(fleet)
    ops = [
        op
        for op in volumes
        if PER.get(op, "") in (("report", "alert event") if what == "reports" else ("event",))
    ]
    wcu = sum(volumes[op] * measured["operations"][op]["write_units"] for op in ops) / 1_000_000
    rcu = sum(volumes[op] * measured["operations"][op]["read_units"] for op in ops) / 1_000_000
    logged = sum(volumes[op] * measured["operations"][op].get("log_bytes", 0.0) for op in ops) / 1_000_000
    unit = "report" if what == "reports" else "event"
    return f"{wcu:.3g} WCU, {rcu:.3g} RCU, {logged:,.0f} B logged per {unit} (every function)"


def markdown(measured: dict[str, Any], document: dict[str, Any]) -> str:
    seen = Observability.from_template()
    bills = {
        fleet.name: monthly_bill(fleet, measured, document["prices"], seen)
        for fleet in (REFERENCE, REFERENCE.times(10))
    }
    names = list(bills)
    lines = [f"| service | {' | '.join(names)} |", "|---|" + "---:|" * len(names)]
    for service in bills[names[0]].by(0):
        lines.append(
            f"| {service} | " + " | ".join(money(b.by(0).get(service, 0.0)) for b in bills.values()) + " |"
        )
    lines.append("| **total** | " + " | ".join(f"**{money(b.total())}**" for b in bills.values()) + " |")
    lines += [
        "",
        "| operation (reference fleet) | per month | per 1M | measured work per invocation |",
        "|---|---:|---|---|",
    ]
    volumes = {**monthly_volumes(REFERENCE), "rollup": ROLLUPS_PER_MONTH}
    for operation, dollars in bills[names[0]].by(1).items():
        lines.append(f"| {operation} | {money(dollars)} | {_per_million(operation, dollars, volumes)} | "
                     f"{_work(measured['operations'].get(operation))} |")  # fmt: skip
    traced = ", ".join(sorted(seen.traced)) or "none"
    platform = seen.platform_bytes("")
    lines.append(
        f"\nLogs per invocation: the bytes each operation's functions wrote (measured, above) + {platform} B"
        f" of Lambda platform lines untraced (template.yaml: LogFormat {seen.log_format}, SystemLogLevel"
        f" {seen.system_log_level}). X-Ray active tracing: {traced}."
    )
    for what, label in (("reports", "reports"), ("events", "compliance events")):
        bill = marginal(REFERENCE, measured, document["prices"], what, seen)
        top = ", ".join(f"{service} {money(d)}" for service, d in list(bill.by(0).items())[:4])
        lines.append(f"\n**All-in cost per 1,000,000 {label}: {money(bill.total())}** ({top}; target "
                     f"${COST_TARGETS[what]:g}); {_unit_work(what, measured)}.")  # fmt: skip
    return "\n".join(lines)


def _per_million(operation: str, dollars: float, volumes: dict[str, float]) -> str:
    """Dollars per 1M of what the operation serves: reports, events (not batches), or requests."""
    count = volumes.get(operation)
    if not count or operation == "rollup":
        return "-"
    items = count * ITEMS_PER_INVOCATION.get(operation, 1)
    return f"{money(dollars / items * 1_000_000)} per 1M {PER.get(operation, 'request')}s"


def _work(figures: dict[str, float] | None) -> str:
    if not figures:
        return ""
    return (
        f"{figures['read_units']:g} RCU, {figures['write_units']:g} WCU, "
        f"{figures['s3_put'] + figures['s3_get']:g} S3 calls, {figures['aws_calls']:g} AWS calls, "
        f"{figures['own_seconds'] * 1000:.0f} ms own time, {figures.get('log_bytes', 0.0):.0f} B logged"
    )


def update_deploy_doc(path: Path, tables: str) -> None:
    """Replace the cost tables of docs/deploy.md (from its service table to the all-in events line)."""
    text = path.read_text()
    start = text.index("| service | reference fleet |")
    last = text.index("**All-in cost per 1,000,000 compliance events:", start)
    end = text.index("\n", last)
    path.write_text(text[:start] + tables + text[end:])


if __name__ == "__main__":
    tables = markdown(measure("--smoke" in sys.argv), load_prices())
    if "--update" in sys.argv:  # python -m bench.cost --update docs/deploy.md
        update_deploy_doc(Path(sys.argv[sys.argv.index("--update") + 1]), tables)
    print(tables)
