"""Rows of the storm workloads (SPEC §9): each workload runs in its own process (bench.scenarios.storm)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.report import Row, errored, rss_check
from bench.scenarios import Sizes
from bench.scenarios.storm import HOT_BUDGET

ROOT = Path(__file__).resolve().parents[2]
BUDGET = f"≤ {HOT_BUDGET} writes/item/s; conflicts retried only after jittered backoff; outcome exact"


def _run(arguments: list[str], module: str = "bench.scenarios.storm") -> dict[str, Any]:
    finished = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(finished.stderr[-2000:])
    answer: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return answer


def _row(name: str, figure: str, result: dict[str, Any], detail: str) -> Row:
    rss, rss_ok = rss_check(result["rss_mb"])
    hottest = result["hottest_writes_per_second"]
    return Row(
        "storm",
        f"storm {name} {figure}",
        BUDGET,
        measured=(
            f"hottest item {hottest} writes/s ({result['hottest_item'].split(':')[0]}); "
            f"{result['conflicts']} conflicts of {result['transactions']} transactions, retried after "
            f"{result['backoff_seconds']} s of jittered backoff in all; {detail}; "
            f"exact: {'yes' if result['exact'] else 'NO'}"
        ),
        writes=f"{result['writes']:,} in {result['simulated_seconds']} simulated s",
        rss=rss,
        checks=[
            (f"≤ {HOT_BUDGET} writes/item/s", hottest <= HOT_BUDGET),
            ("outcome exact", bool(result["exact"])),
            rss_ok,
        ],
        note=f"hottest: {result['hottest_item']} in simulated second {result['hottest_second']}",
    )


def run(sizes: Sizes) -> list[Row]:
    full = sizes.label == "full"
    rows: list[Row] = []
    devices, seconds = (20_000, 60) if full else (300, 1)
    try:
        w1 = _run(["W1", "--devices", str(devices), "--seconds", str(seconds), "--containers", "50"])
        statuses = w1["statuses"]
        rows.append(
            _row(
                "W1",
                f"crash storm ({devices:,} devices of one app in {seconds} s, K = 50)",
                w1,
                f"{statuses.get('202', 0)} accepted, {statuses.get('429', 0)} refused, "
                f"counted {w1['counted']}",
            )
        )
    except Exception as exc:  # one workload failing leaves the other's row
        rows.append(errored("storm", "storm W1 crash storm", BUDGET, f"{type(exc).__name__}: {exc}"))
    consumers, seconds = (100_000, 300) if full else (60, 0.2)
    try:
        w2 = _run(["W2", "--consumers", str(consumers), "--seconds", str(seconds), "--containers", "20"])
        rows.append(
            _row(
                "W2",
                f"compliance burst ({consumers:,} consumers of one tenant in {seconds} s, queue, K = 20)",
                w2,
                f"{w2['redelivered']} redelivered, {w2['dead_lettered']} dead-lettered; "
                f"counts {w2['counts']} vs recount {w2['recount']}",
            )
        )
    except Exception as exc:
        rows.append(errored("storm", "storm W2 compliance burst", BUDGET, f"{type(exc).__name__}: {exc}"))
    rows.append(_fanout_row(["10", "100", "1000"] if full else ["5", "20"]))
    return rows


FANOUT_BUDGET = "no unit reads > 50,000 items; catches up within hours (50 workers)"


def _fanout_row(sizes: list[str]) -> Row:
    figure = "rollup fan-out (10,000 tenants, 1,000,000 changes in a day, 50 workers)"
    try:
        result = _run(["--sizes", *sizes], "bench.scenarios.rollup_fanout")
    except Exception as exc:
        return errored("storm", figure, FANOUT_BUDGET, f"{type(exc).__name__}: {exc}")
    rss, rss_ok = rss_check(result["rss_mb"])
    measured = ", ".join(
        f"{u['changes']} changes: {u['items_read']} items, {u['seconds']:.2f} s" for u in result["units"]
    )
    burst = result["burst"]
    sliced = (
        f"; a day of {2 * burst['consumers']:,} changes at a budget of {burst['budget']:,} (a quarter "
        f"of its size's first-rollup unit, {burst['day_items']:,} items): {burst['units']} units, "
        f"max {burst['max_items_per_unit']:,} items, "
        f"exact: {'yes' if burst['exact'] else 'NO'}"
    )
    return Row(
        "storm",
        figure,
        FANOUT_BUDGET,
        measured=(
            f"max items per unit {result['max_items_per_unit']:,} (a tenant at 10x the mean day; "
            f"{result['items_per_change']} items/change, a first rollup's); W2's day (100,000 changes, "
            f"{result['w2_day_items']:,} items): {result['w2_units']} units of ≤ "
            f"{result['w2_max_items_per_unit']:,} items at the {result['w2_budget']:,} budget, "
            f"~{result['w2_seconds']:,} s one after another; "
            f"makespan {result['makespan_seconds']:,} simulated s "
            f"(dispatch {result['dispatch_seconds']} s, mean unit {result['mean_unit_seconds']} s)"
        ),
        reads=f"measured units: {measured}{sliced}",
        rss=rss,
        checks=[
            ("max items per unit ≤ 50,000", bool(result["within_unit_budget"])),
            ("W2's day: max items per unit ≤ 50,000", result["w2_max_items_per_unit"] <= 50_000),
            (
                "a sliced day: exact, each unit ≤ its budget + a shard",
                bool(burst["exact"])
                and burst["units"] > 1
                and burst["max_items_per_unit"] <= burst["budget"] + burst["day_items"] // 8,
            ),
            ("makespan ≤ 3 h", result["makespan_seconds"] <= 3 * 3600),
            rss_ok,
        ],
        note="units measured through the worker on the storm clock; the fleet extrapolated in changes",
    )
