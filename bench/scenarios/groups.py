"""List groups and group_trend for one app holding 1k groups, in a table of 1k and then of 100k groups.

The measured owner `acme` has the app `Desktop` (all the groups of the small table) and nine other
apps; 30 other owners have three apps each. Every app exists from the start, so growing the table
adds groups only: 10% of the new groups go to acme's other apps (an admin's owner index would see
them), 90% to the other owners. The requests stay the same, so any difference in items read is
cost that grows with data outside the requester's app.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.generate import (
    AppRef,
    Clock,
    create_apps,
    group_counts,
    group_plans,
    group_trend_rollups,
    plan_group,
    run_state,
    tenants_with_apps,
)
from bench.measure import Cost
from bench.report import Row, errored, rss_check, unavailable
from bench.scenarios import Sizes

TENANT = "acme"
APP_NAME = "Desktop"
OTHER_APPS = [f"Service {n}" for n in range(1, 10)]
OTHER_TENANT_APPS = ["Desktop", "Mobile", "Server"]
LIST_BUDGET = "same reads at both sizes; full items ≤ limit+1; index entries ≤ the app's groups; 0 Scans"
TREND_BUDGET = "≤ 400 items read, the same at both sizes"
Spawn = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass
class GroupsWorld:
    clock: Clock
    app: AppRef
    acme_others: list[AppRef]
    foreign: list[AppRef]


def prepare(store: Any, sizes: Sizes, clock: Clock) -> GroupsWorld:
    """Create every app, then the measured app's groups and their group-count rollups."""
    apps_table = store.table("AppsTable")
    (app_id, _), *_ = create_apps(apps_table, TENANT, [APP_NAME])
    app = AppRef(TENANT, app_id, APP_NAME)
    acme_others = [
        AppRef(TENANT, i, n)
        for (i, _), n in zip(create_apps(apps_table, TENANT, OTHER_APPS), OTHER_APPS, strict=True)
    ]
    foreign = []
    for number in range(sizes.other_tenants):
        tenant = f"tenant-{number:02d}"
        made = create_apps(apps_table, tenant, OTHER_TENANT_APPS)
        foreign += [AppRef(tenant, i, n) for (i, _), n in zip(made, OTHER_TENANT_APPS, strict=True)]
    plans = group_plans(app, sizes.app_groups, clock)
    store.load("GroupsTable", (plan.item(clock) for plan in plans))
    store.load("RollupsTable", group_counts(plans, clock))  # what the aggregates function keeps
    store.load("RollupsTable", group_trend_rollups(app.app_id, plans, clock))
    store.load("RollupsTable", (run_state(t, clock) for t in tenants_with_apps(apps_table)))
    return GroupsWorld(clock, app, acme_others, foreign)


def grow(store: Any, sizes: Sizes, world: GroupsWorld) -> int:
    """Add groups to the other apps until the table holds `table_groups`; returns the groups added."""
    extra = sizes.table_groups - sizes.app_groups
    to_acme = extra // 10
    targets = [(world.acme_others, to_acme), (world.foreign, extra - to_acme)]

    plans: list[Any] = []

    def items() -> Any:
        for apps, count in targets:
            for n in range(count):
                app = apps[n % len(apps)]
                plan = plan_group(app, n // len(apps), world.clock)
                plans.append(plan)
                yield plan.item(world.clock)

    started = time.perf_counter()
    written = store.load("GroupsTable", items())
    store.load("RollupsTable", group_counts(plans, world.clock))
    print(
        f"  grew GroupsTable by {written:,} groups in {time.perf_counter() - started:.0f}s", file=sys.stderr
    )
    return written


def run(store: Any, sizes: Sizes, spawn: Spawn, wanted: Callable[[str], bool]) -> list[Row]:
    clock = Clock(datetime.now(UTC))
    world = prepare(store, sizes, clock)
    params = {
        "app_id": world.app.app_id,
        "app_name": APP_NAME,
        "tenant": TENANT,
        "limit": sizes.limit,
        "far_page": sizes.far_page,
        "repeat": sizes.repeat,
        "start_date": (clock.today - timedelta(days=sizes.trend_days - 1)).strftime("%Y-%m-%d"),
        "end_date": clock.today.strftime("%Y-%m-%d"),
    }
    names = [name for name in ("list_groups", "group_trend") if wanted(name)]
    small = {name: spawn(name, params) for name in names}
    grow(store, sizes, world)
    large = {name: spawn(name, params) for name in names}
    rows: list[Row] = []
    if "list_groups" in names:
        rows += list_rows(small["list_groups"], large["list_groups"], sizes)
    if "group_trend" in names:
        rows.append(trend_row(small["group_trend"], large["group_trend"], sizes))
    if wanted("list_groups_100k"):
        from bench.scenarios import big_app

        rows += big_app.run(store, sizes, spawn, world.clock)
    return rows


# ---------------------------------------------------------------------- rows
def _failed(scenario: str, figure: str, budget: str, *answers: dict[str, Any]) -> Row | None:
    for answer in answers:
        if answer["status"] == "n/a":
            return unavailable(scenario, figure, budget, answer["reason"])
        if answer["status"] != "ok":
            return errored(scenario, figure, budget, answer["reason"])
    return None


def list_rows(small: dict[str, Any], large: dict[str, Any], sizes: Sizes) -> list[Row]:
    figure_sizes = f"{sizes.app_groups:,} vs {sizes.table_groups:,} groups"
    failed = _failed("list_groups", f"list groups ({figure_sizes})", LIST_BUDGET, small, large)
    if failed:
        return [failed]
    rss, rss_ok = rss_check(small["peak_rss_mb"], large["peak_rss_mb"])
    rows = []
    for before, after in zip(small["variants"], large["variants"], strict=True):
        cost_small, cost_large = Cost.from_dict(before["cost"]), Cost.from_dict(after["cost"])
        full = cost_large.reads["GroupsTable"]
        light = cost_large.reads_of("GroupsTable") - full
        apps = cost_large.reads_of("AppsTable")
        checks = [
            ("same reads at both sizes", cost_small.items_read == cost_large.items_read),
            (f"full items ≤ {sizes.limit + 1}", full <= sizes.limit + 1),
            (f"index entries ≤ {sizes.app_groups}", light <= sizes.app_groups),
            ("0 Scans", cost_small.scans == 0 and cost_large.scans == 0),
            rss_ok,
        ]
        note = ""
        if apps > 1:
            note = (
                f"a team user's scope is resolved from the owner's whole app list ({apps} AppsTable items), "
                "which grows with the owner's apps (not with groups)"
            )
        rows.append(
            Row(
                "list_groups",
                f"list groups: {before['name']} ({figure_sizes})",
                LIST_BUDGET,
                measured=f"{cost_small.items_read} → {cost_large.items_read} items read "
                f"(page of {after['items']}, total {after['total']})",
                reads=f"{light} index + {full} full + {apps} apps",
                writes=str(cost_large.items_written),
                s3=str(cost_large.s3_calls),
                wall=f"{before['ratio']:.1f} → {after['ratio']:.1f}",
                rss=rss,
                checks=checks,
                note=note,
            )
        )
    return rows


def trend_row(small: dict[str, Any], large: dict[str, Any], sizes: Sizes) -> Row:
    figure = f"group_trend, {sizes.trend_days} days ({sizes.app_groups:,} vs {sizes.table_groups:,} groups)"
    failed = _failed("group_trend", figure, TREND_BUDGET, small, large)
    if failed:
        return failed
    cost_small, cost_large = Cost.from_dict(small["cost"]), Cost.from_dict(large["cost"])
    rss, rss_ok = rss_check(small["peak_rss_mb"], large["peak_rss_mb"])
    live = cost_large.reads["GroupsTable"]
    note = (
        f"{cost_large.reads_of('RollupsTable')} RollupsTable items (run state + "
        "one month item per month with reports), "
        f"then the live part: {live} groups seen today, each read twice (index entry, then the full item "
        "for its hour counters)"
    )
    return Row(
        "group_trend",
        figure,
        TREND_BUDGET,
        measured=f"{cost_small.items_read} → {cost_large.items_read} items read ({large['days']} days)",
        reads=", ".join(f"{target} {n}" for target, n in sorted(cost_large.reads.items())),
        writes=str(cost_large.items_written),
        s3=str(cost_large.s3_calls),
        wall=f"{small['ratio']:.1f} → {large['ratio']:.1f}",
        rss=rss,
        checks=[
            ("≤ 400 items read", max(cost_small.items_read, cost_large.items_read) <= 400),
            ("same reads at both sizes", cost_small.items_read == cost_large.items_read),
            ("0 Scans", cost_large.scans == 0),
            rss_ok,
        ],
        note=note,
    )


# ---------------------------------------------------------------------- worker side
def _list_variants(params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    app, limit, far = params["app_name"], params["limit"], params["far_page"]
    dims = {"type": "crash", "platform": "windows"}
    return [
        ("admin, app filter, page 1", "admin", {"app": app, "limit": limit}),
        (f"admin, app filter, page {far}", "admin", {"app": app, "limit": limit, "page": far}),
        ("admin, app + type + platform filters, page 1", "admin", {"app": app, "limit": limit, **dims}),
        (
            f"admin, app + type + platform filters, page {far}",
            "admin",
            {"app": app, "limit": limit, "page": far, **dims},
        ),
        ("team user allowed one app, page 1", "team", {"limit": limit}),
    ]


def measure_list(context: Any, params: dict[str, Any]) -> dict[str, Any]:
    from fleetreport_local.tokens import mint_token

    tokens = {
        "admin": mint_token(role="admin", owner=params["tenant"], ttl=3600),
        "team": mint_token(role="team", owner=params["tenant"], allowed_apps=[params["app_id"]], ttl=3600),
    }
    variants = []
    for name, role, query in _list_variants(params):
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        answers: list[Any] = []

        def operation(
            headers: dict[str, str] = headers, query: dict[str, Any] = query, answers: list[Any] = answers
        ) -> None:
            answers.append(context.request("GET", "/reports/groups", headers=headers, query=query).json())

        measured = context.measure(operation, params["repeat"])
        body = answers[-1]
        variants.append(
            {"name": name, "items": len(body["items"]), "total": body["total"], **measured.to_dict()}
        )
    return {"variants": variants}


def measure_group_trend(context: Any, params: dict[str, Any]) -> dict[str, Any]:
    from fleetreport_local.tokens import mint_token

    headers = {"Authorization": f"Bearer {mint_token(role='admin', owner=params['tenant'], ttl=3600)}"}
    query = {"app": params["app_id"], "start_date": params["start_date"], "end_date": params["end_date"]}
    answers: list[Any] = []

    def operation() -> None:
        answers.append(
            context.request("GET", "/reports/group_trend/run", headers=headers, query=query).json()
        )

    measured = context.measure(operation, params["repeat"])
    return {"days": len(answers[-1]), **measured.to_dict()}
