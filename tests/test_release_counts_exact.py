"""Release counts are exact (SPEC §12): random histories of beacons and reports — upgrades mid-day,
repeated beacons, devices crashing twice, days crossing midnight UTC, containers that forget, stream
batches delivered twice — count exactly what a recount from the raw beacons and reports finds."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleetreport.groups.ingest import ingest_report
from fleetreport.releases.beacon import BeaconCounts, accept_beacon, use_beacon_counts
from fleetreport.releases.counting import changes_of, day_attr
from fleetreport.releases.devices import DayMemory, use_day_memory
from fleetreport.releases.keys import counts_key, slice_name
from groups_support import make_app, no_rate_limits, report
from releases_support import beacon_body

VERSIONS = ("1.4.2", "1.5.0", "1.10.0")
CHANNELS = ("stable", "beta")
PLATFORMS = ("windows", "linux")


class Recount:
    """The counts recomputed from the raw events: sets of devices per (version, day)."""

    def __init__(self) -> None:
        self.active: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self.crashed: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self.ever: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.ever_crashed: dict[tuple[str, str], set[str]] = defaultdict(set)

    def see(self, device: str, version: str, slices: list[str], moment: datetime, crashed: bool) -> None:
        day = moment.date().isoformat()
        for slice_ in slices:
            self.active[(slice_, version, day)].add(device)
            self.ever[(slice_, version)].add(device)
            if crashed:
                self.crashed[(slice_, version, day)].add(device)
                self.ever_crashed[(slice_, version)].add(device)


def double_delivery(stack: Any) -> Any:
    """Deliver every ReleaseCountsFunction batch twice (Lambda retrying a batch that did count)."""
    invoke = stack.invoke

    def twice(function: str, event: Any, *args: Any, **kwargs: Any) -> Any:
        answer = invoke(function, event, *args, **kwargs)
        if function == "ReleaseCountsFunction":
            answer = invoke(function, event, *args, **kwargs)
        return answer

    return twice


def run_history(stack: Any, key: str, seed: int) -> Recount:
    rng = random.Random(seed)
    recount = Recount()
    devices = {
        f"dev-{n}": (rng.choice(CHANNELS), rng.choice(PLATFORMS), rng.randrange(len(VERSIONS) - 1))
        for n in range(30)
    }
    moment = datetime(2026, 5, 19, 22, 0, tzinfo=UTC)
    headers_of = {d: {"Authorization": f"Bearer {key}", "X-Device-ID": d} for d in devices}
    for _ in range(260):
        moment += timedelta(minutes=rng.randrange(1, 25))  # crosses midnight UTC twice
        device = rng.choice(list(devices))
        channel, platform, at = devices[device]
        if rng.random() < 0.08 and at < len(VERSIONS) - 1:
            at += 1  # an upgrade mid-day: the device counts under both versions that day
            devices[device] = (channel, platform, at)
        version = VERSIONS[at]
        if rng.random() < 0.15:
            use_day_memory(DayMemory())  # the next request lands on a container that knows nothing
        slices = [
            slice_name(),
            slice_name(channel),
            slice_name(None, platform),
            slice_name(channel, platform),
        ]
        roll = rng.random()
        if roll < 0.7:
            accept_beacon(
                headers_of[device],
                _json(beacon_body(version=version, channel=channel, platform=platform)),
                now=moment,
            )
            recount.see(device, version, slices, moment, crashed=False)
        else:
            event_type = "crash" if roll < 0.85 else "update_failure"
            body = report(
                version=version,
                channel=channel,
                platform=platform,
                type=event_type,
                reason=f"r{rng.randrange(3)}",
            )
            ingest_report(headers_of[device], _json(body), now=moment)
            recount.see(device, version, slices, moment, crashed=event_type == "crash")
        if rng.random() < 0.1:
            stack.streams.pump(double_delivery(stack))
    stack.streams.pump(double_delivery(stack))
    return recount


def _json(body: dict[str, Any]) -> bytes:
    import json

    return json.dumps(body).encode()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_a_recount_of_the_raw_beacons_and_reports(
    stack: Any, settings_env: Any, seed: int
) -> None:
    no_rate_limits(settings_env)
    settings_env(REPORTS_BEACONS_PER_DEVICE_PER_DAY="0")
    use_day_memory(DayMemory())
    use_beacon_counts(BeaconCounts())
    app_id, key = make_app(stack)
    recount = run_history(stack, key, seed)
    counts = stack.table("RollupsTable")
    checked = 0
    for (slice_, version), devices in recount.ever.items():
        pk, sk = counts_key(app_id, slice_, version)
        item = counts.get_item(Key={"pk": pk, "sk": sk})["Item"]
        assert int(item["active"]) == len(devices), (slice_, version)
        assert int(item.get("crashed", 0)) == len(recount.ever_crashed[(slice_, version)]), (slice_, version)
        for (s, v, day), active in recount.active.items():
            if (s, v) != (slice_, version):
                continue
            assert int(item.get(day_attr("a", day), 0)) == len(active), (slice_, version, day)
            crashed = recount.crashed.get((s, v, day), set())
            assert int(item.get(day_attr("c", day), 0)) == len(crashed), (slice_, version, day)
            checked += 1
    assert checked > 20  # the history really spanned versions, slices and days


def test_a_device_item_change_counts_once_per_new_device_day_and_first_crash() -> None:
    first = {"pk": "DV#a#1.5.0#h", "last_day": "2026-05-20", "first_day": "2026-05-20"}
    assert changes_of(None, first) == {"active": 1, "a_20260520": 1}
    crashed = {**first, "crash_day": "2026-05-20", "first_crash_day": "2026-05-20"}
    assert changes_of(first, crashed) == {"c_20260520": 1, "crashed": 1}
    next_day = {**crashed, "last_day": "2026-05-21", "crash_day": "2026-05-21"}
    assert changes_of(crashed, next_day) == {"a_20260521": 1, "c_20260521": 1}  # crashed again: a new day
    assert changes_of(next_day, next_day) == {}
    assert changes_of(next_day, None) == {}  # a forgotten device leaves its counts
