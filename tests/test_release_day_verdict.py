"""W4 release day (SPEC §9, §12) on the storm model at toy size: the counts come out exact through the
stream as the template batches it, and the W4 verdicts (bench/scenarios/release_rows.py) fail on the
regressions they exist for — a beacon that writes its device item every time, and every device of a
version under one partition key. The full size runs in `make bench` (`--only release_day`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/ is not an installed package
from bench.report import FAIL, PASS  # noqa: E402
from bench.scenarios.release_rows import capacity_row, device_day_row  # noqa: E402
from bench.storm import HOT_WCU  # noqa: E402


def release_day(*arguments: str) -> dict[str, Any]:
    finished = subprocess.run(
        [sys.executable, "-m", "bench.scenarios.storm_w4", "--containers", "20", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    answer: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return answer


def check(row: Any, what: str) -> bool:
    return dict(row.checks)[what]


def test_release_counts_equal_a_recount_and_a_device_day_writes_its_item_once() -> None:
    result = release_day("--devices", "60", "--seconds", "0.4")
    assert result["exact"] and result["statuses"] == {"202": 1, "204": 180}
    assert result["count_items_checked"] == 8  # all, the channel, 3 platforms, channel x platform
    assert result["batches"] >= 4 and result["dead_lettered_records"] == 0
    beacons = result["per_kind"]["beacon"]
    assert beacons["count"] == 180
    # One device-item write per device (≤ 1 KB) and, now and then, a beacon window flushed by a
    # device's second beacon on the same container: far from 3 writes a device.
    assert 1.0 <= result["wcu_per_device_day_beacons_only"] <= 1.5
    assert result["stream_records"]["beacon"] == 60  # one stream record per device-day
    assert check(capacity_row("W4 toy", result), "outcome exact")


def test_device_day_verdict_fails_when_every_beacon_tries_to_write_its_device_item() -> None:
    result = release_day("--devices", "60", "--seconds", "0.4", "--regression", "write-every-beacon")
    assert result["exact"]  # refused conditional writes keep the counts right ...
    assert result["wcu_per_device_day_beacons_only"] >= 2.5  # ... and are billed, 1 WCU each
    row = device_day_row(result)
    assert row.result == FAIL and row.failed_checks == ["≤ 1.5 WCU"]


def test_hot_partition_verdict_fails_when_every_device_shares_one_partition_key() -> None:
    spread = release_day("--devices", "320", "--seconds", "0.5")
    shared = release_day("--devices", "320", "--seconds", "0.5", "--regression", "one-partition-key")
    assert spread["exact"] and shared["exact"]
    assert spread["hottest"]["wcu"]["units"] <= HOT_WCU
    assert check(capacity_row("W4 toy", spread), f"hottest partition key ≤ {HOT_WCU} WCU/s")
    assert shared["hottest"]["wcu"]["units"] > HOT_WCU
    assert shared["hottest"]["wcu"]["key"].startswith("ReleasesTable:DV#")
    row = capacity_row("W4 toy", shared)
    assert not check(row, f"hottest partition key ≤ {HOT_WCU} WCU/s") and row.result != PASS
