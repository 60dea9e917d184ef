"""Rows of the storm workloads (SPEC §9): each workload runs in its own process (bench.scenarios.storm)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.report import Row, errored, rss_check
from bench.scenarios import Sizes
from bench.storm import HOT_RCU, HOT_WCU

ROOT = Path(__file__).resolve().parents[2]
BUDGET = (
    f"hottest partition key (table or GSI) ≤ {HOT_WCU} WCU and ≤ {HOT_RCU:,} RCU in every simulated "
    "second; conflicts retried only after jittered backoff; outcome exact"
)
PER_OPERATION = {  # SPEC §9 per-operation budgets (WCU, every index included)
    "accepted report": 4.0,
    "refused report": 0.1,
    "compliance event": 6.0,
}


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


def _hot(hottest: dict[str, Any]) -> str:
    table, _, key = hottest["key"].partition(":")
    return f"{hottest['units']:g} in second {hottest['second']} on {table} `{key[:48]}`"


def _capacity_row(
    name: str,
    figure: str,
    result: dict[str, Any],
    detail: str,
    scenario: str = "storm",
    retries: str | None = None,
) -> Row:
    """`capacity Wn …`: the meter's hottest partition key (WCU and RCU in its worst second).
    `retries` says how cancelled transactions were retried when it is not the model's jittered backoff."""
    rss, rss_ok = rss_check(result["rss_mb"])
    wcu, rcu = result["hottest"]["wcu"], result["hottest"]["rcu"]
    usage = result["usage"]
    if retries is None:
        retries = f", retried after {result['backoff_seconds']} s of jittered backoff in all"
    return Row(
        scenario,
        f"capacity {name} {figure}",
        BUDGET,
        measured=(
            f"hottest WCU {_hot(wcu)}; hottest RCU {_hot(rcu)}; {result['conflicts']} conflicts of "
            f"{result['transactions']} transactions{retries}; {detail}; "
            f"exact: {'yes' if result['exact'] else 'NO'}"
        ),
        writes=(
            f"{usage['wcu']:,.0f} WCU, {usage['rcu']:,.0f} RCU, {usage['calls']:,} calls in "
            f"{result['simulated_seconds']} simulated s"
        ),
        rss=rss,
        checks=[
            (f"hottest partition key ≤ {HOT_WCU} WCU/s", wcu["units"] <= HOT_WCU),
            (f"hottest partition key ≤ {HOT_RCU:,} RCU/s", rcu["units"] <= HOT_RCU),
            ("outcome exact", bool(result["exact"])),
            rss_ok,
        ],
        note="by target: "
        + ", ".join(f"{target} {units:,.0f} WCU" for target, units in usage["target_wcu"].items() if units),
    )


def _per_operation_row(figure: str, kind: str, results: list[tuple[str, dict[str, Any]]]) -> Row:
    """`WCU per … (Wn)`: the mean over the named workloads' operations of that kind."""
    budget = PER_OPERATION[kind]
    kinds = [(name, result["per_kind"].get(kind, {"count": 0, "wcu": 0.0})) for name, result in results]
    count = sum(entry["count"] for _, entry in kinds)
    mean = sum(entry["wcu"] * entry["count"] for _, entry in kinds) / max(1, count)
    parts = "; ".join(f"{name}: {entry['wcu']:.3g} over {entry['count']:,}" for name, entry in kinds)
    calls = sum(entry.get("calls", 0.0) * entry["count"] for _, entry in kinds) / max(1, count)
    return Row(
        "storm",
        figure,
        f"≤ {budget:g} WCU (every index included)",
        measured=f"{mean:.3g} WCU per {kind} ({parts}); {calls:.3g} AWS calls each",
        checks=[(f"≤ {budget:g} WCU", count > 0 and mean <= budget)],
        note="the one meter (bench/capacity.py) over the storm runs of the same table",
    )


def _workload(
    rows: list[Row], name: str, figure: str, arguments: list[str], detail: Any
) -> dict[str, Any] | None:
    try:
        result = _run(arguments)
    except Exception as exc:  # one workload failing leaves the others' rows
        rows.append(errored("storm", f"capacity {name} {figure}", BUDGET, f"{type(exc).__name__}: {exc}"))
        return None
    rows.append(_capacity_row(name, figure, result, detail(result)))
    return result


def run(sizes: Sizes) -> list[Row]:
    full = sizes.label == "full"
    rows: list[Row] = []
    window = "the full window" if full else "smoke size"
    devices, seconds = (20_000, 60) if full else (300, 1)
    w1 = _workload(
        rows,
        "W1",
        f"crash storm ({devices:,} devices of one app in {seconds} s, {window}, K = 50)",
        ["W1", "--devices", str(devices), "--seconds", str(seconds), "--containers", "50"],
        w1_detail,
    )
    consumers, seconds = (100_000, 300) if full else (60, 0.2)
    w2 = _workload(
        rows,
        "W2",
        f"compliance burst ({consumers:,} consumers of one tenant in {seconds} s, {window}, queue, K = 20)",
        ["W2", "--consumers", str(consumers), "--seconds", str(seconds), "--containers", "20"],
        w2_detail,
    )
    rate, groups, seconds = (1_540, 200_000, 60) if full else (100, 2_000, 1)
    window = "60 simulated s of a month-long window" if full else window
    w3 = _workload(
        rows,
        "W3",
        f"busy fleet ({rate:,} reports/s over {groups:,} groups (Zipf 1.1), 5 apps, 20 operators, "
        f"{seconds} s: {window}, K = 100)",
        [
            "W3",
            "--rate",
            str(rate),
            "--groups",
            str(groups),
            "--seconds",
            str(seconds),
            "--containers",
            "100",
        ],
        w3_detail,
    )
    rows += report_rows(w1, w3)
    if w2:
        rows.append(_per_operation_row("WCU per compliance event (W2)", "compliance event", [("W2", w2)]))
    rows.append(_fanout_row(["10", "100", "1000"] if full else ["5", "20"]))
    return rows


def w1_detail(result: dict[str, Any]) -> str:
    statuses = result["statuses"]
    return f"{statuses.get('202', 0)} accepted, {statuses.get('429', 0)} refused, counted {result['counted']}"


def w3_detail(result: dict[str, Any]) -> str:
    statuses = result["statuses"]
    return (
        f"{statuses.get('202', 0):,} accepted, {statuses.get('429', 0):,} refused, "
        f"{statuses.get('200', 0)} listings, {result['groups_reported']:,} groups"
    )


def w1_figure(result: dict[str, Any], window: str) -> str:
    devices, seconds = result["requests"], result["simulated_seconds"]
    return (
        f"crash storm ({devices:,} devices of one app in {seconds:g} s, {window}, K = {result['containers']})"
    )


def w3_figure(result: dict[str, Any], window: str) -> str:
    return (
        f"busy fleet ({result['rate']:,.0f} reports/s over {result['groups']:,} groups (Zipf 1.1), 5 apps, "
        f"20 operators, {result['seconds']:g} s: {window}, K = {result['containers']})"
    )


def report_rows(w1: dict[str, Any] | None, w3: dict[str, Any] | None) -> list[Row]:
    """The per-report rows of W1's and W3's answers: accepted (W3) and refused (W1, W3)."""
    rows: list[Row] = []
    if w3:
        rows.append(_per_operation_row("WCU per accepted report (W3)", "accepted report", [("W3", w3)]))
    reports = [(name, result) for name, result in (("W1", w1), ("W3", w3)) if result]
    if reports:
        rows.append(_per_operation_row("WCU per refused report (W1, W3)", "refused report", reports))
    return rows


def w2_detail(result: dict[str, Any]) -> str:
    return (
        f"{result['redelivered']} queue messages redelivered, {result['dead_lettered']} dead-lettered; "
        f"{result.get('stream_batches', 0)} counts stream batches, "
        f"{result.get('stream_batches_redelivered', 0)} of them delivered twice; "
        f"counts {result['counts']} vs recount {result['recount']}"
    )


def w2_rows(result: dict[str, Any], consumers: int, seconds: float, window: str) -> list[Row]:
    """The `capacity W2 …` and `WCU per compliance event (W2)` rows of one W2 run's answer."""
    figure = (
        f"compliance burst ({consumers:,} consumers of one tenant in {seconds:g} s, {window}, queue, K = 20)"
    )
    capacity = _capacity_row("W2", figure, result, w2_detail(result))
    capacity.note += (
        f"; RSS is the model's one process (moto in it, holding {consumers:,} consumers and their "
        "snapshots; stream records are dropped once delivered), not a function's"
    )
    per_event = _per_operation_row("WCU per compliance event (W2)", "compliance event", [("W2", result)])
    per_event.note += (
        "; the counts stream consumer's transactions (one per batch, redeliveries included) are in it"
    )
    return [capacity, per_event]


def main(argv: list[str] | None = None) -> int:
    """Update storm rows in bench/RESULTS.md from saved runs of `python -m bench.scenarios.storm`
    (a run at the full rate takes longer than `bench.run` should wait; the other rows stay):

        python -m bench.scenarios.storm_rows w2 W2.json --consumers 20000 --seconds 60 --window "…"
        python -m bench.scenarios.storm_rows reports W1.json W3.json --w1-window "the full window" \
            --w3-window "2 simulated s of a month-long window"
    """
    import argparse

    from bench.report import today
    from bench.results import update_results

    parser = argparse.ArgumentParser(prog="python -m bench.scenarios.storm_rows")
    parser.add_argument("--write", default=str(ROOT / "bench" / "RESULTS.md"))
    kinds = parser.add_subparsers(dest="kind", required=True)
    w2 = kinds.add_parser("w2", help="capacity W2 and WCU per compliance event (W2)")
    w2.add_argument("answer", help="the JSON line bench.scenarios.storm W2 printed, in a file")
    w2.add_argument("--consumers", type=int, required=True)
    w2.add_argument("--seconds", type=float, required=True)
    w2.add_argument("--window", required=True, help='e.g. "60 simulated s at the full rate"')
    reports = kinds.add_parser("reports", help="capacity W1, W3 and the WCU per accepted/refused report")
    reports.add_argument("w1", help="the JSON line bench.scenarios.storm W1 printed, in a file")
    reports.add_argument("w3", help="the JSON line bench.scenarios.storm W3 printed, in a file")
    reports.add_argument("--w1-window", required=True)
    reports.add_argument("--w3-window", required=True)
    args = parser.parse_args(argv)

    def answer(path: str) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(Path(path).read_text().strip().splitlines()[-1])
        return parsed

    if args.kind == "w2":
        rows = w2_rows(answer(args.answer), args.consumers, args.seconds, args.window)
    else:
        w1, w3 = answer(args.w1), answer(args.w3)
        rows = [
            _capacity_row("W1", w1_figure(w1, args.w1_window), w1, w1_detail(w1)),
            _capacity_row("W3", w3_figure(w3, args.w3_window), w3, w3_detail(w3)),
            *report_rows(w1, w3),
        ]
    update_results(Path(args.write), rows, today())
    for row in rows:
        print(f"{row.result} {row.figure}: {row.measured} | {row.writes}")
    return 0


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
            f"measured units: max {result['measured_max_items']:,} items, max "
            f"{result['measured_max_seconds']:,} simulated s (CPU measured) over "
            f"{result['measured_units']} units; estimated: a tenant at 10x the mean day "
            f"{result['max_items_per_unit']:,} items ({result['items_per_change']} items/change, a first "
            f"rollup's); makespan {result['makespan_seconds']:,} simulated s "
            f"(dispatch {result['dispatch_seconds']} s, mean unit {result['mean_unit_seconds']} s)"
        ),
        reads=f"measured units: {measured}{sliced}",
        rss=rss,
        checks=[
            (
                "measured units: each ≤ 50,000 items and ≤ 600 simulated s",
                bool(result["within_unit_budget"]),
            ),
            (
                "a sliced day: exact, each unit ≤ its budget + a shard",
                bool(burst["exact"])
                and burst["units"] > 1
                and burst["max_items_per_unit"] <= burst["budget"] + burst["day_items"] // 8,
            ),
            ("makespan ≤ 3 h", result["makespan_seconds"] <= 3 * 3600),
            rss_ok,
        ],
        note=(
            "units measured through the worker on the storm clock; the verdict reads the measured units, "
            "the fleet's makespan is extrapolated in changes; W2's day and the 1,000,000 sizes: the "
            "`rollup unit: …` rows"
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
