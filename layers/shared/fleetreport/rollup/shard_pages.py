"""A change-log shard walked a Query page at a time (SPEC §9: no unit reads more than 50,000 items).

A shard of a tenant-day holds a sixteenth of the day's changes: ~62,500 for a day of 1,000,000, with
their consumers' rows and snapshots ~187,000 items, more than one unit may read. So a shard is read
in pages of `PAGE` change-log items, and each page contributes on its own: a consumer's count at an
instant minus its count before the day is the sum of the jumps of its state at the instants where it
changed (`state_at(s) - state_at(s - 1 ms)`), and every such instant is logged on its day (the rule
the rollup already rests on to skip consumers absent from the log). A page adds, for each distinct
(instant, consumer) of its items, that consumer's jump at that instant to the first quarter-hour
label at or after it; the labels' deltas are the running sums of those jumps. The page's parts add
up to the shard's, whatever the page boundaries: items of one (instant, consumer) — a `created` and
a `snapshot` at the same millisecond — sit next to each other in the log's order, and a page skips
the one its start position (the previous page's last item) already counted.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.compliance import keys as compliance_keys
from fleetreport.compliance.timefmt import from_storage, to_storage
from fleetreport.compliance.trend import after_deletion_day
from fleetreport.rollup.counting import Deltas, Partition, contributions
from fleetreport.rollup.days import END_LABEL, LABELS, MILLISECOND, day_start, last_ms_before
from fleetreport.rollup.history import Change, ConsumerHistory, change_from_item, load_histories
from fleetreport.rollup.names import projection
from fleetreport.rollup.slices import DayPart

# Change-log items per Query page: with their consumers' rows and snapshots ~3 items each, a page
# reads ~6,000 items, the grain at which a unit's budget is spent and its position saved.
PAGE = 2_000


def moment_key(sort_key: str) -> str:
    """`{instant}#{uuid}` of a change-log sort key `{instant}#{uuid}#{kind}`: one state jump."""
    return sort_key.rsplit("#", 1)[0]


def read_page(
    compliance: Any, tenant: str, day: str, shard: int, after: dict[str, Any] | None
) -> tuple[list[Change], dict[str, Any] | None]:
    """One Query page of the shard's log from `after` (None: its start); the next start, None at the end."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(compliance_keys.change_log_pk(tenant, day, shard)),
        **projection("sk", "uuid", "kind", "owner_key"),
        "ConsistentRead": True,
        "Limit": PAGE,
    }
    if after is not None:
        request["ExclusiveStartKey"] = after
    answer = compliance.query(**request)
    changes = [change_from_item(item) for item in answer.get("Items", [])]
    return changes, answer.get("LastEvaluatedKey")


def page_part(compliance: Any, tenant: str, day: str, changes: list[Change], counted: str | None) -> DayPart:
    """What one page of a shard's log contributes to `day`; `counted` is the moment key the page
    before it ended on (its jump is already counted)."""
    if not changes:
        return DayPart()
    histories = load_histories(compliance, tenant, changes, day_start(day), last_ms_before(day, END_LABEL))
    label_instants = [last_ms_before(day, label) for label in LABELS]
    jumps: list[Deltas] = [{} for _ in LABELS]
    for change in changes:
        moment = moment_key(change.key)
        if moment == counted:
            continue
        counted = moment
        history = histories[change.uuid]
        after, before = history.state_at(change.instant), history.state_at(_just_before(change.instant))
        if after == before:
            continue
        jump = jumps[bisect.bisect_left(label_instants, change.instant)]
        for partition, status in contributions(before):
            jump.setdefault(partition, Counter())[status] -= 1
        for partition, status in contributions(after):
            jump.setdefault(partition, Counter())[status] += 1
    snapshots = sum(len(history.sort_keys) for history in histories.values())
    return DayPart(
        changes=len(changes),
        consumers=len(histories),
        items_read=len(changes) + len(histories) + snapshots,
        deltas=running_sums(jumps),
        bounds=snapshot_bounds(changes, histories),
    )


def running_sums(jumps: list[Deltas]) -> list[Deltas]:
    """Each label's deltas: the jumps at or before it."""
    sums: list[Deltas] = []
    running: Deltas = {}
    for jump in jumps:
        for partition, delta in jump.items():
            running.setdefault(partition, Counter()).update(delta)
        sums.append({partition: Counter(delta) for partition, delta in running.items()})
    return sums


def _just_before(instant: str) -> str:
    return to_storage(from_storage(instant) - MILLISECOND)


def snapshot_bounds(
    changes: Iterable[Change], histories: Mapping[str, ConsumerHistory]
) -> dict[Partition, tuple[str, str]]:
    """Per partition, the first and last snapshot instants of the day (what "the data's own
    boundary" of status_trend is made of), leaving out snapshots dated on or after their consumer's
    deletion day, as the snapshot computation does."""
    bounds: dict[Partition, tuple[str, str]] = {}
    for change in changes:
        if change.kind != "snapshot":
            continue
        history = histories.get(change.uuid)
        if after_deletion_day(change.instant, history.deleted if history else None):
            continue
        partitions: list[Partition] = [None] + ([change.owner_key] if change.owner_key else [])
        for partition in partitions:
            first, last = bounds.get(partition, (change.instant, change.instant))
            bounds[partition] = (min(first, change.instant), max(last, change.instant))
    return bounds
