"""Release counts are applied once per stream batch (SPEC §9, §12; ADR 28): a batch's count items go
99 to a transaction with ONE once-only marker named by the batch's records and the chunk's index, so
a batch pays one marker, not one per count item, and a redelivered batch — whole, or retried after a
chunk failed — adds nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from clock_support import RecordingClock
from fleetreport import clock
from fleetreport.groups.ingest import ingest_report
from fleetreport.releases.beacon import BeaconCounts, accept_beacon, use_beacon_counts
from fleetreport.releases.counting import PER_TRANSACTION, Increment, apply_increments, increments_of
from fleetreport.releases.devices import DayMemory, use_day_memory
from fleetreport.releases.keys import counts_key, slice_name
from groups_support import make_app, no_rate_limits, report
from releases_support import beacon_body
from rollup_support import failing_after
from transact_support import conflicting_transactions, transactions

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
APP = "app-1"


def device_image(version: str, device: str = "h1") -> dict[str, Any]:
    """A device item as the beacon writes it: new today on (stable, windows), so 4 count items move."""
    return {
        "pk": f"DV#{APP}#{version}#{device}",
        "app_id": APP,
        "owner": "t1",
        "version": version,
        "channel": "stable",
        "platform": "windows",
        "first_day": "2026-05-20",
        "last_day": "2026-05-20",
    }


def records_of(versions: int) -> list[tuple[str, Any, Any]]:
    """A batch of new devices, one per version: `versions` x 4 count items."""
    return [(f"event-{n}", None, device_image(f"1.{n}.0")) for n in range(versions)]


def counts(stack: Any, versions: int) -> dict[tuple[str, str], int]:
    """`active` of every count item the batch of `records_of(versions)` moves (0 when absent)."""
    table = stack.table("RollupsTable")
    found = {}
    for n in range(versions):
        for slice_ in (slice_name(), slice_name("stable"), slice_name(None, "windows")):
            key = counts_key(APP, slice_, f"1.{n}.0")
            item = table.get_item(Key={"pk": key[0], "sk": key[1]}).get("Item") or {}
            found[key] = int(item.get("active", 0))
        key = counts_key(APP, slice_name("stable", "windows"), f"1.{n}.0")
        item = table.get_item(Key={"pk": key[0], "sk": key[1]}).get("Item") or {}
        found[key] = int(item.get("active", 0))
    return found


def apply(stack: Any, versions: int) -> tuple[int, int]:
    return apply_increments(
        stack.name("RollupsTable"), stack.name("CountersTable"), increments_of(records_of(versions)), NOW
    )


def shape(made: list[list[dict[str, Any]]], stack: Any) -> list[tuple[int, int]]:
    """Per transaction: (marker puts on CountersTable, updates of count items on RollupsTable)."""
    markers, rollups = stack.name("CountersTable"), stack.name("RollupsTable")
    return [
        (
            sum(1 for action in actions if action.get("Put", {}).get("TableName") == markers),
            sum(1 for action in actions if action.get("Update", {}).get("TableName") == rollups),
        )
        for actions in made
    ]


def test_a_batch_is_one_transaction_with_one_marker_first_and_one_update_per_count_item(stack: Any) -> None:
    with transactions() as made:
        assert apply(stack, 5) == (20, 0)
    assert shape(made, stack) == [(1, 20)]  # not 20 transactions of a marker and an update each
    assert len(made[0]) == 21 and "Put" in made[0][0]  # the marker decides: it goes first
    assert set(counts(stack, 5).values()) == {1}


def test_a_batch_of_more_than_99_count_items_is_split_each_chunk_applied_exactly_once(stack: Any) -> None:
    with transactions() as made:
        assert apply(stack, 30) == (120, 0)
    assert PER_TRANSACTION == 99
    assert shape(made, stack) == [(1, 99), (1, 21)]  # TransactWriteItems takes 100 actions
    first, second = (actions[0]["Put"]["Item"]["counter"]["S"] for actions in made)
    assert first != second  # a marker per chunk
    with transactions() as again:
        assert apply(stack, 30) == (0, 120)  # the same records delivered again
    assert shape(again, stack) == [(1, 99), (1, 21)]  # each cancelled by its marker
    assert set(counts(stack, 30).values()) == {1}


def test_a_retry_after_a_chunk_failed_applies_only_the_chunks_that_did_not_commit(stack: Any) -> None:
    with failing_after("TransactWriteItems", 1), pytest.raises(ClientError):
        apply(stack, 30)  # the first chunk commits, the second fails: Lambda retries the batch
    applied = counts(stack, 30)
    assert sorted(applied.values()) == [0] * 21 + [1] * 99
    assert apply(stack, 30) == (21, 99)
    assert set(counts(stack, 30).values()) == {1}


def test_a_conflicting_transaction_is_retried_after_a_jittered_backoff(stack: Any) -> None:
    recording = RecordingClock()
    previous = clock.install(recording)
    try:
        with conflicting_transactions(2) as conflicts:
            assert apply(stack, 2) == (8, 0)
    finally:
        clock.install(previous)
    assert conflicts[0] == 2
    assert len(recording.sleeps) == 2  # one backoff before each retry, none before the first attempt
    assert 0 <= recording.sleeps[0] <= 0.02 and 0 <= recording.sleeps[1] <= 0.04  # full jitter, doubling
    assert set(counts(stack, 2).values()) == {1}


def deliver_recording(stack: Any, function: str) -> list[dict[str, Any]]:
    """Deliver the streams; the batches `function` was given."""
    batches: list[dict[str, Any]] = []

    def invoke(name: str, event: dict[str, Any]) -> Any:
        if name == function:
            batches.append(event)
        return stack.invoke(name, event)

    stack.streams.pump(invoke)
    return batches


def test_the_release_counts_function_writes_a_batch_in_one_transaction_and_a_redelivery_adds_nothing(
    stack: Any, settings_env: Any
) -> None:
    no_rate_limits(settings_env)
    use_day_memory(DayMemory())
    use_beacon_counts(BeaconCounts())
    app_id, key = make_app(stack)
    for n, (version, channel, platform) in enumerate(
        (v, c, p) for v in ("1.0.0", "2.0.0") for c in ("stable", "beta") for p in ("windows", "linux")
    ):
        headers = {"Authorization": f"Bearer {key}", "X-Device-ID": f"dev-{n}"}
        body = beacon_body(version=version, channel=channel, platform=platform)
        accept_beacon(headers, json.dumps(body).encode(), now=datetime.now(UTC))
    with transactions() as made:
        [batch] = deliver_recording(stack, "ReleaseCountsFunction")
    assert shape(made, stack) == [(1, 18)]  # 2 versions x (all, 2 channels, 2 platforms, 4 pairs)
    table = stack.table("RollupsTable")

    def active() -> list[int]:
        keys = [counts_key(app_id, slice_name(), v) for v in ("1.0.0", "2.0.0")]
        return [int(table.get_item(Key={"pk": pk, "sk": sk})["Item"]["active"]) for pk, sk in keys]

    assert active() == [4, 4]
    stack.invoke("ReleaseCountsFunction", batch)  # Lambda retries the same records
    assert active() == [4, 4]


def test_a_redelivered_groups_batch_adds_its_reports_once(stack: Any, settings_env: Any) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    for n in range(3):
        headers = {"Authorization": f"Bearer {key}", "X-Device-ID": f"dev-{n}"}
        ingest_report(headers, json.dumps(report(version="1.0.0", reason=f"r{n}")).encode())
    batches = deliver_recording(stack, "AggregatesFunction")
    pk, sk = counts_key(app_id, slice_name(), "1.0.0")
    table = stack.table("RollupsTable")
    before = table.get_item(Key={"pk": pk, "sk": sk})["Item"]
    assert int(before["reports"]) == 3 and int(before["open_groups"]) == 3
    for batch in batches:
        stack.invoke("AggregatesFunction", batch)
    after = table.get_item(Key={"pk": pk, "sk": sk})["Item"]
    assert (int(after["reports"]), int(after["open_groups"])) == (3, 3)


def test_day_attributes_older_than_90_days_are_dropped_as_the_item_changes(stack: Any) -> None:
    """Active, crashed and reports days alike: a live version's item stays ≤ 90 days of history."""
    key = counts_key(APP, slice_name(), "1.0.0")
    old = Increment("t1", APP, "1.0.0", adds={"a_20260215": 5, "c_20260215": 1, "r_20260215": 9})
    old.first_day = old.last_day = "2026-02-15"
    kept = Increment("t1", APP, "1.0.0", adds={"a_20260220": 5, "c_20260220": 1, "r_20260220": 9})
    kept.first_day = kept.last_day = "2026-02-20"
    tables = stack.name("RollupsTable"), stack.name("CountersTable")
    for n, inc in enumerate((old, kept)):
        inc.event_ids.append(f"history-{n}")
        apply_increments(*tables, {key: inc}, NOW)
    today = Increment("t1", APP, "1.0.0", adds={"r_20260520": 1}, last_day="2026-05-20", event_ids=["now"])
    apply_increments(*tables, {key: today}, NOW)  # 94 days after 02-15, 89 after 02-20
    item = stack.table("RollupsTable").get_item(Key={"pk": key[0], "sk": key[1]})["Item"]
    days = sorted(attr for attr in item if attr[:2] in ("a_", "c_", "r_"))
    assert days == ["a_20260220", "c_20260220", "r_20260220", "r_20260520"]
