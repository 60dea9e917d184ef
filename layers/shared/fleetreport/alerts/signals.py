"""Which signals one change of a group item raises (SPEC §10), decided from the stream's old and new
images alone, plus the group's hour history for a spike.

- `group.new`: the item was inserted (its first report).
- `group.regressed`: a report turned a `resolved` group `open` (ingest's reopening write).
- `group.spike`: the report that made this hour's count cross the threshold
  max(ALERT_SPIKE_MIN, 10, 10 x baseline): the baseline is the mean hourly reports of the previous
  7 days (168 hours), or for a group younger than a day its largest earlier hour; never in the
  group's first hour. Crossing (old < threshold ≤ new) fires once per hour without any extra write.
- `group.unmuted`: a report reached a conditional mute's bound; the consumer reopens the group
  (alerts/consumer.py) and the signal fires.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fleetreport.alerts.models import GROUP_NEW, GROUP_REGRESSED, GROUP_SPIKE, Signal
from fleetreport.groups.hours import Hour, group_hours, hour_of, hours_back, parse_stamp

SPIKE_FLOOR = 10
SPIKE_FACTOR = 10
BASELINE_HOURS = 7 * 24
HourHistory = Callable[[dict[str, Any], str, str], dict[Hour, int]]


def _count(image: dict[str, Any] | None, name: str = "count") -> int:
    value = (image or {}).get(name, 0)
    return int(value) if isinstance(value, (int, Decimal)) else 0


@dataclass(frozen=True)
class Change:
    """One stream record of GroupsTable, deserialized."""

    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def reports(self) -> int:
        """Reports this change counted (0 for triage, cleanup, deletion)."""
        return _count(self.new) - _count(self.old) if self.new else 0


def basic_signals(change: Change) -> list[Signal]:
    """group.new and group.regressed: decided by the images alone."""
    new, old = change.new, change.old
    if not new or change.reports <= 0:
        return []
    stamp = str(new.get("last_seen", ""))
    if old is None:
        return [Signal(GROUP_NEW, new, str(new.get("first_seen", stamp)), stamp)]
    if old.get("status") == "resolved" and new.get("status") == "open":
        return [Signal(GROUP_REGRESSED, new, stamp, stamp)]
    return []


def spike_threshold(spike_min: int, baseline: float) -> int:
    return max(spike_min, SPIKE_FLOOR, math.ceil(SPIKE_FACTOR * baseline - 1e-9))


def spike_signal(change: Change, spike_min: int, history: HourHistory) -> Signal | None:
    """group.spike when this change made the current hour's count cross the threshold."""
    new = change.new
    if not new or change.reports <= 0 or new.get("status", "open") != "open":
        return None  # a muted group stays quiet (until its mute ends)
    now = parse_stamp(str(new["last_seen"]))
    day, hh = hour_of(now)
    attribute = f"h{day.replace('-', '')}{hh}"
    current, before = _count(new, attribute), _count(change.old, attribute)
    floor = max(spike_min, SPIKE_FLOOR)
    if current < floor:
        return None  # the cheap test: no history is read below the floor
    first_seen = parse_stamp(str(new.get("first_seen", new["last_seen"])))
    if hour_of(first_seen) == (day, hh):
        return None  # never in the group's first hour
    baseline, kind = _baseline(new, now, first_seen, history)
    threshold = spike_threshold(spike_min, baseline)
    if not before < threshold <= current:
        return None
    counts = {"this_hour": current, "baseline_per_hour": round(baseline, 3), "baseline": kind}
    return Signal(GROUP_SPIKE, new, f"{day}T{hh}", str(new["last_seen"]), counts)


def _baseline(
    item: dict[str, Any], now: datetime, first_seen: datetime, history: HourHistory
) -> tuple[float, str]:
    """(baseline per hour, how it was computed) over the hours before the current one."""
    earlier = hours_back(now - timedelta(hours=1), BASELINE_HOURS)
    counts = history(item, earlier[0][0], earlier[-1][0])
    if now - first_seen < timedelta(days=1):
        return float(max((counts.get(hour, 0) for hour in earlier), default=0)), "largest_earlier_hour"
    return sum(counts.get(hour, 0) for hour in earlier) / BASELINE_HOURS, "mean_hourly_7d"


def rollup_history(rollups: Any) -> HourHistory:
    """The production history: the group's hour counters and rollups (groups/hours.py)."""

    def read(item: dict[str, Any], first_day: str, last_day: str) -> dict[Hour, int]:
        return dict(group_hours(item, rollups, first_day, last_day))

    return read


def mute_ended(change: Change) -> bool:
    """A report reached the bound of a conditional mute (count, or a report at/after `mute_until`)."""
    new = change.new
    if not new or change.reports <= 0 or new.get("status") != "muted" or not new.get("muted_at"):
        return False
    ends_at = new.get("mute_ends_at_count")
    if ends_at is not None and _count(new) >= int(ends_at):
        return True
    until = new.get("mute_until")
    return bool(until) and str(new.get("last_seen", "")) >= str(until)
