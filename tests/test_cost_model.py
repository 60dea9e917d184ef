"""The cost model (SPEC §11): measured work per operation x monthly volumes x dated prices."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package
from bench import cost

FIGURES = {
    "read_units": 2.0,
    "write_units": 4.0,
    "s3_put": 0.0,
    "s3_get": 0.0,
    "aws_calls": 5.0,
    "own_seconds": 0.02,
    "log_bytes": 700.0,
    "log_lines": 2.0,
}
# What the template says by default (JSON logs, system logs at WARN, no active tracing) and its opposite.
QUIET = cost.Observability(log_format="JSON", system_log_level="WARN", traced=frozenset())
LOUD = cost.Observability(
    log_format="Text", system_log_level="INFO", traced=frozenset(cost.OPERATION_FUNCTION.values())
)


def measured(**overrides: dict[str, float]) -> dict[str, Any]:
    operations = {name: dict(FIGURES) for name in cost.OPERATION_FUNCTION}
    operations["ingest_details"] |= {"s3_put": 1.0, "aws_calls": 7.0}
    operations.update(overrides)
    return {
        "operations": operations,
        "rollup_day": {**FIGURES, "read_units": 400.0, "changes": 100},
        "memory_mb": {
            fn: 512 for fn in {*cost.OPERATION_FUNCTION.values(), "RollupFunction", "AdminFunction"}
        },
        "stored": {
            "GroupsTable": 600.0,
            "BlobsTable": 800.0,
            "ComplianceTable": 500.0,
            "blob_object": 1000.0,
        },
    }


def prices() -> dict[str, float]:
    return dict(cost.load_prices()["prices"])


def test_the_price_table_carries_its_date_region_and_sources() -> None:
    document = json.loads(cost.PRICES.read_text())
    assert document["region"] == "us-east-1" and document["date"]
    assert {"lambda", "dynamodb", "s3", "sqs", "apigateway", "cloudwatch"} <= set(document["sources"])


def test_the_reference_fleet_sends_the_spec_volumes() -> None:
    volumes = cost.monthly_volumes(cost.REFERENCE)
    assert volumes["ingest"] + volumes["ingest_repeat"] + volumes["ingest_details"] == 1_000_000
    # every report is one record on the groups stream for each of its two consumers
    assert volumes["aggregates_new_group"] + volumes["aggregates_repeat"] == 1_000_000
    assert volumes["alerts_new_group"] + volumes["alerts_repeat"] == 1_000_000
    assert volumes["events_batch_of_10"] * cost.SQS_BATCH == 3_000_000
    assert volumes["list_groups"] == 50 * cost.WORKING_DAYS * cost.OPERATOR_DAY["list_groups"]


def test_dynamodb_writes_are_priced_per_write_unit_of_each_operation() -> None:
    base = cost.monthly_bill(cost.REFERENCE, measured(), prices())
    more = dict(FIGURES, write_units=FIGURES["write_units"] + 1)
    heavier = cost.monthly_bill(cost.REFERENCE, measured(ingest=more), prices())
    extra = heavier.lines[("DynamoDB", "ingest")] - base.lines[("DynamoDB", "ingest")]
    ingests = cost.monthly_volumes(cost.REFERENCE)["ingest"]
    assert abs(extra - ingests * prices()["dynamodb_write_request_unit"]) < 1e-9


def test_less_memory_means_less_cpu_and_longer_billed_time() -> None:
    assert cost.lambda_seconds(FIGURES, 256) > cost.lambda_seconds(FIGURES, 1769)
    assert cost.lambda_seconds(FIGURES, 1769) == cost.lambda_seconds(FIGURES, 3538)


def test_the_bill_breaks_down_by_service_and_operation_and_grows_with_the_fleet() -> None:
    reference = cost.monthly_bill(cost.REFERENCE, measured(), prices())
    tenfold = cost.monthly_bill(cost.REFERENCE.times(10), measured(), prices())
    assert {"Lambda", "DynamoDB", "S3", "SQS", "API Gateway (HTTP API)", "CloudWatch"} <= set(reference.by(0))
    assert {"ingest", "events_batch_of_10", "rollup", "storage"} <= set(reference.by(1))
    assert reference.total() < tenfold.total() < 10 * reference.total()
    assert abs(sum(reference.by(0).values()) - reference.total()) < 1e-6


def test_every_function_of_the_template_is_priced() -> None:
    from fleetreport_local.template import load_template

    functions = set(load_template().resources("AWS::Serverless::Function"))
    priced = {*cost.OPERATION_FUNCTION.values(), "RollupFunction"}
    # AdminFunction serves no fleet-driven operation; it is priced through its SnapStart cache
    assert functions - priced <= {"AdminFunction"}
    assert "AdminFunction" in cost.snapstart_functions()
    bill = cost.monthly_bill(cost.REFERENCE, measured(), prices())
    assert {"aggregates_repeat", "alerts_new_group", "alert_delivery"} <= set(bill.by(1))


def test_events_are_priced_per_million_events_not_per_million_batches() -> None:
    volumes = cost.monthly_volumes(cost.REFERENCE)
    dollars = 30.0
    label = cost._per_million("events_batch_of_10", dollars, volumes)
    per_event = dollars / (volumes["events_batch_of_10"] * cost.SQS_BATCH) * 1_000_000
    assert label == f"{cost.money(per_event)} per 1M events"
    assert cost._per_million("ingest", dollars, volumes).endswith("per 1M reports")


def test_the_all_in_cost_of_a_million_reports_is_the_bill_it_adds() -> None:
    base = cost.monthly_bill(cost.REFERENCE, measured(), prices())
    more = cost.monthly_bill(
        cost.replace(cost.REFERENCE, reports=cost.REFERENCE.reports + 1_000_000), measured(), prices()
    )
    added = cost.marginal(cost.REFERENCE, measured(), prices(), "reports")
    assert abs(added.total() - (more.total() - base.total())) < 1e-6
    # the stream consumers' and the ingest's write units are in it; fixed costs are not
    wcu = prices()["dynamodb_write_request_unit"]
    assert added.lines[("DynamoDB", "aggregates_repeat")] > 0
    assert added.lines[("DynamoDB", "ingest_repeat")] >= 0.9 * 1_000_000 * 0.95 * FIGURES["write_units"] * wcu
    assert added.lines.get(("CloudWatch", "dashboard"), 0.0) == 0.0


def test_an_operation_that_logs_more_pays_more_for_its_logs() -> None:
    chatty = dict(FIGURES, log_bytes=FIGURES["log_bytes"] + 1000)
    base = cost.monthly_bill(cost.REFERENCE, measured(), prices(), QUIET)
    louder = cost.monthly_bill(cost.REFERENCE, measured(ingest_repeat=chatty), prices(), QUIET)
    extra = louder.lines[("CloudWatch", "ingest_repeat")] - base.lines[("CloudWatch", "ingest_repeat")]
    per_gb = prices()["cloudwatch_logs_ingested_gb"] + prices()["cloudwatch_logs_stored_gb_month"]
    ingests = cost.monthly_volumes(cost.REFERENCE)["ingest_repeat"]
    assert abs(extra - ingests * 1000 / cost.GB * per_gb) < 1e-9
    assert louder.lines[("CloudWatch", "ingest")] == base.lines[("CloudWatch", "ingest")]


def test_an_operation_that_logs_nothing_pays_only_for_the_platform_lines_it_gets() -> None:
    silent = dict(FIGURES, log_bytes=0.0)
    quiet = cost.monthly_bill(cost.REFERENCE, measured(list_groups=silent), prices(), QUIET)
    assert quiet.lines[("CloudWatch", "list_groups")] == 0.0  # JSON, system logs at WARN: nothing
    loud = cost.monthly_bill(cost.REFERENCE, measured(list_groups=silent), prices(), LOUD)
    assert loud.lines[("CloudWatch", "list_groups")] > 0.0  # START, END, REPORT (+ XRAY) per request


def test_platform_lines_follow_the_log_format_system_level_and_tracing() -> None:
    assert QUIET.platform_bytes("IngestFunction") == 0
    untraced = cost.Observability(log_format="Text").platform_bytes("IngestFunction")
    assert untraced == sum(len(line) + 1 for line in cost.PLATFORM_TEXT_LINES)
    assert LOUD.platform_bytes("IngestFunction") == untraced + len(cost.PLATFORM_XRAY_LINE) + 1
    json_info = cost.Observability(log_format="JSON", system_log_level="INFO")
    assert json_info.platform_bytes("IngestFunction") > 0  # platform.start and platform.report


def test_tracing_off_prices_no_xray_and_on_prices_the_traced_invocations() -> None:
    off = cost.monthly_bill(cost.REFERENCE, measured(), prices(), QUIET)
    assert "X-Ray" not in off.by(0)
    assert (
        cost.marginal(cost.REFERENCE, measured(), prices(), "reports", QUIET).by(0).get("X-Ray", 0.0) == 0.0
    )
    on = cost.monthly_bill(cost.REFERENCE, measured(), prices(), LOUD)
    assert on.by(0)["X-Ray"] > 0.0
    only_ingest = cost.Observability(traced=frozenset({"IngestFunction"}))
    assert (
        0.0
        < cost.monthly_bill(cost.REFERENCE, measured(), prices(), only_ingest).by(0)["X-Ray"]
        < on.by(0)["X-Ray"]
    )


def test_the_model_reads_logging_and_tracing_from_the_template() -> None:
    default = cost.Observability.from_template()
    assert (default.log_format, default.system_log_level, default.traced) == ("JSON", "WARN", frozenset())
    traced = cost.Observability.from_template({"Tracing": "Active"})
    assert {*cost.OPERATION_FUNCTION.values(), "RollupFunction", "AdminFunction"} <= traced.traced


CAPTURE_SCRIPT = """
import json, logging, os, sys
from aws_lambda_powertools import Logger
from bench.output_capture import handler_output

logger = Logger(service="probe")  # its handler keeps the sys.stdout of this moment, as a function's does
print("before")
with handler_output() as inside:
    logger.info("report counted")
    print('{"_aws": {}}')
    os.write(2, b"stderr line\\n")
print("after")
sys.stdout.flush()
os.write(1, json.dumps({"captured": inside.getvalue().decode()}).encode() + b"\\n")
"""


def test_the_measure_captures_every_line_a_handler_writes_and_nothing_else() -> None:
    import subprocess

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", CAPTURE_SCRIPT],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    captured = json.loads(done.stdout.splitlines()[-1])["captured"].splitlines()
    assert len(captured) == 3
    assert json.loads(captured[0])["message"] == "report counted"  # Powertools' JSON line
    assert captured[1:] == ['{"_aws": {}}', "stderr line"]
    assert done.stdout.splitlines()[:2] == ["before", "after"]  # the streams are given back
