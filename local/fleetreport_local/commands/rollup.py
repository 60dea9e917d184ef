"""`fleetreport rollup [--from D] [--to D]`: roll up closed days against the running stack (or any
endpoint), in-process with the rollup function's own code and environment, with a progress bar.

Without dates it is the daily catch-up; with `--from` (and `--to`, default: the last closed day) it
re-rolls that range, which is how a backfill is done. `--tenant` limits it to one tenant (default:
every tenant, like the scheduled function). Prints the run's summary as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from fleetreport.rollup.days import last_closed_day
from fleetreport.rollup.service import run_rollup

from fleetreport_local.commands import CommandError, add_stack_arguments, examples
from fleetreport_local.running import connect

BAR_WIDTH = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rollup",
        help="roll up closed days (catch-up, or backfill --from/--to)",
        description="Roll up closed days against the running stack with the rollup function's own code; "
        "prints the run's summary as JSON (progress bar on stderr).",
        epilog=examples(
            "fleetreport rollup                  # catch up",
            "fleetreport rollup --from 2026-05-01 --to 2026-05-31",
        ),
    )
    parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day to (re)roll")
    parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (default: last closed day)")
    add_stack_arguments(parser)
    parser.set_defaults(run=run_rollup_command)


def rollup_payload(first: str | None, last: str | None, tenant: str | None, now: datetime) -> dict[str, Any]:
    """The function's payload for these options (what `fleetreport invoke rollup -e` would send)."""
    if first is None and last is not None:
        raise CommandError("--to needs --from")
    payload: dict[str, Any] = {}
    if first is not None:
        payload = {"from": first, "to": last or max(first, last_closed_day(now))}
    if tenant:
        payload["tenants"] = [tenant]
    return payload


def run_rollup_command(args: argparse.Namespace) -> int:
    stack = connect(args)
    stack.use_in_process("RollupFunction")
    payload = rollup_payload(args.first, args.last, args.tenant, datetime.now(UTC))
    bar = ProgressBar(sys.stderr)
    summary = run_rollup(payload, progress=bar.update)
    bar.finish()
    if "error" in summary:
        raise CommandError(summary["error"])
    print(json.dumps(summary, indent=2))
    return 0 if summary.get("complete") else 1


class ProgressBar:
    """`[#####.....] 12/40 days  t1 status 2026-05-12`, redrawn in place with `\\r` on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.drawn = False
        self.interactive = out.isatty()

    def update(self, done: int, total: int, label: str) -> None:
        if not self.interactive and done != total:
            return
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} days  {label}"
        self.out.write("\r" + line.ljust(78) if self.interactive else line + "\n")
        self.out.flush()
        self.drawn = self.interactive

    def finish(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.out.flush()
