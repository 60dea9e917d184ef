"""`reports` and `open_groups` of a release, from the groups table's stream (SPEC §12, §9).

The aggregates function (the groups stream's first consumer; a stream serves at most two) hands its
batch here: each group change adds `new.count - old.count` reports to its version's count items
(that day's `r_<yyyymmdd>` and the lifetime `reports`) and moves `open_groups` when the group's status
enters or leaves `open`. Summed per count item and applied once per batch with releases/counting.py's
markers, so a crash storm on one version is one write per batch, not one per report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fleetreport.releases.counting import Increment, apply_increments, day_attr
from fleetreport.releases.keys import counts_key, slices_of

Change = tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]


def _is_open(image: Mapping[str, Any] | None) -> bool:
    return bool(image) and str((image or {}).get("status") or "open") == "open"


def report_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, int]:
    """What one group change adds to its version's counts ({} for most triage edits)."""
    image = new or old or {}
    if "group_hash" not in image or "app_version" not in image:
        return {}
    delta: dict[str, int] = {}
    if new:
        added = int(new.get("count", 0)) - int((old or {}).get("count", 0))
        day = str(new.get("last_seen", ""))[:10]
        if added > 0 and day:
            delta["reports"] = added
            delta[day_attr("r", day)] = added
    opened = int(_is_open(new)) - int(_is_open(old))
    if opened:
        delta["open_groups"] = opened
    return delta


def report_increments(changes: Iterable[Change]) -> dict[tuple[str, str], Increment]:
    summed: dict[tuple[str, str], Increment] = {}
    for event_id, old, new in changes:
        delta = report_changes(old, new)
        if not delta:
            continue
        image = new or old or {}
        app_id, version = str(image["app_id"]), str(image["app_version"])
        day = str(image.get("last_seen", ""))[:10]
        channel, platform = str(image.get("app_channel", "")), str(image.get("sys_platform", ""))
        for slice_ in slices_of(channel, platform):
            key = counts_key(app_id, slice_, version)
            inc = summed.setdefault(key, Increment(str(image.get("owner", "")), app_id, version))
            for attr, n in delta.items():
                inc.add(attr, n)
            if day:
                inc.first_day = min(inc.first_day or day, day)
                inc.last_day = max(inc.last_day, day)
            inc.event_ids.append(event_id)
    return summed


def count_group_reports(
    counts_table: str, markers_table: str, changes: Iterable[Change], now: datetime
) -> int:
    """Apply a batch's report counts; returns the count items updated."""
    applied, _ = apply_increments(counts_table, markers_table, report_increments(changes), now)
    return applied
