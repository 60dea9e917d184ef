"""`python -m bench.run`: run the benchmark scenarios and print (or write) the results table.

    python -m bench.run --write bench/RESULTS.md   # everything, full sizes (make bench)
    python -m bench.run --smoke                     # tiny sizes, a few seconds per scenario (CI)
    python -m bench.run --only list_groups --only cold_start
    python -m bench.run --only release_day --update bench/RESULTS.md  # only these rows and notes

Data scenarios share one moto store in this process; each is measured in its own worker process.
Exit status: 0 when every scenario ran (whether or not it met its budget), 1 when one errored.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import ERROR, Row, console_table, errored, today
from bench.results import update_results, write_results
from bench.scenarios import FULL, SMOKE, Sizes, describe

# Every scenario name, in the order of the table. The first six need the moto store.
SCENARIOS = (
    "list_groups",
    "group_trend",
    "list_groups_100k",
    "ingest",
    "status_trend",
    "consumer_status",
    "rollup",
    "cold_start",
    "package_size",
    "throughput",
    "cost",
    "storm",
    "release_day",
    "releases_read",
    "rollup_units",
)
STORE_PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bench.scenarios.groups", ("list_groups", "group_trend", "list_groups_100k")),
    ("bench.scenarios.ingest", ("ingest",)),
    ("bench.scenarios.compliance", ("status_trend", "consumer_status", "rollup")),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PATH", help="write the results as Markdown (bench/RESULTS.md)")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks the harness, not the budgets"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=SCENARIOS,
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--update",
        metavar="PATH",
        help="replace only the rows run (matched by figure) in an existing results file, dated today",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON (used by the smoke test)")
    return parser.parse_args(argv)


def _guarded(names: tuple[str, ...], phase: Callable[[], list[Row]]) -> list[Row]:
    """A scenario that crashes becomes ERROR rows; the others still run."""
    try:
        return phase()
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        print(traceback.format_exc(), file=sys.stderr)
        return [errored(name, name.replace("_", " "), "-", reason) for name in names]


def run_store_phases(sizes: Sizes, wanted: Callable[[str], bool]) -> list[Row]:
    import importlib

    from bench.store import bench_store
    from bench.worker import spawn, worker_environment

    rows: list[Row] = []
    with bench_store() as store:

        def spawn_worker(
            name: str, params: dict[str, Any], overrides: dict[str, str] | None = None
        ) -> dict[str, Any]:
            return spawn(name, params, worker_environment(store.template, store.endpoint, overrides))

        for module_name, names in STORE_PHASES:
            if not any(wanted(name) for name in names):
                continue
            started = time.perf_counter()
            module = importlib.import_module(module_name)
            rows += _guarded(names, lambda m=module: m.run(store, sizes, spawn_worker, wanted))
            print(f"{', '.join(names)}: {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return rows


def run_process_phases(sizes: Sizes, wanted: Callable[[str], bool]) -> list[Row]:
    rows: list[Row] = []
    if wanted("cold_start") or wanted("package_size"):
        from bench.scenarios import coldstart

        if wanted("cold_start"):
            rows += _guarded(("cold_start",), lambda: coldstart.cold_start_rows(sizes))
        if wanted("package_size"):
            rows += _guarded(("package_size",), coldstart.package_rows)
    if wanted("throughput"):
        from bench.scenarios import throughput

        rows += _guarded(("throughput",), lambda: throughput.run(sizes))
    if wanted("cost"):
        from bench import cost

        rows += _guarded(("cost",), lambda: cost.cost_rows(smoke=sizes.label == "smoke"))
    if wanted("storm"):
        from bench.scenarios import storm_rows

        rows += _guarded(("storm",), lambda: storm_rows.run(sizes))
    if wanted("release_day") or wanted("releases_read"):
        from bench.scenarios import release_rows

        if wanted("release_day"):
            rows += _guarded(("release_day",), lambda: release_rows.release_day_rows(sizes))
        if wanted("releases_read"):
            rows += _guarded(("releases_read",), lambda: release_rows.releases_read_rows(sizes))
    if wanted("rollup_units"):
        from bench.scenarios import rollup_units_rows

        rows += _guarded(("rollup_units",), lambda: rollup_units_rows.run(smoke=sizes.label == "smoke"))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    only = set(args.only)

    def wanted(name: str) -> bool:
        return not only or name in only

    started = time.perf_counter()
    rows: list[Row] = []
    if any(wanted(name) for _, names in STORE_PHASES for name in names):
        rows += run_store_phases(sizes, wanted)
    rows += run_process_phases(sizes, wanted)
    rows.sort(key=lambda row: SCENARIOS.index(row.scenario))
    elapsed = time.perf_counter() - started
    print(console_table(rows))
    print(f"bench: {len(rows)} rows in {elapsed:.0f}s ({sizes.label} sizes)", file=sys.stderr)
    if args.write:
        write_results(Path(args.write), rows, today(), describe(sizes), elapsed)
    if args.update:
        update_results(Path(args.update), rows, today())
    if args.json:
        document = {"scenarios": [n for n in SCENARIOS if wanted(n)], "rows": [row.to_dict() for row in rows]}
        Path(args.json).write_text(json.dumps(document, indent=2))
    return 1 if any(row.result == ERROR for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
