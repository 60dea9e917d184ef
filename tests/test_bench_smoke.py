"""The benchmark harness stays runnable: `python -m bench.run --smoke` measures every scenario at tiny
sizes, none errors, and the cost counters really count (a silent zero would pass every budget)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ("PASS", "FAIL")

pytestmark = pytest.mark.stack  # the throughput scenario starts `fleetreport serve`


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One smoke run for the module: `{"scenarios": [every scenario name], "rows": [...]}`."""
    out = tmp_path_factory.mktemp("bench") / "rows.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    finished = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert out.exists(), f"bench wrote no rows (exit {finished.returncode}):\n{finished.stderr[-3000:]}"
    document: dict[str, Any] = json.loads(out.read_text())
    rows = document["rows"]
    assert finished.returncode == 0 or any(row["result"] == "ERROR" for row in rows), finished.stderr[-3000:]
    return document


@pytest.fixture
def smoke_rows(smoke: dict[str, Any]) -> list[dict[str, Any]]:
    return list(smoke["rows"])


def test_smoke_produces_rows_for_every_scenario(smoke: dict[str, Any]) -> None:
    produced = {row["scenario"] for row in smoke["rows"]}
    assert len(smoke["scenarios"]) >= 9
    assert set(smoke["scenarios"]) <= produced, f"no rows for {set(smoke['scenarios']) - produced}"


def test_no_scenario_errors(smoke_rows: list[dict[str, Any]]) -> None:
    errors = [f"{row['figure']}: {row['note']}" for row in smoke_rows if row["result"] == "ERROR"]
    assert not errors, "\n".join(errors)


def test_measured_rows_show_the_dynamodb_work_they_counted(smoke_rows: list[dict[str, Any]]) -> None:
    """Listing groups reads items and ingest writes them: zeros would mean the botocore hooks broke."""
    for scenario, cell in (("list_groups", "reads"), ("ingest", "writes")):
        measured = [row for row in smoke_rows if row["scenario"] == scenario and row["result"] in MEASURED]
        assert measured, f"no measured {scenario} row"
        for row in measured:
            assert row[cell] not in ("", "0"), f"{row['figure']}: {cell} = {row[cell]!r}"


def test_cold_start_compares_every_built_handler_with_the_floor(smoke_rows: list[dict[str, Any]]) -> None:
    cold = [row for row in smoke_rows if row["scenario"] == "cold_start"]
    assert cold, "no cold_start row"  # (all() of nothing would skip)
    if all(row["result"] == "N/A" for row in cold):
        pytest.skip("no .aws-sam/build (run `make build`)")
    figures = " ".join(row["figure"] for row in cold)
    assert "floor" in figures
    assert "IngestFunction" in figures and "GroupsFunction" in figures


def test_cost_model_prices_the_reference_fleet_and_its_tenfold(smoke_rows: list[dict[str, Any]]) -> None:
    [row] = [row for row in smoke_rows if row["figure"].startswith("cost model reference fleet")]
    totals = re.findall(r"\$([\d,.]+)/month", row["measured"])  # the reference fleet's, then 10x's
    reference, tenfold = (float(total.replace(",", "")) for total in totals)
    assert 0 < reference < tenfold < 10 * reference  # fixed costs do not grow with the fleet


def test_cost_rows_state_the_all_in_cost_per_million_reports_and_events(
    smoke_rows: list[dict[str, Any]],
) -> None:
    figures = {row["figure"]: row for row in smoke_rows if row["scenario"] == "cost"}
    for figure in ("cost per 1M reports (all-in)", "cost per 1M compliance events (all-in)"):
        assert figures[figure]["result"] in MEASURED, figures[figure]
        assert "dominated by" in figures[figure]["measured"]


def test_storm_rows_read_the_capacity_meter(smoke_rows: list[dict[str, Any]]) -> None:
    figures = " | ".join(row["figure"] for row in smoke_rows if row["scenario"] == "storm")
    for name in ("capacity W1", "capacity W2", "capacity W3", "WCU per accepted report (W3)",
                 "WCU per refused report (W1, W3)", "WCU per compliance event (W2)"):  # fmt: skip
        assert name in figures


def test_release_health_rows_are_measured(smoke_rows: list[dict[str, Any]]) -> None:
    """W4 (the beacons, the stream into the release counts function) and the releases read."""
    rows = {row["figure"].split(" (")[0]: row for row in smoke_rows}
    for name in (
        "capacity W4 release day",
        "WCU per device-day of beacons",
        "releases: 30 versions × 30 days",  # noqa: RUF001 (the row's name, SPEC §12)
    ):
        assert rows[name]["result"] in MEASURED, rows[name]
    assert "exact: yes" in rows["capacity W4 release day"]["measured"]


def test_rollup_unit_rows_come_from_units_that_ran(smoke_rows: list[dict[str, Any]]) -> None:
    """Each `rollup unit: …` row names its two sizes and the items each of their units read."""
    rows = {row["figure"]: row for row in smoke_rows if row["figure"].startswith("rollup unit: ")}
    assert set(rows) == {
        "rollup unit: one tenant-day of 1,000,000 changes",
        "rollup unit: first rollup of 1,000,000 consumers",
    }
    for row in rows.values():
        assert row["result"] in MEASURED, row
        assert "ran at " in row["measured"] and "exact: yes" in row["measured"], row["measured"]
        units = [int(n.replace(",", "")) for n in re.findall(r"[\d,]+(?= /| ,|$)", row["reads"])]
        assert units and all(n > 0 for n in units), row["reads"]
