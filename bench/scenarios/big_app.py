"""List groups of one app holding 100,000 groups (SPEC §9): page 1, a cursor page deep in the list, a
status-filtered view, and a dimension filter (which walks the app's light index partition).

The app `Desktop XL` of the owner `acme` gets `big_app_groups` groups, loaded in bulk with their status
counts (what the aggregates function keeps). Runs after the list_groups scenario grew the table, so
the other 100k groups of other apps and owners are there too.
"""

from __future__ import annotations

from typing import Any

from bench.generate import AppRef, Clock, create_apps, group_counts, plan_group
from bench.measure import Cost
from bench.report import Row, errored, rss_check, unavailable
from bench.scenarios import Sizes

TENANT = "acme"
APP_NAME = "Desktop XL"
CURSOR_HOPS = 4  # the measured cursor page is the 5th page
EXTRA = 10  # SPEC §9: ≤ limit + 10 items read for a page
BUDGET = "items read ≤ limit + 10 for page 1 and cursor pages (index entries + full items); total from counts"
WALK_NOTE = (
    "walks the app's index partition (every entry, keys and filtered attributes only) to filter and "
    "count, then reads its page whole"
)
DIMENSION_BUDGET = "may read the app's light index partition (cost reported)"
CONTINUED_BUDGET = (
    "a cursor page continues the walk from the cursor (never from the start: fewer index entries than "
    "the app's groups, which page 1 walks); its reads reported"
)
CONTINUED_NOTE = (
    "continues the walk after the cursor (keys and filtered attributes only, each query twice the "
    "last, ≤ 400 entries) until its page and one more match; total carried by the cursor"
)


def run(store: Any, sizes: Sizes, spawn: Any, clock: Clock) -> list[Row]:
    (app_id, _), *_ = create_apps(store.table("AppsTable"), TENANT, [APP_NAME])
    app = AppRef(TENANT, app_id, APP_NAME)
    plans = [plan_group(app, index, clock) for index in range(sizes.big_app_groups)]
    store.load("GroupsTable", (plan.item(clock) for plan in plans))
    store.load("RollupsTable", group_counts(plans, clock))
    totals = {status: sum(1 for p in plans if p.status == status) for status in ("open", "resolved", "muted")}
    totals["all"] = len(plans)
    totals["dims"] = sum(1 for p in plans if p.dims.type == "crash" and p.dims.platform == "windows")
    # Every measured cursor page must exist and be full (the plans are the same in every run).
    for view, pages in (("resolved", CURSOR_HOPS + 1), ("dims", 2)):
        if totals[view] < pages * sizes.limit:
            raise ValueError(f"{totals[view]} {view} groups of {len(plans)}: page {pages} is not full")
    del plans
    # one timed run per view: each walk of the dimension view costs minutes on moto (bench/worker.py)
    params = {"app_name": APP_NAME, "tenant": TENANT, "limit": sizes.limit, "repeat": 1}
    answer = spawn("list_groups_100k", params)
    label = f"list groups {sizes.big_app_groups:,} in one app"
    if answer["status"] == "n/a":
        return [unavailable("list_groups_100k", label, BUDGET, answer["reason"])]
    if answer["status"] != "ok":
        return [errored("list_groups_100k", label, BUDGET, answer["reason"])]
    rss, rss_ok = rss_check(answer["peak_rss_mb"], answer["peak_rss_mb"])
    return [_row(label, variant, sizes, totals, rss, rss_ok) for variant in answer["variants"]]


def _row(
    label: str, variant: dict[str, Any], sizes: Sizes, totals: dict[str, int], rss: str, rss_ok: Any
) -> Row:
    cost = Cost.from_dict(variant["cost"])
    full = cost.reads["GroupsTable"]
    index = cost.reads_of("GroupsTable") - full
    walks = variant["walks"]
    continued = walks and variant["name"].startswith(CONTINUED_VIEW)
    expected_total = totals["dims" if walks else variant["status"]]
    checks = [
        (f"a full page of {sizes.limit}", variant["items"] == sizes.limit),
        (f"total = {expected_total:,}", variant["total"] == expected_total),
        ("0 Scans", cost.scans == 0),
        rss_ok,
    ]
    if not walks:
        checks.insert(0, (f"items read ≤ {sizes.limit + EXTRA}", index + full <= sizes.limit + EXTRA))
    if continued:
        groups = sizes.big_app_groups
        checks.insert(0, (f"index entries < {groups:,}", index < groups))
    budget = CONTINUED_BUDGET if continued else DIMENSION_BUDGET if walks else BUDGET
    return Row(
        "list_groups_100k",
        f"{label}: {variant['name']}",
        budget,
        measured=f"{cost.items_read:,} items read ({index:,} index + {full} full), "
        f"total {variant['total']:,}",
        reads=", ".join(f"{target} {n:,}" for target, n in sorted(cost.reads.items())),
        writes=str(cost.items_written),
        s3=str(cost.s3_calls),
        wall=f"{variant['ratio']:.1f}",
        rss=rss,
        checks=checks,
        note=CONTINUED_NOTE if continued else WALK_NOTE if walks else "",
    )


CONTINUED_VIEW = "type=crash + platform=windows, cursor page"


# ---------------------------------------------------------------------- worker side
def measure_big_list(context: Any, params: dict[str, Any]) -> dict[str, Any]:
    from fleetreport_local.tokens import mint_token

    headers = {"Authorization": f"Bearer {mint_token(role='admin', owner=params['tenant'], ttl=3600)}"}
    base = {"app": params["app_name"], "limit": params["limit"]}
    views = [
        ("page 1", {**base}, 0, "all", False),
        (f"cursor page {CURSOR_HOPS + 1}", {**base}, CURSOR_HOPS, "all", False),
        ("status=resolved, page 1", {**base, "status": "resolved"}, 0, "resolved", False),
        (
            f"status=resolved, cursor page {CURSOR_HOPS + 1}",
            {**base, "status": "resolved"},
            CURSOR_HOPS,
            "resolved",
            False,
        ),
        (
            "type=crash + platform=windows, page 1",
            {**base, "type": "crash", "platform": "windows"},
            0,
            "all",
            True,
        ),
        (
            f"{CONTINUED_VIEW} 2",  # the hop walks page 1 (minutes on moto); the page continues it
            {**base, "type": "crash", "platform": "windows"},
            1,
            "all",
            True,
        ),
    ]
    variants = []
    for name, query, hops, status, walks in views:
        for _ in range(hops):  # walk to the page through next_cursor (not measured)
            body = context.request("GET", "/reports/groups", headers=headers, query=query).json()
            query = {**query, "cursor": body["next_cursor"]}
        answers: list[Any] = []

        def operation(query: dict[str, Any] = query, answers: list[Any] = answers) -> None:
            answers.append(context.request("GET", "/reports/groups", headers=headers, query=query).json())

        measured = context.measure(operation, params["repeat"])
        body = answers[-1]
        variants.append(
            {
                "name": name,
                "items": len(body["items"]),
                "total": body["total"],
                "status": status,
                "walks": walks,
                **measured.to_dict(),
            }
        )
    return {"variants": variants}
