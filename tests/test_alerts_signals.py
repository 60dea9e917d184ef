"""Alert signals (SPEC §10) from GroupsTable stream records: what fires when, exactly once.

Records are built from the real items the real ingest upsert writes (tests/alerts_support.py), fed to
the real consumer, which logs them and puts them on the moto EventBridge bus of template.yaml. The
last test reaches a spike through `POST /reports/ingest` alone (the in-process stack's stream and
rollup), its baseline read from the group rollups.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alerts_support import SignalFeed, delivery_queue_events
from fleetreport import clock
from groups_support import group_item, ingest, make_app, no_rate_limits, report

NOW = datetime(2026, 11, 30, 15, 20, tzinfo=UTC)


@pytest.fixture
def feed(stack: Any) -> SignalFeed:
    app_id, _ = make_app(stack, tenant="t1")
    return SignalFeed(stack, "t1", app_id)


def set_status(feed: SignalFeed, **values: Any) -> None:
    """A triage write (what PATCH stores), as its own stream record."""
    old = feed.item()
    names = {f"#{name}": name for name in values}
    feed.stack.table("GroupsTable").update_item(
        Key={"app_id": feed.app_id, "group_hash": feed.dims.group_hash},
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{name}": value for name, value in values.items()},
    )
    from alerts_support import stream_record

    assert feed.feed(stream_record(old, feed.item(), len(feed.records) + 1)) == []


def test_the_first_report_is_group_new_and_later_ones_are_not(feed: SignalFeed) -> None:
    assert feed.report(NOW) == ["group.new"]
    assert feed.report(NOW, times=3) == []
    (event,) = delivery_queue_events(feed.stack)
    assert (event["source"], event["detail-type"]) == ("fleetreport", "group.new")
    detail = event["detail"]
    assert detail["tenant"] == "t1" and detail["app"] == {"id": feed.app_id, "name": "test"}
    assert detail["group"]["hash"] == feed.dims.group_hash
    assert detail["group"]["event"] == {"type": "crash", "reason": "segfault"}
    assert detail["counts"] == {"total": 1}
    assert detail["link"].endswith(f"/#/groups/{feed.dims.group_hash}?app=test")


def test_a_report_on_a_resolved_group_is_group_regressed(feed: SignalFeed) -> None:
    feed.report(NOW)
    set_status(feed, status="resolved")
    assert feed.report(NOW + timedelta(minutes=5)) == ["group.regressed"]
    assert feed.report(NOW + timedelta(minutes=6)) == []
    assert [e["detail-type"] for e in delivery_queue_events(feed.stack)] == ["group.new", "group.regressed"]


def test_a_muted_group_raises_nothing(feed: SignalFeed) -> None:
    feed.report(NOW)
    set_status(feed, status="muted")
    assert feed.report(NOW + timedelta(hours=1), times=30) == []


def test_redelivered_records_publish_once(feed: SignalFeed) -> None:
    feed.report(NOW)
    for record in list(feed.records) * 2:
        feed.feed(record)
    assert [e["detail-type"] for e in delivery_queue_events(feed.stack)] == ["group.new"]
    alerts = feed.stack.http("GET", "/alerts", headers=feed.stack.auth(role="admin", owner="t1")).json()
    assert [a["signal"] for a in alerts["items"]] == ["group.new"]


# ---------------------------------------------------------------- spikes
def test_spike_on_an_old_group_crosses_ten_times_its_mean_hour(feed: SignalFeed) -> None:
    """336 reports over the previous 7 days = 2 per hour: the threshold is 20 this hour."""
    start = NOW - timedelta(days=7)
    for hour in range(168):
        feed.report(start + timedelta(hours=hour), times=2)
    fired = [feed.report(NOW) for _ in range(25)]
    assert [index + 1 for index, names in enumerate(fired) if names] == [20]
    assert fired[19] == ["group.spike"]
    spike = delivery_queue_events(feed.stack)[-1]["detail"]
    assert spike["counts"]["this_hour"] == 20 and spike["counts"]["baseline"] == "mean_hourly_7d"


def test_spike_needs_at_least_the_floor_of_ten(feed: SignalFeed) -> None:
    feed.report(NOW - timedelta(days=3))
    fired = [feed.report(NOW) for _ in range(12)]
    assert [index + 1 for index, names in enumerate(fired) if names] == [10]


def test_alert_spike_min_raises_the_floor(feed: SignalFeed, settings_env: Any) -> None:
    settings_env(ALERT_SPIKE_MIN="15")
    feed.report(NOW - timedelta(days=3))
    fired = [feed.report(NOW) for _ in range(16)]
    assert [index + 1 for index, names in enumerate(fired) if names] == [15]


def test_a_young_group_spikes_at_ten_times_its_largest_earlier_hour(feed: SignalFeed) -> None:
    first = NOW - timedelta(hours=3)
    feed.report(first, times=3)
    feed.report(first + timedelta(hours=1), times=2)
    fired = [feed.report(NOW) for _ in range(31)]
    assert [index + 1 for index, names in enumerate(fired) if names] == [30]


def test_never_a_spike_in_a_groups_first_hour(feed: SignalFeed) -> None:
    assert feed.report(NOW, times=60).count("group.spike") == 0


def test_a_spike_fires_once_per_hour_and_again_the_next_hour(feed: SignalFeed) -> None:
    feed.report(NOW - timedelta(days=2))
    names = feed.report(NOW, times=15) + feed.report(NOW + timedelta(hours=1), times=15)
    assert names.count("group.spike") == 2


# ---------------------------------------------------------------- conditional mutes end
def test_mute_until_count_reopens_the_group_and_fires_unmuted(feed: SignalFeed) -> None:
    feed.report(NOW)
    set_status(feed, status="muted", muted_at="2026-11-30T15:21:00.000Z", mute_ends_at_count=3)
    assert feed.report(NOW + timedelta(minutes=2)) == []
    assert feed.report(NOW + timedelta(minutes=3)) == ["group.unmuted"]
    item = feed.item()
    assert item and item["status"] == "open" and "mute_ends_at_count" not in item and "muted_at" not in item
    assert feed.report(NOW + timedelta(minutes=4)) == []
    assert delivery_queue_events(feed.stack)[-1]["detail"]["group"]["status"] == "open"


def test_mute_until_reopens_on_the_first_report_after_it(feed: SignalFeed) -> None:
    feed.report(NOW)
    set_status(
        feed, status="muted", muted_at="2026-11-30T15:21:00.000Z", mute_until="2026-11-30T17:00:00.000Z"
    )
    assert feed.report(NOW + timedelta(hours=1)) == []
    assert feed.report(NOW + timedelta(hours=2)) == ["group.unmuted"]


def test_a_patch_after_the_report_wins_over_the_mute_ending(feed: SignalFeed) -> None:
    feed.report(NOW)
    set_status(feed, status="muted", muted_at="2026-11-30T15:21:00.000Z", mute_ends_at_count=2)
    old = feed.item()
    from alerts_support import stream_record
    from fleetreport.groups.store import count_report
    from fleetreport.settings import get_settings

    count_report(get_settings().groups_table, owner="t1", app_id=feed.app_id, dims=feed.dims, now=NOW)
    new = feed.item()
    set_status(feed, status="muted", muted_at="2026-11-30T15:40:00.000Z")  # muted again, plainly
    assert feed.feed(stream_record(old, new, 99)) == []
    assert feed.item()["status"] == "muted"  # type: ignore[index]


def test_a_redelivered_unmute_still_fires_once(feed: SignalFeed) -> None:
    feed.report(NOW)
    set_status(feed, status="muted", muted_at="2026-11-30T15:21:00.000Z", mute_ends_at_count=2)
    assert feed.report(NOW) == ["group.unmuted"]
    assert feed.feed(feed.records[-1]) == ["group.unmuted"]
    kinds = [e["detail-type"] for e in delivery_queue_events(feed.stack)]
    assert kinds == ["group.new", "group.unmuted"]


def test_the_spike_baseline_includes_rolled_up_days(feed: SignalFeed) -> None:
    """480 reports 3 days ago, then rolled up (their hour counters leave the item): the mean over the
    previous 7 days is 480 / 168, so this hour's threshold is 29, not the floor of 10."""
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    past = now - timedelta(days=3)
    feed.report(past, times=480)
    day = past.strftime("%Y-%m-%d")
    feed.stack.invoke("RollupFunction", {"from": day, "to": day, "tenants": ["t1"]})
    item = feed.item()
    assert item and not any(name.startswith(f"h{day.replace('-', '')}") for name in item)
    fired = [feed.report(now) for _ in range(30)]
    assert [index + 1 for index, names in enumerate(fired) if names] == [29]


# ---------------------------------------------------------------- a spike through HTTP ingest
class MovableClock:
    """The clock ingest and the rollup read (fleetreport.clock): the test sets the instant."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@pytest.fixture
def movable_clock() -> Iterator[MovableClock]:
    moving = MovableClock(NOW)
    previous = clock.install(moving)
    yield moving
    clock.install(previous)


def test_a_spike_through_http_ingest_against_a_rolled_up_baseline(
    stack: Any, settings_env: Any, movable_clock: MovableClock
) -> None:
    """Only `POST /reports/ingest`, the stream and the daily rollup: 252 reports 3 days ago, rolled up
    (their hour counters leave the group item), are a mean of 1.5 an hour over the previous 7 days, so
    this hour's threshold is 15, not the floor of 10; the 15th report of the hour fires the spike."""
    no_rate_limits(settings_env)
    app_id, key = make_app(stack, tenant="t1")
    body = report(type="crash", reason="segfault")
    past = NOW - timedelta(days=3)
    movable_clock.moment = past
    for _ in range(252):
        answer = ingest(stack, key, body)
        assert answer.status == 202, answer.text
    group_hash = answer.json()["group_hash"]
    movable_clock.moment = NOW
    day = past.strftime("%Y-%m-%d")
    stack.invoke("RollupFunction", {"from": day, "to": day, "tenants": ["t1"]})
    item = group_item(stack, app_id, group_hash)
    assert item and not any(name.startswith(f"h{day.replace('-', '')}") for name in item)
    admin = stack.auth(role="admin", owner="t1")

    def spikes() -> list[dict[str, Any]]:
        answer = stack.http("GET", "/alerts", headers=admin, query={"signal": "group.spike"})  # drains first
        assert answer.status == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    for _ in range(14):
        ingest(stack, key, body)
    assert spikes() == []  # 14 this hour: past the floor, short of 10 x 1.5
    ingest(stack, key, body)
    (spike,) = spikes()
    assert spike["group"]["hash"] == group_hash
    assert spike["counts"] == {
        "total": 267,
        "this_hour": 15,
        "baseline_per_hour": 1.5,
        "baseline": "mean_hourly_7d",
    }
