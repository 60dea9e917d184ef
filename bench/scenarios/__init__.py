"""The scenarios: each module prepares its data in the orchestrator, measures in a worker process
(`measure_*` functions, run by `bench.worker`), and turns both sizes' answers into result rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """How big each data set is and how often each operation is timed (full run vs. CI smoke)."""

    label: str
    app_groups: int  # groups of the measured app
    table_groups: int  # groups in the large table, all apps and owners
    other_tenants: int
    limit: int  # page size of the list scenarios
    far_page: int  # "page 10"
    consumers_small: int
    consumers_large: int
    snapshots_per_consumer: int
    owner_keys: int
    trend_days: int  # the range status_trend/group_trend are asked for
    ingest_reports: int
    repeat: int  # timed runs per operation (median)
    cold_runs: int  # fresh processes per handler (median)
    throughput_reports: int  # per client, 8 clients
    big_app_groups: int = 100_000  # groups of the one large app (listing at scale, SPEC §9)


FULL = Sizes(
    label="full",
    app_groups=1000,
    table_groups=100_000,
    other_tenants=30,
    limit=20,
    far_page=10,
    consumers_small=1000,
    consumers_large=10_000,
    snapshots_per_consumer=10,
    owner_keys=20,
    trend_days=365,
    ingest_reports=20,
    repeat=3,
    cold_runs=21,
    throughput_reports=125,
)

SMOKE = Sizes(
    label="smoke",
    app_groups=60,
    table_groups=600,
    other_tenants=3,
    limit=5,
    far_page=3,
    consumers_small=20,
    consumers_large=200,
    snapshots_per_consumer=10,
    owner_keys=4,
    trend_days=30,
    ingest_reports=3,
    repeat=1,
    cold_runs=1,
    throughput_reports=5,
    big_app_groups=400,  # enough resolved groups for a full 5th cursor page
)


def describe(sizes: Sizes) -> str:
    return (
        f"{sizes.app_groups:,} groups in the measured app, {sizes.table_groups:,} in the large table; "
        f"{sizes.consumers_small:,} vs {sizes.consumers_large:,} consumers x {sizes.snapshots_per_consumer} "
        f"snapshots over 365 days; trends over {sizes.trend_days} days; "
        f"medians of {sizes.repeat} timed runs, {sizes.cold_runs} fresh processes"
    )
