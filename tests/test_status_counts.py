"""The maintained status counts (compliance/counts.py): what status_trend's open day reads."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from compliance_support import compliance, consumer_created, consumer_deleted, load
from fleetreport import clock
from fleetreport.compliance.counts import status_counts_at
from fleetreport.compliance.timefmt import to_storage
from fleetreport.reports.definition import ReportContext
from fleetreport.reports.params import QueryParams, validate
from fleetreport.reports.status_trend import PARAMETERS, run_from_snapshots
from fleetreport.storage.aws import table
from rollup_support import random_history


def today_from_snapshots(stack: Any, now: datetime, owner: str | None = None) -> dict[str, int]:
    query = [("start_date", now.date().isoformat()), ("end_date", now.date().isoformat())]
    if owner:
        query.append(("owner", owner))
    context = ReportContext("t1", validate(PARAMETERS, QueryParams(query)), now, compliance_table(stack))
    [(_, counts)] = run_from_snapshots(context).days
    return counts


def compliance_table(stack: Any) -> Any:
    return table(stack.name("ComplianceTable"))


def today_from_counts(stack: Any, now: datetime, owner: str | None = None) -> dict[str, int] | None:
    end_of_today = now.replace(hour=23, minute=59, second=59, microsecond=999000)
    return status_counts_at(compliance_table(stack), "t1", owner, to_storage(end_of_today))


NOW = datetime(2026, 3, 10, 12, 34, 56, tzinfo=UTC)  # fixed: the day's edges are the same on every run


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@pytest.fixture
def fixed_clock() -> Iterator[datetime]:
    previous = clock.install(FixedClock())
    yield NOW
    clock.install(previous)


def edge_consumers(now: datetime) -> list[dict[str, Any]]:
    """Certain cases of the deletion rule (owner key "edge"): deleted earlier today (not counted
    today), deleted yesterday, and one that is kept."""
    today, yesterday = now.replace(hour=0, minute=0, second=0), now - timedelta(days=1)
    earlier = now - timedelta(days=5)
    events = []
    for uuid, status in (("edge-today", "invalid"), ("edge-yesterday", "partial"), ("edge-kept", "valid")):
        events += [consumer_created(uuid, to_storage(earlier), "edge")]
        events += [compliance(uuid, to_storage(earlier + timedelta(hours=1)), status, owner_key="edge")]
    events.append(consumer_deleted("edge-today", to_storage(today + timedelta(minutes=1)), "edge"))
    events.append(consumer_deleted("edge-yesterday", to_storage(yesterday), "edge"))
    return events


@pytest.mark.parametrize("seed", range(6))
def test_counts_match_the_snapshots_whatever_the_order_and_redeliveries(
    stack: Any, fixed_clock: datetime, seed: int
) -> None:
    now = fixed_clock
    rng = random.Random(seed)
    events = [
        event
        for event in random_history(rng, 12, now - timedelta(days=20), now - timedelta(minutes=1))
        if event["type"] != "DELETED" or event["timestamp"] < to_storage(now)  # none dated after now
    ] + edge_consumers(now)
    today = now.date().isoformat()
    assert any(e["type"] == "DELETED" and e["timestamp"].startswith(today) for e in events)
    redelivered = events + rng.sample(events, len(events) // 3)
    rng.shuffle(redelivered)
    load(stack, "t1", redelivered)
    for owner in (None, "acme", "globex", "edge"):
        assert today_from_counts(stack, now, owner) == today_from_snapshots(stack, now, owner), owner
    assert today_from_counts(stack, now, "edge") == {"valid": 1}  # deleted today: no longer counted


def test_a_deletion_stops_counting_even_when_it_arrives_before_the_snapshots(stack: Any) -> None:
    now = datetime.now(UTC)
    day = (now - timedelta(days=2)).date().isoformat()
    load(
        stack,
        "t1",
        [
            consumer_deleted("gone", f"{day}T12:00:00.000Z"),
            compliance("gone", f"{day}T09:00:00.000Z", "invalid"),
            consumer_created("kept", f"{day}T08:00:00.000Z"),
            compliance("kept", f"{day}T10:00:00.000Z", "partial"),
            compliance("kept", f"{day}T09:00:00.000Z", "invalid"),  # older: changes nothing now
        ],
    )
    assert today_from_counts(stack, now) == {"partial": 1} == today_from_snapshots(stack, now)
    assert today_from_counts(stack, now, "acme") == {"partial": 1}


def test_an_event_dated_in_the_future_makes_the_counts_step_aside(stack: Any) -> None:
    """Counts are "after everything stored": with a snapshot dated tomorrow they cannot say what
    today's end looked like, so they answer None and status_trend computes the day instead."""
    now = datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    load(stack, "t1", [compliance("a", to_storage(now - timedelta(hours=1)), "valid")])
    assert today_from_counts(stack, now) == {"valid": 1}
    load(stack, "t1", [compliance("a", f"{tomorrow}T12:00:00.000Z", "invalid")])
    assert today_from_counts(stack, now) is None
    day_after = now + timedelta(days=2)
    assert today_from_counts(stack, day_after) == {"invalid": 1}  # at or after it, they serve again
    assert today_from_snapshots(stack, now) == {"valid": 1}


def test_counts_are_never_used_for_an_instant_already_past(stack: Any) -> None:
    now = datetime.now(UTC)
    load(stack, "t1", [compliance("a", to_storage(now - timedelta(days=3)), "valid")])
    past = to_storage(now - timedelta(days=1))
    assert status_counts_at(compliance_table(stack), "t1", None, past) is None
