"""The rollup verdicts of the bench can fail (SPEC §9: a verdict that cannot fail is a defect).

Both read the units that ran, never a formula: the fan-out row's (every tenant's unit and every
delivery of a sliced day) and the `rollup unit: …` rows'. Run here at toy sizes with the limit
scaled down with them: with the day split into units the verdict holds; with a unit budget so high
that the day is read by one unit, it fails — as it would at 50,000 items with a budget above it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def bench(module: str, *arguments: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    finished = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    answer: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return answer


def fanout(burst_budget: int) -> dict[str, Any]:
    return bench(
        "bench.scenarios.rollup_fanout",
        *("--sizes", "2", "4", "--burst", "30", "--burst-budget", str(burst_budget), "--limit", "60"),
    )


def test_the_fanout_verdict_fails_when_the_unit_budget_lets_one_unit_read_the_day() -> None:
    split = fanout(20)
    assert split["burst"]["units"] > 1 and split["burst"]["exact"]
    assert split["within_unit_budget"], split
    whole = fanout(100_000)  # the budget too high: the day's 120-odd items in one unit
    assert whole["burst"]["units"] == 1 and whole["burst"]["exact"]
    assert whole["measured_max_items"] > 60
    assert not whole["within_unit_budget"]


def test_the_unit_rows_verdict_fails_when_the_unit_budget_is_too_high() -> None:
    arguments = ("day", "--size", "400", "--limit", "300", "--crash-after", "0")
    split = bench("bench.scenarios.rollup_units", *arguments, "--budget", "100")
    assert len(split["units"]) > 1 and split["passed"], split["checks"]
    whole = bench("bench.scenarios.rollup_units", *arguments, "--budget", "100000")
    assert len(whole["units"]) == 1 and whole["exact"]
    assert whole["max_items"] > 300
    assert not whole["passed"] and not whole["checks"]["max items per unit ≤ 300"]
