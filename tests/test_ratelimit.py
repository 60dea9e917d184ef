"""Rate limits (SPEC §3.5): fixed windows per key, per device+group, per group; 0 disables; fail open."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from fleetreport.errors import RateLimited
from fleetreport.groups.ratelimit import (
    RefusalMemory,
    device_digest,
    enforce_rate_limits,
    refusal_memory,
    use_refusal_memory,
    windows_for,
)
from fleetreport.settings import get_settings
from fleetreport.storage.aws import dynamodb
from groups_support import group_item, ingest, make_app, report

HASH = hashlib.sha256(b"test|1.4.2|stable|windows|amd64|update_failure|checksum_mismatch").hexdigest()


@pytest.fixture(autouse=True)
def fresh_memory() -> None:
    """Each test is a fresh container: no window is known full from an earlier test."""
    use_refusal_memory(RefusalMemory())


def rate_limit_counters(stack: Any) -> list[dict[str, Any]]:
    """The windows' counter items (the table also holds other functions' markers, e.g. `stream#`)."""
    items: list[dict[str, Any]] = stack.table("CountersTable").scan()["Items"]
    return [item for item in items if item["counter"].split("#")[0] in ("key", "dev", "grp")]


def limits(settings_env: Any, key: int = 0, device: int = 0, group: int = 0) -> None:
    settings_env(
        REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE=str(key),
        REPORTS_RATE_LIMIT_PER_DEVICE_PER_GROUP_PER_HOUR=str(device),
        REPORTS_RATE_LIMIT_PER_GROUP_PER_MINUTE=str(group),
    )


def limited(result: Any, max_retry_after: int) -> bool:
    retry_after = int(result.header("Retry-After") or 0)
    return (
        result.status == 429
        and result.json() == {"error": "rate limit exceeded"}
        and 1 <= retry_after <= max_retry_after
    )


def test_per_key_limit_per_minute(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    limits(settings_env, key=2)
    assert ingest(stack, key, report(), device="a").status == 202
    assert ingest(stack, key, report(version="2"), device="b").status == 202
    assert limited(ingest(stack, key, report(version="3"), device="c"), 60)


def test_limited_request_is_not_counted(stack: Any, settings_env: Any) -> None:
    app_id, key = make_app(stack)
    limits(settings_env, key=1)
    ingest(stack, key, report(), device="a")
    assert ingest(stack, key, report(), device="b").status == 429
    item = group_item(stack, app_id, HASH)
    assert item and item["count"] == 1


def test_per_device_per_group_limit_per_hour(stack: Any, settings_env: Any) -> None:
    """The default is one report per device and group per hour."""
    app_id, key = make_app(stack)
    assert ingest(stack, key, report(), device="a").status == 202
    assert limited(ingest(stack, key, report(), device="a"), 3600)
    assert ingest(stack, key, report(), device="b").status == 202
    assert ingest(stack, key, report(reason="other"), device="a").status == 202
    item = group_item(stack, app_id, HASH)
    assert item and item["count"] == 2


def test_per_group_limit_per_minute(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    limits(settings_env, group=2)
    for device in ("a", "b"):
        assert ingest(stack, key, report(), device=device).status == 202
    assert limited(ingest(stack, key, report(), device="c"), 60)
    assert ingest(stack, key, report(reason="other"), device="c").status == 202


def test_the_same_group_in_another_app_has_its_own_windows(stack: Any, settings_env: Any) -> None:
    _, key_a = make_app(stack, tenant="t1")
    _, key_b = make_app(stack, tenant="t2")
    limits(settings_env, device=1, group=1)
    assert ingest(stack, key_a, report(), device="a").status == 202
    assert ingest(stack, key_b, report(), device="a").status == 202


def test_zero_disables_every_limit(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    limits(settings_env)
    for _ in range(5):
        assert ingest(stack, key, report(), device="same").status == 202
    assert rate_limit_counters(stack) == []


def test_a_refused_request_gives_back_what_earlier_windows_took(stack: Any, settings_env: Any) -> None:
    """Key is checked first (and passes), the device window refuses: the key window is not charged."""
    _, key = make_app(stack)
    limits(settings_env, key=2, device=1)
    assert ingest(stack, key, report(), device="a").status == 202
    assert ingest(stack, key, report(), device="a").status == 429
    assert ingest(stack, key, report(), device="b").status == 202  # the key has one unit left


def test_limits_are_checked_in_spec_order() -> None:
    """Key (minute), device+group (hour), group (minute): the first full window names Retry-After."""
    settings = get_settings().model_copy(
        update={
            "rate_limit_per_key_per_minute": 1,
            "rate_limit_per_device_per_group_per_hour": 1,
            "rate_limit_per_group_per_minute": 1,
        }
    )
    now = datetime(2026, 5, 20, 10, 30, 15, 200000, tzinfo=UTC)
    windows = windows_for(settings, key_id="k", app_id="a", group_hash=HASH, device_id="d", now=now)
    assert [w.counter.split("#")[0] for w in windows] == ["key", "dev", "grp"]
    assert [w.seconds_left(now) for w in windows] == [45, 1785, 45]
    assert [w.limit for w in windows] == [1, 1, 1]
    assert windows[0].counter == "key#k#202605201030"
    assert windows[1].counter == f"dev#{hashlib.sha256(b'd').hexdigest()}#a#{HASH}#2026052010"
    assert windows[2].counter == f"grp#a#{HASH}#202605201030"


def test_retry_after_is_the_time_to_the_end_of_the_window(stack: Any, settings_env: Any) -> None:
    limits(settings_env, device=1)
    settings = get_settings()
    now = datetime(2026, 5, 20, 10, 59, 30, tzinfo=UTC)
    windows = windows_for(settings, key_id="k", app_id="a", group_hash=HASH, device_id="d", now=now)
    enforce_rate_limits(settings, windows, now)
    with pytest.raises(RateLimited) as refused:
        enforce_rate_limits(settings, windows, now)
    assert refused.value.headers() == {"Retry-After": "30"} and refused.value.status == 429


def test_counters_expire_and_never_hold_the_device_id_in_clear(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    limits(settings_env, key=100, device=1, group=30)
    ingest(stack, key, report(), device="device-secret-42")
    every = stack.table("CountersTable").scan()["Items"]
    assert all("device-secret-42" not in str(item) for item in every)
    items = [item for item in every if not item["counter"].startswith("gdv#")]  # the group's device mark
    assert len(items) == 3
    assert any(hashlib.sha256(b"device-secret-42").hexdigest() in item["counter"] for item in items)
    now = datetime.now(UTC).timestamp()
    for item in items:
        kind = item["counter"].split("#")[0]
        window = 3600 if kind == "dev" else 60
        assert now + 3600 < int(item["ttl"]) <= now + window + 3600 + 1, item["counter"]
        assert item["n"] == 1


def test_counter_store_failure_fails_open_and_is_measured(
    stack: Any, settings_env: Any, capsys: Any, caplog: Any
) -> None:
    app_id, key = make_app(stack)
    settings_env(COUNTERS_TABLE="no-such-counters-table")
    assert ingest(stack, key, report(), device="a").status == 202
    assert ingest(stack, key, report(), device="a").status == 202
    assert '"RateLimiterErrors"' in capsys.readouterr().out
    assert caplog.messages.count("rate limiter unavailable, allowing") == 2
    item = group_item(stack, app_id, HASH)
    assert item and item["count"] == 2


def test_limited_requests_are_measured(stack: Any, settings_env: Any, capsys: Any) -> None:
    _, key = make_app(stack)
    ingest(stack, key, report(), device="a")
    ingest(stack, key, report(), device="a")
    assert '"RateLimited"' in capsys.readouterr().out


def test_a_window_found_full_is_refused_from_memory_without_writing(stack: Any, settings_env: Any) -> None:
    """The group window refuses device b (its key and device units are handed back); device c is then
    refused from the container's memory: it takes no unit anywhere, so no counter of its exists."""
    _, key = make_app(stack)
    limits(settings_env, key=100, device=1, group=1)
    assert ingest(stack, key, report(), device="a").status == 202
    assert limited(ingest(stack, key, report(), device="b"), 60)
    before = {item["counter"]: item["n"] for item in rate_limit_counters(stack)}
    assert limited(ingest(stack, key, report(), device="c"), 60)
    after = {item["counter"]: item["n"] for item in rate_limit_counters(stack)}
    assert after == before
    assert not any(device_digest("c") in counter for counter in after)
    assert ingest(stack, key, report(reason="other"), device="c").status == 202  # other windows: not known


def test_a_remembered_window_is_forgotten_when_it_ends(stack: Any, settings_env: Any) -> None:
    limits(settings_env, group=1)
    settings = get_settings()
    start = datetime(2026, 5, 20, 10, 30, 15, tzinfo=UTC)

    def attempt(now: datetime, device: str) -> bool:
        windows = windows_for(settings, key_id="k", app_id="a", group_hash=HASH, device_id=device, now=now)
        try:
            enforce_rate_limits(settings, windows, now)
        except RateLimited:
            return False
        return True

    assert attempt(start, "a")
    assert not attempt(start.replace(second=20), "b")  # found full in the store, then remembered
    [group] = windows_for(settings, key_id="k", app_id="a", group_hash=HASH, device_id="c", now=start)
    assert refusal_memory().known_full(group, start)
    assert attempt(start.replace(minute=31, second=0), "c")  # a new window: asked of the store again


def test_a_window_is_known_full_only_at_the_limit_it_was_found_at(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    limits(settings_env, group=1)
    assert ingest(stack, key, report(), device="a").status == 202
    assert ingest(stack, key, report(), device="b").status == 429
    limits(settings_env, group=3)  # raised: the window is asked of the store again
    assert ingest(stack, key, report(), device="c").status == 202


class WriteCounter:
    """UpdateItem calls on CountersTable through the code's client (a refused one is billed too)."""

    def __init__(self, table_name: str) -> None:
        self.table_name, self.writes = table_name, 0
        dynamodb().meta.client.meta.events.register("before-call.dynamodb.UpdateItem", self._count)

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == self.table_name:
            self.writes += 1


def test_a_big_key_limit_is_taken_in_leases_and_never_passed(stack: Any, settings_env: Any) -> None:
    """A limit of 2,000 a minute is leased 2 units a write: two containers share the window, write
    once per lease, and together admit exactly the limit (the last lease that no longer fits is
    taken unit by unit)."""
    limits(settings_env, key=2000)
    settings = get_settings()
    counter = WriteCounter(stack.name("CountersTable"))
    now = datetime(2026, 5, 20, 10, 30, 15, tzinfo=UTC)
    containers = [RefusalMemory(), RefusalMemory()]
    admitted = 0
    for n in range(2010):
        use_refusal_memory(containers[n % 2])
        windows = windows_for(settings, key_id="k", app_id="a", group_hash=HASH, device_id=str(n), now=now)
        try:
            enforce_rate_limits(settings, windows, now)
        except RateLimited:
            continue
        admitted += 1
    [window] = rate_limit_counters(stack)
    assert admitted == window["n"] == 2000
    assert counter.writes <= 2000 // 2 + 2 * 3  # one per lease, + each container's refusals at the end


def test_a_refused_request_hands_a_leased_unit_back_to_its_container(stack: Any, settings_env: Any) -> None:
    limits(settings_env, key=2000, group=1)
    settings = get_settings()
    now = datetime(2026, 5, 20, 10, 30, 15, tzinfo=UTC)

    def attempt(device: str) -> bool:
        windows = windows_for(settings, key_id="k", app_id="a", group_hash=HASH, device_id=device, now=now)
        try:
            enforce_rate_limits(settings, windows, now)
        except RateLimited:
            return False
        return True

    assert attempt("a") and not attempt("b")  # b took the key's second leased unit, then gave it back
    [key_window, _] = windows_for(settings, key_id="k", app_id="a", group_hash=HASH, device_id="c", now=now)
    assert refusal_memory().spend(key_window, now)  # the unit is held again, without a write
    assert not refusal_memory().spend(key_window, now)
    key_counter = next(item for item in rate_limit_counters(stack) if item["counter"].startswith("key#"))
    assert key_counter["n"] == 2


def test_a_container_meeting_a_full_window_refuses_it_from_a_read_without_writing(
    stack: Any, settings_env: Any
) -> None:
    """SPEC §9: a refused report costs ≤ 0.1 WCU. Another container's first refusal no longer takes
    the key and device units to hand them back: it reads the counters and refuses, writing nothing."""
    _, key = make_app(stack)
    limits(settings_env, key=100, device=1, group=1)
    assert ingest(stack, key, report(), device="a").status == 202
    use_refusal_memory(RefusalMemory())  # another container: it knows of no full window
    counter = WriteCounter(stack.name("CountersTable"))
    before = {item["counter"]: item["n"] for item in rate_limit_counters(stack)}
    assert limited(ingest(stack, key, report(), device="b"), 60)
    assert counter.writes == 0
    assert {item["counter"]: item["n"] for item in rate_limit_counters(stack)} == before
    assert any(counter.startswith("grp#") for counter, _ in refusal_memory()._full)  # remembered


def test_a_full_device_window_is_refused_before_a_full_group_window(stack: Any, settings_env: Any) -> None:
    """The read refuses in the spec's order: device a's second report meets its own full hour first."""
    _, key = make_app(stack)
    limits(settings_env, device=1, group=1)
    assert ingest(stack, key, report(), device="a").status == 202
    use_refusal_memory(RefusalMemory())
    assert limited(ingest(stack, key, report(), device="a"), 3600)
    assert int(ingest(stack, key, report(), device="a").header("Retry-After")) > 60  # the hour's window
