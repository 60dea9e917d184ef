"""The `rollup unit: …` rows (SPEC §9): units measured at two sizes each (bench/scenarios/rollup_units.py).

A full size (a tenant-day of 1,000,000 changes, a tenant of 1,000,000 consumers) takes hours on moto
here (~2 ms of CPU per item read, moto included, and 2,000,000+ items), so each row runs two sizes
that each take several units at the template's budget and says which: a unit's items are bounded by
the budget, not the size, and the row shows it by the two sizes' per-unit maxima, both checked
against the same bound. The two runs of a row go in parallel (one process each)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.report import Row, errored
from bench.scenarios.storm_rows import _run

DAY = "rollup unit: one tenant-day of 1,000,000 changes"
FIRST = "rollup unit: first rollup of 1,000,000 consumers"
BUDGET = "every unit ≤ 50,000 items and ≤ 600 simulated s (CPU measured); exact; a redelivered unit continues"
FULL = {"day": (50_000, 100_000), "first": (20_000, 40_000)}
SMOKE = {"day": (1_000, 2_000), "first": (300, 600)}
# tiny units: the first dies at its first change-log Query (day) or its second walk page (first)
SMOKE_ARGS = {
    "day": ["--budget", "400", "--crash-after", "0"],
    "first": ["--budget", "400", "--crash-after", "1"],
}
PAGE_ITEMS = 3 * 2_000  # a change-log page with its consumers' rows and snapshots (first walk: 400)


def run(smoke: bool) -> list[Row]:
    sizes = SMOKE if smoke else FULL
    jobs = [(kind, size) for kind in ("day", "first") for size in sizes[kind]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            job: pool.submit(
                _run,
                [job[0], "--size", str(job[1]), *(SMOKE_ARGS[job[0]] if smoke else [])],
                "bench.scenarios.rollup_units",
            )
            for job in jobs
        }
    rows = []
    for kind, figure in (("day", DAY), ("first", FIRST)):
        try:
            results = [futures[(kind, size)].result() for size in sizes[kind]]
        except Exception as exc:
            rows.append(errored("rollup_units", figure, BUDGET, f"{type(exc).__name__}: {exc}"))
            continue
        rows.append(unit_row(kind, figure, results))
    return rows


def _size(result: dict[str, Any]) -> str:
    return (
        f"{result['changes']:,} changes" if result["kind"] == "day" else f"{result['consumers']:,} consumers"
    )


def unit_row(kind: str, figure: str, results: list[dict[str, Any]]) -> Row:
    """One row from the runs of one kind at several sizes: each run's measured maxima and verdict."""
    budget = results[0]["budget"]
    parts = []
    for result in results:
        redelivery = result["redelivery"]
        parts.append(
            f"{_size(result)}: {len(result['units'])} units, max {result['max_items']:,} items, "
            f"max CPU {result['max_cpu']:.1f} s, max {result['max_seconds']:.1f} simulated s a unit; "
            f"exact: {'yes' if result['exact'] else 'NO'}; the first unit died after "
            f"{redelivery.get('died_items', 0):,} items and its redelivery went on "
            f"({'yes' if result['continued'] else 'NO'}: "
            f"saved progress {redelivery.get('progress_at_crash', 0):,})"
        )
    checks = [(f"{_size(r)}: {what}", held) for r in results for what, held in r["checks"].items()]
    bound = budget + PAGE_ITEMS
    checks.append(
        (
            f"per-unit max ≤ budget + a page ({bound:,}) at every size",
            all(r["max_items"] <= bound for r in results),
        )
    )
    checks.append(("several units at every size", all(len(r["units"]) > 1 for r in results)))
    sizes = " and ".join(_size(r) for r in results)
    loads = ", ".join(f"{r['load_seconds']} s" for r in results)
    return Row(
        "rollup_units",
        figure,
        BUDGET,
        measured=f"ran at {sizes} (not the full size: see the note), budget {budget:,} items: "
        + "; ".join(parts),
        reads=", ".join(f"{_size(r)}: " + " / ".join(f"{u['items']:,}" for u in r["units"]) for r in results),
        rss=f"{max(r['rss_mb'] for r in results):.0f}",
        checks=checks,
        note=(
            f"units delivered one after another to the rollup function's SQS worker on the storm clock "
            f"(bench/scenarios/rollup_units.py); data loaded straight into moto ({loads}). "
            "Full size not run: ~2 ms CPU per item read here (moto in the same process) makes a "
            "1,000,000-change day ~2,000,000 items, over an hour; the per-unit maxima are bounded by the "
            "budget at both sizes, independently of the size. CPU is time.process_time around the "
            "handler invocation, moto's emulation included (an upper bound); simulated time = the "
            "model's call latencies + that CPU. Exact = every partition's end counts equal the "
            "generator's recount."
        ),
    )
