"""The cost model (SPEC §11): measured work per operation x monthly volumes x dated prices."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package
from bench import cost

FIGURES = {
    "items_read": 2.0,
    "write_units": 4.0,
    "s3_put": 0.0,
    "s3_get": 0.0,
    "aws_calls": 5.0,
    "own_seconds": 0.02,
}


def measured(**overrides: dict[str, float]) -> dict[str, Any]:
    operations = {name: dict(FIGURES) for name in cost.OPERATION_FUNCTION}
    operations["ingest_details"] |= {"s3_put": 1.0, "aws_calls": 7.0}
    operations.update(overrides)
    return {
        "operations": operations,
        "rollup_day": {**FIGURES, "items_read": 400.0, "changes": 100},
        "memory_mb": {fn: 512 for fn in {*cost.OPERATION_FUNCTION.values(), "RollupFunction"}},
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
    assert volumes["ingest"] + volumes["ingest_details"] == 1_000_000
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
