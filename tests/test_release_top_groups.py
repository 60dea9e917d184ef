"""`top_groups` of `GET /apps/{app_id}/releases/{version}` (SPEC §12): the (up to) 10 groups of the
version hitting most devices, by `stats.devices` descending (ties by group_hash), equal to a recount
across random histories with deletions and expiries, and read with a bounded number of items."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetreport.groups.devices import GroupDeviceMemory, use_device_memory
from fleetreport.groups.ingest import ingest_report
from fleetreport.releases.devices import DayMemory, use_day_memory
from groups_support import group_hash_of, make_app, no_rate_limits, report
from releases_support import clock_at
from rollup_support import counting_reads
from stream_support import expire

START = datetime(2026, 5, 20, 6, 0, tzinfo=UTC)
VERSION = "1.5.0"


@pytest.fixture(autouse=True)
def fresh_memories() -> None:
    use_day_memory(DayMemory())
    use_device_memory(GroupDeviceMemory())


def _hash(version: str, channel: str, reason: str) -> str:
    return group_hash_of("test", version, channel, "windows", "amd64", "crash", reason)


def run_history(stack: Any, admin: dict[str, str], key: str, app_id: str, seed: int) -> dict[Any, set[str]]:
    """Reports of 16 groups (two channels, two versions) from 40 devices; some groups deleted or
    expired along the way. Returns the devices of each living group, recounted from the reports."""
    rng = random.Random(seed)
    devices: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    moment = START
    for step in range(300):
        moment += timedelta(minutes=rng.randrange(1, 6))
        version = VERSION if rng.random() < 0.8 else "1.4.2"
        channel = rng.choice(("stable", "beta"))
        reason = f"r{min(int(rng.expovariate(0.35)), 7)}"  # a few groups hit many devices
        device = f"device-{rng.randrange(40)}"
        body = report(version=version, channel=channel, type="crash", reason=reason)
        headers = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
        ingest_report(headers, json.dumps(body).encode(), now=moment)
        devices[(version, channel, reason)].add(device)
        if step % 60 == 59:
            stack.streams.pump(stack.invoke)
            doomed = rng.choice(sorted(devices))
            if rng.random() < 0.5:
                answer = stack.http("DELETE", f"/reports/groups/{_hash(*doomed)}", headers=admin)
                assert answer.status == 200
            else:
                expire(stack, "GroupsTable", {"app_id": app_id, "group_hash": _hash(*doomed)})
            del devices[doomed]
    stack.streams.pump(stack.invoke)
    return devices


def expected_top(devices: dict[Any, set[str]], channel: str | None = None) -> list[tuple[str, int]]:
    ranked = [
        (_hash(*group), len(seen))
        for group, seen in devices.items()
        if group[0] == VERSION and (channel is None or group[1] == channel)
    ]
    ranked.sort(key=lambda entry: (-entry[1], entry[0]))
    return ranked[:10]


@pytest.mark.parametrize("seed", [1, 2])
def test_top_groups_equal_a_recount_across_deletions(
    stack: Any, settings_env: Any, admin: dict[str, str], seed: int
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    devices = run_history(stack, admin, key, app_id, seed)
    for channel in (None, "stable", "beta"):
        query = {"channel": channel} if channel else None
        with clock_at(START + timedelta(hours=12)), counting_reads() as reads:
            answer = stack.http("GET", f"/apps/{app_id}/releases/{VERSION}", headers=admin, query=query)
        assert answer.status == 200
        top = answer.json()["top_groups"]
        assert [(g["group_hash"], g["stats"]["devices"]) for g in top] == expected_top(devices, channel)
        assert all(g["application"]["version"] == VERSION for g in top)
        assert all(g.get("tags") is None or isinstance(g["tags"], list) for g in top)
        # the app, its rules, the count item, 10 ranking entries and 10 groups, whatever the fleet
        assert reads.items <= 1 + 10 + 10 + 3, reads.by_operation
    assert len(expected_top(devices)) == 10  # the history had more than 10 groups of the version


def test_a_group_list_item_in_top_groups_is_the_group_lists_item(
    stack: Any, settings_env: Any, admin: dict[str, str]
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    for device in ("a", "b"):
        headers = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
        body = report(version=VERSION, type="crash", reason="r0")
        ingest_report(headers, json.dumps(body).encode(), now=START)
    stack.streams.pump(stack.invoke)
    with clock_at(START):
        top = stack.http("GET", f"/apps/{app_id}/releases/{VERSION}", headers=admin).json()["top_groups"]
        listed = stack.http("GET", "/reports/groups", headers=admin).json()["items"]
    assert top == listed
    assert top[0]["stats"]["devices"] == 2
