"""Rows of release health (SPEC §9 W4, §12): each scenario runs in its own process.

- `release_day`: `capacity W4 …` and `WCU per device-day of beacons (W4)`, from one run of
  bench.scenarios.storm_w4 (the real ingest/beacon handler on K containers, the ReleasesTable stream
  into the real ReleaseCountsFunction, the one meter).
- `releases_read`: `releases: 30 versions x 30 days`, from bench.scenarios.releases_read (items read
  by GET /apps/{id}/releases?days=30 at two fleet sizes).
"""

from __future__ import annotations

from typing import Any

from bench.report import Row, errored, rss_check
from bench.scenarios import Sizes
from bench.scenarios.storm_rows import BUDGET, _capacity_row, _run

DEVICE_DAY_BUDGET = 1.5  # WCU for all of a device's beacons of one day, every index (SPEC §9)
READ_BUDGET = 100  # items read for 30 versions x 30 days, whatever the fleet size (SPEC §12)
FULL_RATE_DEVICES_PER_S = 100_000 / 600  # W4: 100,000 devices within 10 minutes


def release_day_rows(sizes: Sizes) -> list[Row]:
    full = sizes.label == "full"
    seconds = 60.0 if full else 0.6
    devices = round(FULL_RATE_DEVICES_PER_S * seconds)
    containers, shards = 50, 4
    window = (
        "60 simulated s at the full rate: the 600 s window takes hours on moto"
        if full
        else "smoke size, the full rate for 0.6 s"
    )
    figure = (
        f"release day ({devices:,} devices of one app moving to a new version in {seconds:g} s "
        f"({window}), 3 beacons each, 2 % crashing; K = {containers}, {shards} stream shards)"
    )
    arguments = ["--devices", str(devices), "--seconds", str(seconds), "--containers", str(containers)]
    try:
        result = _run([*arguments, "--shards", str(shards)], "bench.scenarios.storm_w4")
    except Exception as exc:
        return [
            errored("release_day", f"capacity W4 {figure}", BUDGET, f"{type(exc).__name__}: {exc}"),
            errored("release_day", "WCU per device-day of beacons (W4)", "-", "the W4 run failed"),
        ]
    return [capacity_row(figure, result), device_day_row(result)]


def capacity_row(figure: str, result: dict[str, Any]) -> Row:
    """`capacity W4 …`: the meter's hottest partition key, the stream as the template batches it."""
    statuses = result["statuses"]
    detail = (
        f"{statuses.get('204', 0):,} beacons answered 204, {statuses.get('202', 0):,} crash reports 202"
        f"{_others(statuses)}; stream: {result['batches']:,} batches (BatchSize {result['batch_size']}, "
        f"window {result['batching_window_s']:g} s: mean {result['records_per_batch']:g}, max "
        f"{result['max_records_per_batch']} records), {result['failed_batches']} failed and retried whole, "
        f"{result['dead_lettered_records']} records dead-lettered, longest wait for a batch "
        f"{result['stream_lag_s']} s; {result['count_items_checked']} count items vs the recount"
    )
    # the stream consumer's cancelled transactions are retried by Lambda, the whole batch (in `detail`)
    row = _capacity_row("W4", figure, result, detail, scenario="release_day", retries="")
    row.note += f"; wall {result['wall_seconds']:.0f} s"
    return row


def device_day_row(result: dict[str, Any]) -> Row:
    """`WCU per device-day of beacons (W4)`: the beacons' WCU plus their share of the stream consumer's."""
    figure = result["wcu_per_device_day"]
    beacons = result["per_kind"].get("beacon", {"count": 0, "wcu": 0.0, "calls": 0.0})
    records = result["stream_records"]
    return Row(
        "release_day",
        "WCU per device-day of beacons (W4)",
        f"≤ {DEVICE_DAY_BUDGET:g} WCU (all of a device's beacons of one day, every index included)",
        measured=(
            f"{figure:.3g} WCU per device-day over {result['active_devices']:,} devices: beacons "
            f"{result['wcu_per_device_day_beacons_only']:.3g} ({beacons['count']:,} beacons, "
            f"{beacons['wcu']:.3g} WCU and {beacons['calls']:.3g} calls each) + the release counts "
            f"consumer's {result['consumer_wcu']:,.0f} WCU x {result['consumer_share_of_beacons']:.1%} "
            f"(the beacons' share of its {sum(records.values()):,} stream records; crash reports made "
            f"the rest); all of the consumer's WCU charged to beacons: "
            f"{result['wcu_per_device_day_all_consumer']:.3g}"
        ),
        checks=[
            (f"≤ {DEVICE_DAY_BUDGET:g} WCU", beacons["count"] > 0 and figure <= DEVICE_DAY_BUDGET),
        ],
        note="the one meter (bench/capacity.py) over the W4 run of the same table",
    )


def releases_read_rows(sizes: Sizes) -> list[Row]:
    fleets = ["100", "10000"] if sizes.label == "full" else ["10", "100"]
    days = "30"
    fleet = f"{int(fleets[0]):,} vs {int(fleets[1]):,} devices"
    figure = f"releases: 30 versions × {days} days ({fleet})"  # noqa: RUF001 (the row's name, SPEC §12)
    budget = f"≤ {READ_BUDGET} items read, the same at both fleet sizes"
    try:
        result = _run(["--devices", *fleets, "--days", days], "bench.scenarios.releases_read")
    except Exception as exc:
        return [errored("releases_read", figure, budget, f"{type(exc).__name__}: {exc}")]
    small, large = result["fleets"]
    rss, rss_ok = rss_check(result["rss_mb"])
    return [
        Row(
            "releases_read",
            figure,
            budget,
            measured=(
                f"{small['items_read']} → {large['items_read']} items read, {small['rcu']:g} → "
                f"{large['rcu']:g} RCU, {small['calls']} → {large['calls']} calls; the answer: "
                f"{large['versions']} versions x {large['days']} days, {large['active_today']:,} devices "
                f"active today (of {large['devices']:,}); counts built by the release counts "
                f"function's own code from {large['changes']:,} device-day changes"
            ),
            reads=f"{small['reads']} → {large['reads']}",
            rss=rss,
            checks=[
                (f"≤ {READ_BUDGET} items read", max(small["items_read"], large["items_read"]) <= READ_BUDGET),
                ("the same at both sizes", small["items_read"] == large["items_read"]),
                ("30 versions answered", small["versions"] == large["versions"] == 30),
                rss_ok,
            ],
            note="GET /apps/{id}/releases through the real ReleasesFunction, as the app's admin",
        )
    ]


def _others(statuses: dict[str, int]) -> str:
    others = {code: n for code, n in statuses.items() if code not in ("204", "202")}
    return "".join(f", {n:,} answered {code}" for code, n in sorted(others.items()))
