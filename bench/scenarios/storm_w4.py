"""W4 release day (SPEC §9, §12) on the storm model: one app's devices move to a new version.

    python -m bench.scenarios.storm_w4 --devices 100000 --seconds 600 --containers 50 --shards 4

`devices` devices move to version 2.0.0 over `seconds` simulated seconds (device i at t_i, evenly
spread with jitter); each sends 3 beacons (`POST /reports/beacon`, the real ingest function) that
day, at t_i, t_i + T/3 and t_i + 2T/3 (+ up to T/30 of jitter), wrapped into the window, so beacons
arrive at a steady 3 x devices / T a second and a device's later beacons usually land on another warm
container than its first (API Gateway gives each request to the container idle longest). 2 % of the
devices also send a crash report (`POST /reports/ingest`, `event.type` crash, one of 20 reasons
taken in turn) at t_i + T/6. K warm containers serve both routes; the per-key limit is at 100,000 a
minute (a big fleet's setting, as W3), every other limit at its default.

The ReleasesTable stream goes to the real ReleaseCountsFunction as the template's event source
mapping configures it (BatchSize, MaximumBatchingWindowInSeconds, read from template.yaml): each
record is stamped with the simulated instant its write ended and goes to one of `shards` stream
shards by its partition key (DynamoDB keeps an item's records in one shard); each shard has one
batch in flight at a time (ParallelizationFactor 1), which starts when the shard's poller is free and
either BatchSize records are waiting or the oldest has waited the batching window. A batch that fails
(e.g. a TransactionConflict with another shard's batch) is retried as the same batch a second later,
as Lambda retries a stream batch. Exact when every count item (every slice) equals a recount of the
beacons answered 204 and the crash reports answered 202.

`--regression` exists for tests/test_release_day_verdict.py: it breaks the design the way a known
regression would, so the test can show the verdict failing (never used by `make bench`).
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OWNER = "fleet"
APP = "release-day"
VERSION = "2.0.0"
CRASH_EVERY = 50  # 2 % of the devices report a crash
CRASH_REASONS = 20
BEACONS = 3
RETRY_AFTER_S = 1.0  # a failed stream batch is retried (the same records) after this
REGRESSIONS = ("write-every-beacon", "one-partition-key")


@dataclass
class Shard:
    """One stream shard and its poller: records waiting (arrival, record, cause), the batch to retry."""

    container: int
    pending: list[tuple[float, dict[str, Any], str]] = field(default_factory=list)
    retry: list[tuple[float, dict[str, Any], str]] | None = None
    attempts: int = 0
    free_at: float = 0.0


@dataclass
class Mapping:
    batch_size: int
    window_s: float
    max_retries: int


def stream_mapping(template: Any) -> Mapping:
    """BatchSize and MaximumBatchingWindowInSeconds of ReleaseCountsFunction's stream (template.yaml)."""
    function = template.resources("AWS::Serverless::Function")["ReleaseCountsFunction"]
    [event] = [e for e in function["Properties"]["Events"].values() if e["Type"] == "DynamoDB"]
    props = event["Properties"]
    return Mapping(
        int(props.get("BatchSize", 100)),
        float(props.get("MaximumBatchingWindowInSeconds", 0)),
        int(props.get("MaximumRetryAttempts", 10)),
    )


def release_day(
    devices: int, seconds: float, containers: int, shards: int, regression: str | None = None
) -> dict[str, Any]:
    from bench.scenarios.storm import _stack, _verdict

    template, session, client = _stack()
    os.environ["REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE"] = "100000"
    from fleetreport.settings import get_settings

    get_settings.cache_clear()
    if regression:
        _regress(regression)
    from fleetreport.apps.models import NewApp
    from fleetreport.apps.store import AppStore
    from fleetreport.storage.aws import table

    from bench.storm import StormModel

    app, key = AppStore(table(template.physical_name("AppsTable"))).create(
        OWNER, NewApp(name=APP, reports=True)
    )
    assert key is not None
    releases_name = template.physical_name("ReleasesTable")
    arn = client.describe_table(TableName=releases_name)["Table"]["LatestStreamArn"]
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    mapping = stream_mapping(template)
    model = StormModel(template, "IngestFunction", containers + shards, start)
    undo = model.install(session, client)
    for container in model.containers:
        container.context.run(_own_memories)
    run = _Run(model, mapping, arn, releases_name, containers, shards, key.plaintext)
    wall = time.perf_counter()
    try:
        run.serve(_schedule(devices, seconds))
    finally:
        undo()
    recount_ok, checked = _exact(template.physical_name("RollupsTable"), app.app_id, run, start)
    return {
        **_verdict(model),
        **run.figures(devices),
        "devices": devices,
        "seconds": seconds,
        "shards": shards,
        "batch_size": mapping.batch_size,
        "batching_window_s": mapping.window_s,
        "regression": regression,
        "count_items_checked": checked,
        "exact": recount_ok and run.beacons_all_accepted() and not run.dead_lettered,
        "wall_seconds": time.perf_counter() - wall,
    }


def _own_memories() -> None:
    """A container's own release memories (device days it knows, beacons it counted)."""
    from fleetreport.releases.beacon import BeaconCounts, use_beacon_counts
    from fleetreport.releases.devices import DayMemory, use_day_memory

    use_day_memory(DayMemory())
    use_beacon_counts(BeaconCounts())


def _schedule(devices: int, seconds: float) -> list[tuple[float, int, str]]:
    """(arrival, device, "beacon" | "crash") for every request of the window, in arrival order."""
    rng = random.Random(20261204)
    schedule = []
    for device in range(devices):
        moved = (device + rng.random()) * seconds / devices
        for n in range(BEACONS):
            offset = n * seconds / BEACONS + (rng.uniform(0, seconds / 30) if n else 0.0)
            schedule.append(((moved + offset) % seconds, device, "beacon"))
        if device % CRASH_EVERY == CRASH_EVERY // 2:
            schedule.append(((moved + seconds / 6 + rng.uniform(0, seconds / 30)) % seconds, device, "crash"))
    schedule.sort()
    return schedule


def _system(device: int) -> dict[str, str]:
    platform = "windows" if device % 10 < 7 else "linux" if device % 10 < 9 else "darwin"
    return {"platform": platform, "arch": "arm64" if device % 3 == 0 else "amd64"}


def _event(device: int, kind: str, key: str) -> dict[str, Any]:
    from fleetreport_local.apigw import http_api_event

    body: dict[str, Any] = {
        "application": {"name": APP, "version": VERSION, "channel": "stable"},
        "system": _system(device),
    }
    path = "/reports/beacon"
    if kind == "crash":
        path = "/reports/ingest"
        body["event"] = {"type": "crash", "reason": f"crash-{device // CRASH_EVERY % CRASH_REASONS}"}
    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": f"device-{device:06d}"}
    return http_api_event("POST", path, route_key=f"POST {path}", headers=headers, body=json.dumps(body))


class _Run:
    """The requests on K containers and the stream on one poller per shard, on one simulated clock."""

    def __init__(
        self,
        model: Any,
        mapping: Mapping,
        arn: str,
        releases_name: str,
        containers: int,
        shards: int,
        key: str,
    ) -> None:
        self.model = model
        self.mapping = mapping
        self.arn = arn
        self.releases_name = releases_name
        self.containers = containers
        self.shards = [Shard(containers + n) for n in range(shards)]
        self.key = key
        self.statuses: Counter[str] = Counter()
        self.by_kind: Counter[tuple[str, str]] = Counter()
        self.active: set[int] = set()  # devices answered 204 (beacon) or 202 (report)
        self.crashed: set[int] = set()
        self.records: Counter[str] = Counter()  # stream records by cause
        self.batches = 0
        self.failed_batches = 0
        self.dead_lettered = 0
        self.errors: Counter[str] = Counter()
        self.batch_records: list[int] = []
        self.lag = 0.0  # longest wait of a record for its batch to start
        self.sequence = 0

    def serve(self, schedule: list[tuple[float, int, str]]) -> None:
        idle = [(0.0, index) for index in range(self.containers)]
        heapq.heapify(idle)
        for arrival, device, kind in schedule:
            free_at, index = heapq.heappop(idle)
            at = max(arrival, free_at)
            self._fire_due(at)
            with self.model.meter.window() as usage:
                answer, ends = self.model.invoke(
                    self.model.containers[index], at, _event(device, kind, self.key)
                )
            heapq.heappush(idle, (ends, index))
            status = str(answer["statusCode"])
            self.statuses[status] += 1
            self.by_kind[(kind, status)] += 1
            if status in ("204", "202"):
                self.active.add(device)
                if kind == "crash":
                    self.crashed.add(device)
            self.model.meter.book("beacon" if kind == "beacon" else f"crash report {status}", usage)
            self._collect(ends, kind)
            self.model.meter.settle(at)
        self._fire_due(float("inf"))
        self.model.meter.settle()

    # ------------------------------------------------------------------ the stream
    def _collect(self, ends: float, cause: str) -> None:
        """Take the records the invocation wrote from moto's stream (stamped with its end)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
        stream = backend.tables[self.releases_name].stream_shard
        if stream is None or not stream.items:
            return
        from fleetreport_local.stream_poller import _moto_key_insert

        taken, stream.items = stream.items, []
        for record in taken:
            body = record.record
            if _moto_key_insert(body):  # moto's extra bare-key INSERT; DynamoDB records one
                continue
            pk = str(next(iter(body["dynamodb"]["Keys"]["pk"].values())))
            shard = self.shards[zlib.crc32(pk.encode()) % len(self.shards)]
            self.sequence += 1
            body["dynamodb"]["SequenceNumber"] = str(self.sequence)
            shard.pending.append((ends, body, cause))
            self.records[cause] += 1

    def _fire_at(self, shard: Shard) -> float:
        if shard.retry is not None:
            return shard.free_at
        if not shard.pending:
            return float("inf")
        first = shard.pending[0][0]
        size = self.mapping.batch_size
        full = shard.pending[size - 1][0] if len(shard.pending) >= size else float("inf")
        return max(shard.free_at, min(first + self.mapping.window_s, full))

    def _fire_due(self, until: float) -> None:
        while True:
            moment, shard = min(((self._fire_at(s), i) for i, s in enumerate(self.shards)), default=(0, 0))
            if moment == float("inf") or moment > until:
                return
            self._fire(self.shards[shard], moment)

    def _fire(self, shard: Shard, moment: float) -> None:
        from fleetreport_local.stream_poller import lambda_record

        if shard.retry is not None:
            batch = shard.retry
        else:
            size = 0
            while (
                size < min(len(shard.pending), self.mapping.batch_size) and shard.pending[size][0] <= moment
            ):
                size += 1
            batch, shard.pending = shard.pending[:size], shard.pending[size:]
        self.lag = max(self.lag, moment - batch[0][0])
        event = {"Records": [lambda_record(record, self.arn) for _, record, _ in batch]}
        container = self.model.containers[shard.container]
        with self.model.meter.window() as usage:
            try:
                _, ends = self.model.invoke(container, moment, event, "ReleaseCountsFunction")
                shard.retry = None
            except Exception as error:  # the whole batch failed: Lambda retries the same records
                ends = self.model.clock.seconds
                self.failed_batches += 1
                self.errors[f"{type(error).__name__}: {error}"[:200]] += 1
                shard.attempts += 1
                shard.retry = batch if shard.attempts <= self.mapping.max_retries else None
                if shard.retry is None:  # the OnFailure destination: counts short, not exact
                    self.dead_lettered += len(batch)
            if shard.retry is None:
                shard.attempts = 0
        self.model.meter.book("release counts batch", usage)
        self.batches += 1
        self.batch_records.append(len(batch))
        shard.free_at = ends + (RETRY_AFTER_S if shard.retry is not None else 0.0)

    def beacons_all_accepted(self) -> bool:
        """Every beacon 204 (W4's 3 a day are far below the daily limit); a crash report may be refused
        by a rate limit (429: it then marks nothing, SPEC §12, and the recount leaves it out)."""
        return all(
            status == "204" if kind == "beacon" else status in ("202", "429") for kind, status in self.by_kind
        )

    def figures(self, devices: int) -> dict[str, Any]:
        """What a device-day of beacons cost, the consumer's writes apportioned by stream record."""
        kinds = self.model.meter.kinds
        beacons = kinds.get("beacon")
        consumer = kinds.get("release counts batch")
        beacon_wcu = beacons.usage.wcu if beacons else 0.0
        consumer_wcu = consumer.usage.wcu if consumer else 0.0
        records = sum(self.records.values())
        share = self.records["beacon"] / records if records else 0.0
        beaconing = len(self.active) or 1
        return {
            "statuses": dict(sorted(self.statuses.items())),
            "beacons": beacons.count if beacons else 0,
            "crashed_devices": len(self.crashed),
            "active_devices": len(self.active),
            "stream_records": dict(self.records),
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "dead_lettered_records": self.dead_lettered,
            "batch_errors": dict(self.errors.most_common(3)),
            "records_per_batch": round(records / max(1, self.batches), 1),
            "max_records_per_batch": max(self.batch_records, default=0),
            "stream_lag_s": round(self.lag, 2),
            "beacon_wcu": beacon_wcu,
            "consumer_wcu": consumer_wcu,
            "consumer_share_of_beacons": round(share, 4),
            "wcu_per_device_day": (beacon_wcu + consumer_wcu * share) / beaconing,
            "wcu_per_device_day_beacons_only": beacon_wcu / beaconing,
            "wcu_per_device_day_all_consumer": (beacon_wcu + consumer_wcu) / beaconing,
        }


def _exact(rollups_name: str, app_id: str, run: _Run, start: datetime) -> tuple[bool, int]:
    """Every slice's count item against a recount of the answered beacons and crash reports."""
    from fleetreport.releases.counting import day_attr
    from fleetreport.releases.keys import counts_key, slices_of
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    active: Counter[str] = Counter()
    crashed: Counter[str] = Counter()
    for device in run.active:
        for slice_ in slices_of("stable", _system(device)["platform"]):
            active[slice_] += 1
            crashed[slice_] += device in run.crashed
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    day = start.date().isoformat()
    ok = True
    for slice_, expected in active.items():
        pk, sk = counts_key(app_id, slice_, VERSION)
        found = backend.get_item(rollups_name, {"pk": {"S": pk}, "sk": {"S": sk}})
        attrs = found.to_json()["Attributes"] if found is not None else {}

        def number(name: str, attrs: dict[str, Any] = attrs) -> int:
            return int(attrs.get(name, {"N": "0"})["N"])

        ok = ok and number("active") == expected == number(day_attr("a", day))
        ok = ok and number("crashed") == crashed[slice_] == number(day_attr("c", day))
    return ok and bool(active), len(active)


def _regress(name: str) -> None:
    """Break the design as a known regression would (tests/test_release_day_verdict.py only)."""
    from fleetreport.releases import devices

    if name == "write-every-beacon":  # no memory, no read first: every beacon tries its device item
        devices._done = lambda *_: False  # type: ignore[assignment]
    elif name == "one-partition-key":  # every device of a version under one partition key
        original = devices.device_pk
        devices.device_pk = lambda app_id, version, digest: original(app_id, version, "all")  # type: ignore[assignment]
        devices.DEVICE_SK = "D"
        _key_by_sort(devices)
    else:
        raise ValueError(f"unknown regression {name}")


def _key_by_sort(devices: Any) -> None:
    """With one partition key the device hash moves to the sort key (one item per device still)."""
    original_mark = devices.mark_active

    def mark_active(releases_table: str, activity: Any) -> bool:
        previous = devices.DEVICE_SK
        devices.DEVICE_SK = activity.digest
        try:
            return bool(original_mark(releases_table, activity))
        finally:
            devices.DEVICE_SK = previous

    devices.mark_active = mark_active
    from fleetreport.releases import beacon, reports

    beacon.mark_active = mark_active  # type: ignore[attr-defined]
    reports.mark_active = mark_active  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    from bench.scenarios.storm import answer_in_model

    parser = argparse.ArgumentParser(prog="python -m bench.scenarios.storm_w4")
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--regression", choices=REGRESSIONS)
    args = parser.parse_args(argv)
    return answer_in_model(
        lambda: release_day(args.devices, args.seconds, args.containers, args.shards, args.regression)
    )


if __name__ == "__main__":
    sys.exit(main())
