"""The storm model (bench/storm.py, SPEC §9) at toy size: the real handlers on a simulated clock,
TransactionConflict injected, capacity from the one meter (bench/capacity.py, proved on its own in
tests/test_capacity_meter.py); the workloads come out exact. The full sizes run in `make bench`
(`--only storm`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def storm(*arguments: str) -> dict[str, Any]:
    finished = subprocess.run(
        [sys.executable, "-m", "bench.scenarios.storm", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    answer: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return answer


def test_crash_storm_refuses_from_memory_and_counts_every_accepted_report_once() -> None:
    result = storm("W1", "--devices", "150", "--seconds", "0.5", "--containers", "10")
    assert result["statuses"] == {"202": 30, "429": 120}  # the group's 30 per minute, then refused
    assert result["counted"] == 30 and result["exact"]
    # Each of the 10 containers learns the full group window once, from a read of its counters (no
    # unit taken and handed back: before the read that was 5 one-unit writes); every later refusal
    # writes nothing.
    refused = result["per_kind"]["refused report"]
    assert refused["count"] == 120 and refused["wcu"] == 0
    accepted = result["per_kind"]["accepted report"]
    assert accepted["count"] == 30 and accepted["wcu"] >= 4  # 3 counter units + the group item, at least
    assert result["hot_ok"], result["hottest"]  # 150 reports in 0.5 s: far below a partition


def test_compliance_burst_keeps_exact_counts_from_the_stream_under_redelivered_batches() -> None:
    # 200 consumers in 0.6 s (W2's rate), every counts stream batch delivered twice.
    result = storm(
        "W2", "--consumers", "200", "--seconds", "0.6", "--containers", "8", "--redeliver-every", "1"
    )
    assert result["counts"] == result["recount"] == {"invalid": 200}
    assert result["exact"] and result["dead_lettered"] == 0
    assert result["stream_batches"] >= 1 and result["stream_batches_redelivered"] == result["stream_batches"]
    # The events path makes no transaction: the only ones are the counts function's, one per batch
    # delivery (a redelivery's is cancelled by its marker and adds nothing).
    assert result["transactions"] == result["stream_batches"] + result["stream_batches_redelivered"]
    assert result["conflicts"] == 0
    assert result["hot_ok"], result["hottest"]
    event = result["per_kind"]["compliance event"]
    assert event["count"] == 200 and 0 < event["wcu"] <= 6, event  # SPEC §9: ≤ 6 WCU, every index in
