"""The maintained status counts (compliance/counts.py): what status_trend's open day reads."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from compliance_support import compliance, consumer_created, consumer_deleted, load
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


@pytest.mark.parametrize("seed", range(6))
def test_counts_match_the_snapshots_whatever_the_order_and_redeliveries(stack: Any, seed: int) -> None:
    now = datetime.now(UTC)
    rng = random.Random(seed)
    events = [
        event
        for event in random_history(rng, 12, now - timedelta(days=20), now - timedelta(minutes=1))
        if event["type"] != "DELETED" or event["timestamp"] < to_storage(now)  # none dated after now
    ]
    redelivered = events + rng.sample(events, len(events) // 3)
    rng.shuffle(redelivered)
    load(stack, "t1", redelivered)
    for owner in (None, "acme", "globex"):
        assert today_from_counts(stack, now, owner) == today_from_snapshots(stack, now, owner), owner


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
