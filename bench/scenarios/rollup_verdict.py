"""The verdict on rollup units (SPEC §9), read from units that ran: no unit reads more than 50,000
items or runs longer than 10 simulated minutes, the result is exact, and a redelivered unit went on
from where the dead one saved. Nothing here is a formula: a budget set too high, or a shard read
whole, shows in the measured units and fails it (tests/test_rollup_verdict.py)."""

from __future__ import annotations

from typing import Any

UNIT_ITEMS_LIMIT = 50_000
UNIT_SECONDS_LIMIT = 600.0


def unit_verdict(
    units: list[dict[str, Any]], redelivery: dict[str, Any], exact: bool, limit: int = UNIT_ITEMS_LIMIT
) -> dict[str, Any]:
    """`units`: each measured unit's `items`, `cpu`, `seconds` (simulated); `redelivery`: the saved
    progress before the dead delivery, at its death and after its redelivery."""
    max_items = max((unit["items"] for unit in units), default=0)
    max_seconds = max((unit["seconds"] for unit in units), default=0.0)
    continued = (
        bool(redelivery)
        and redelivery.get("progress_at_crash", 0) >= redelivery.get("progress_before", 0)
        and (redelivery.get("progress_after", 0) > redelivery.get("progress_at_crash", 0)
             or redelivery.get("progress_after", 1) == 0)
    )  # fmt: skip
    checks = {
        f"max items per unit ≤ {limit:,}": bool(units) and max_items <= limit,
        f"max simulated time per unit ≤ {UNIT_SECONDS_LIMIT:.0f} s": bool(units)
        and max_seconds <= UNIT_SECONDS_LIMIT,
        "exact (equal to a recount)": exact,
        "a redelivered unit continued": continued,
    }
    return {
        "max_items": max_items,
        "max_cpu": max((unit["cpu"] for unit in units), default=0.0),
        "max_seconds": max_seconds,
        "continued": continued,
        "checks": checks,
        "passed": all(checks.values()),
    }
