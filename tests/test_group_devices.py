"""Devices per group are exact (SPEC §12): `stats.devices` and the series' `devices` per day equal a
recount from the raw reports — several devices, repeated reports, days crossing midnight UTC,
containers that forget, a group deleted by triage and one expired by retention and then recreated
(they start from 0), a group update that fails (its device mark is handed back)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fleetreport.groups.devices import GroupDeviceMemory, day_attribute, use_device_memory
from fleetreport.groups.ingest import ingest_report
from fleetreport.storage.aws import dynamodb
from groups_support import group_hash_of, group_item, make_app, no_rate_limits, report
from releases_support import clock_at
from stream_support import expire

REASONS = ("r0", "r1", "r2")
START = datetime(2026, 5, 19, 21, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_memory() -> None:
    use_device_memory(GroupDeviceMemory())


def _body(reason: str) -> bytes:
    return json.dumps(report(reason=reason)).encode()


def _hash(reason: str) -> str:
    return group_hash_of("test", "1.4.2", "stable", "windows", "amd64", "update_failure", reason)


class Recount:
    """Sets of devices per group since its (re)creation, and per group and UTC day."""

    def __init__(self) -> None:
        self.ever: dict[str, set[str]] = defaultdict(set)
        self.daily: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def see(self, reason: str, device: str, moment: datetime) -> None:
        self.ever[reason].add(device)
        self.daily[reason][moment.date().isoformat()].add(device)

    def forget(self, reason: str) -> None:
        self.ever.pop(reason, None)
        self.daily.pop(reason, None)


def _send(key: str, device: str, reason: str, moment: datetime) -> None:
    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
    ingest_report(headers, _body(reason), now=moment)


def run_history(
    stack: Any, admin: dict[str, str], key: str, app_id: str, seed: int
) -> tuple[Recount, datetime]:
    rng = random.Random(seed)
    recount = Recount()
    devices = [f"device-{n}" for n in range(9)]
    moment = START
    for step in range(160):
        moment += timedelta(minutes=rng.randrange(1, 40))  # crosses midnight UTC twice or more
        if rng.random() < 0.15:
            use_device_memory(GroupDeviceMemory())  # the next request lands on a container that knows nothing
        reason = rng.choice(REASONS)
        device = rng.choice(devices[:4]) if rng.random() < 0.5 else rng.choice(devices)  # repeats
        _send(key, device, reason, moment)
        recount.see(reason, device, moment)
        if step in (50, 110):  # deleted by triage: the recreated group starts from 0
            doomed = REASONS[step % 3]
            if doomed in recount.ever:
                answer = stack.http("DELETE", f"/reports/groups/{_hash(doomed)}", headers=admin)
                assert answer.status == 200
                recount.forget(doomed)
        if step == 80 and "r1" in recount.ever:  # expired by retention (DynamoDB's TTL deletion)
            expire(stack, "GroupsTable", {"app_id": app_id, "group_hash": _hash("r1")})
            recount.forget("r1")
    return recount, moment


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_devices_equal_a_recount_of_the_raw_reports(
    stack: Any, settings_env: Any, admin: dict[str, str], seed: int
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    recount, end = run_history(stack, admin, key, app_id, seed)
    checked = 0
    for reason in REASONS:
        item = group_item(stack, app_id, _hash(reason))
        if reason not in recount.ever:
            assert item is None
            continue
        assert item is not None
        assert int(item["devices"]) == len(recount.ever[reason]), reason
        for day, seen in recount.daily[reason].items():
            assert int(item.get(day_attribute(day), 0)) == len(seen), (reason, day)
            checked += 1
        with clock_at(end):
            detail = stack.http("GET", f"/reports/groups/{_hash(reason)}", headers=admin).json()
        assert detail["stats"]["devices"] == len(recount.ever[reason])
        series = {entry["day"]: entry["devices"] for entry in detail["activity"]["daily"]}
        assert len(series) == 30
        for day, devices in series.items():
            assert devices == len(recount.daily[reason].get(day, ())), (reason, day)
    listed = stack.http("GET", "/reports/groups", headers=admin, query={"limit": "100"}).json()["items"]
    assert {g["event"]["reason"]: g["stats"]["devices"] for g in listed} == {
        reason: len(seen) for reason, seen in recount.ever.items()
    }
    by_status = stack.http("GET", "/reports/groups", headers=admin, query={"status": "open"}).json()["items"]
    assert {g["event"]["reason"]: g["stats"]["devices"] for g in by_status} == {
        reason: len(seen) for reason, seen in recount.ever.items()
    }
    assert checked > 6  # the history really spanned groups and days


def test_repeated_reports_of_one_device_count_it_once_per_day_and_once_in_all(
    stack: Any, settings_env: Any
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    at = datetime(2026, 5, 20, 23, 50, tzinfo=UTC)
    for minutes in (0, 5, 9, 15, 30):  # 23:50 .. 00:20: two UTC days
        _send(key, "device-a", "r0", at + timedelta(minutes=minutes))
    _send(key, "device-b", "r0", at + timedelta(minutes=31))
    item = group_item(stack, app_id, _hash("r0"))
    assert item is not None
    assert (int(item["count"]), int(item["devices"])) == (6, 2)
    assert int(item[day_attribute("2026-05-20")]) == 1
    assert int(item[day_attribute("2026-05-21")]) == 2


def test_the_device_is_stored_only_as_its_keyed_hash(stack: Any, settings_env: Any) -> None:
    no_rate_limits(settings_env)
    _, key = make_app(stack)
    _send(key, "my-secret-device", "r0", START)
    marks = stack.table("CountersTable").scan()["Items"]
    assert marks and all("my-secret-device" not in json.dumps(item, default=str) for item in marks)


@contextmanager
def failing_group_updates(table_name: str) -> Iterator[list[int]]:
    """GroupsTable's UpdateItem answers an error AWS would send (after its retries): throttled."""
    failures: list[int] = []

    def fail(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == table_name:
            failures.append(1)
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}}
            raise ClientError(error, "UpdateItem")

    events = dynamodb().meta.client.meta.events
    events.register("provide-client-params.dynamodb.UpdateItem", fail)
    try:
        yield failures
    finally:
        events.unregister("provide-client-params.dynamodb.UpdateItem", fail)


@pytest.mark.parametrize("first", [True, False], ids=["new group", "known group, new day"])
def test_a_failed_group_update_hands_the_device_mark_back(stack: Any, settings_env: Any, first: bool) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    if not first:
        _send(key, "device-a", "r0", START - timedelta(days=1))
    groups_table = stack.table("GroupsTable").name
    with failing_group_updates(groups_table) as failures, pytest.raises(ClientError):
        _send(key, "device-a", "r0", START)
    assert failures
    use_device_memory(GroupDeviceMemory())  # the client's retry lands anywhere
    _send(key, "device-a", "r0", START)
    item = group_item(stack, app_id, _hash("r0"))
    assert item is not None
    assert int(item["devices"]) == 1
    assert int(item[day_attribute(START.date().isoformat())]) == 1
    assert int(item["count"]) == (1 if first else 2)


def test_a_stale_container_memory_of_a_recreated_group_counts_it_from_zero(
    stack: Any, settings_env: Any, admin: dict[str, str]
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    _send(key, "device-a", "r0", START)
    _send(key, "device-b", "r0", START)
    assert stack.http("DELETE", f"/reports/groups/{_hash('r0')}", headers=admin).status == 200
    _send(key, "device-a", "r0", START + timedelta(minutes=1))  # this container still knows the old group
    item = group_item(stack, app_id, _hash("r0"))
    assert item is not None
    assert (int(item["count"]), int(item["devices"])) == (1, 1)
    assert int(item[day_attribute(START.date().isoformat())]) == 1


def test_day_counters_older_than_the_series_are_removed_by_later_reports(
    stack: Any, settings_env: Any
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    _send(key, "device-a", "r0", START)
    _send(key, "device-a", "r0", START + timedelta(days=33))
    item = group_item(stack, app_id, _hash("r0"))
    assert item is not None
    assert day_attribute(START.date().isoformat()) not in item
    assert int(item["devices"]) == 1
