"""status_trend and consumer_status over a year of compliance data, and the rollup of one day.

Owner `acme` first holds 1k consumers with 10 snapshots each (10k snapshots), then 10k consumers
(100k snapshots): the first thousand are the same consumers, so the small store is part of the large
one. The rollups are those the daily rollup would have written through yesterday, and the change log
exists for the two days a measured path reads (yesterday, re-rolled; today, still open).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.compliance_data import compliance_items, plan_consumer, status_rollups
from bench.generate import Clock, run_state, tenants_with_apps
from bench.measure import Cost
from bench.report import Row, errored, rss_check, unavailable
from bench.scenarios import Sizes

TENANT = "acme"
OWNER_KEY = "org-03"
TREND_BUDGET = "≤ 400 items read, the same at both sizes"
Spawn = Callable[[str, dict[str, Any]], dict[str, Any]]


def _load(store: Any, new: list[Any], every: list[Any], clock: Clock, log_days: set[str]) -> None:
    """Write the new consumers' items, then the rollups of every consumer (replacing older ones)."""
    started = time.perf_counter()
    written = store.load("ComplianceTable", compliance_items(TENANT, new, log_days))
    rollups = status_rollups(TENANT, every, clock)
    store.load("RollupsTable", rollups)
    elapsed = time.perf_counter() - started
    print(
        f"  loaded {written:,} compliance items, {len(rollups):,} rollups in {elapsed:.0f}s", file=sys.stderr
    )


def run(store: Any, sizes: Sizes, spawn: Spawn, wanted: Callable[[str], bool]) -> list[Row]:
    clock = Clock(datetime.now(UTC))
    yesterday = clock.day_key(clock.today - timedelta(days=1))
    log_days = {yesterday, clock.day_key(clock.today)}
    store.load(
        "RollupsTable", (run_state(t, clock) for t in tenants_with_apps(store.table("AppsTable")) | {TENANT})
    )
    params = {
        "tenant": TENANT,
        "owner_key": OWNER_KEY,
        "repeat": sizes.repeat,
        "days": sizes.trend_days,
        "closed": [clock.day_key(clock.today - timedelta(days=sizes.trend_days)), yesterday],
        "to_today": [
            clock.day_key(clock.today - timedelta(days=sizes.trend_days - 1)),
            clock.day_key(clock.today),
        ],
        "on_date": (clock.today - timedelta(days=30)).strftime("%Y-%m-%dT12:00:00.000+0000"),
        "yesterday": yesterday,
    }
    plans: list[Any] = []
    answers: dict[str, list[dict[str, Any]]] = {"reports": [], "rollup": []}
    facts: list[dict[str, int]] = []
    for target in (sizes.consumers_small, sizes.consumers_large):
        added = [
            plan_consumer(TENANT, n, clock, sizes.snapshots_per_consumer, sizes.owner_keys)
            for n in range(len(plans), target)
        ]
        plans += added
        _load(store, added, plans, clock, log_days)
        facts.append(_facts(plans, yesterday, clock))
        if wanted("status_trend") or wanted("consumer_status"):
            answers["reports"].append(spawn("compliance_reports", params))
        if wanted("rollup"):
            answers["rollup"].append(spawn("rollup", params))
    rows: list[Row] = []
    if answers["reports"]:
        rows += report_rows(answers["reports"], facts, sizes, wanted)
    if answers["rollup"]:
        rows.append(rollup_row(answers["rollup"], facts, sizes))
    return rows


def _facts(plans: list[Any], yesterday: str, clock: Clock) -> dict[str, int]:
    """What the budgets are relative to: consumers in scope, changes of yesterday and of today."""
    today = clock.day_key(clock.today)
    changes = [moment.strftime("%Y-%m-%d") for plan in plans for moment, *_ in plan.changes()]
    return {
        "consumers": len(plans),
        "snapshots": sum(len(plan.snapshots) for plan in plans),
        "in_scope": sum(plan.owner_key == OWNER_KEY for plan in plans),
        "changes_yesterday": changes.count(yesterday),
        "changes_today": changes.count(today),
    }


# ---------------------------------------------------------------------- rows
def _problem(scenario: str, figure: str, budget: str, answers: list[dict[str, Any]]) -> Row | None:
    for answer in answers:
        if answer["status"] == "n/a":
            return unavailable(scenario, figure, budget, answer["reason"])
        if answer["status"] != "ok":
            return errored(scenario, figure, budget, answer["reason"])
    return None


def report_rows(
    answers: list[dict[str, Any]], facts: list[dict[str, int]], sizes: Sizes, wanted: Callable[[str], bool]
) -> list[Row]:
    small, large = facts[0], facts[-1]
    store_sizes = (
        f"{small['consumers']:,}/{small['snapshots']:,} vs {large['consumers']:,}/{large['snapshots']:,} "
        "consumers/snapshots"
    )
    rows = []
    for name in ("status_trend", "consumer_status"):
        if not wanted(name):
            continue
        problem = _problem(name, f"{name} ({store_sizes})", "see SPEC §7", answers)
        if problem:
            rows.append(problem)
            continue
        rss, rss_ok = rss_check(*(answer["peak_rss_mb"] for answer in answers))
        before_variants, after_variants = (answer["variants"] for answer in answers)
        for before, after in zip(before_variants, after_variants, strict=True):
            if not before["name"].startswith(name):
                continue
            costs = [Cost.from_dict(before["cost"]), Cost.from_dict(after["cost"])]
            budget, checks, note = _budget(before["name"], costs, facts, sizes.trend_days)
            rows.append(
                Row(
                    name,
                    f"{before['name']} ({store_sizes})",
                    budget,
                    measured=f"{costs[0].items_read} → {costs[1].items_read} items read ({after['size']})",
                    reads=", ".join(f"{n} {target}" for target, n in sorted(costs[1].reads.items())),
                    writes=str(costs[1].items_written),
                    s3=str(costs[1].s3_calls),
                    wall=f"{before['ratio']:.1f} → {after['ratio']:.1f}",
                    rss=rss,
                    checks=[*checks, ("0 Scans", all(c.scans == 0 for c in costs)), rss_ok],
                    note=note,
                )
            )
    return rows


def _budget(
    name: str, costs: list[Cost], facts: list[dict[str, int]], days: int
) -> tuple[str, list[tuple[str, bool]], str]:
    reads = [cost.items_read for cost in costs]
    if name.startswith("status_trend"):
        bound = trend_reads_bound(name, days)
        checks = [
            ("≤ 400 items read", max(reads) <= 400),
            (f"bounded by what the design reads (≤ {bound})", max(reads) <= bound),
        ]
        note = ""
        if "owner=" in name:
            # A rollup item exists only for a day with changes in its partition: the small store's
            # owner (1/20 of 1k consumers) is quiet on some days, so it reads fewer, never more.
            note = (
                "the small store's owner has no change on some days (no item): reads are bounded, not equal"
            )
        else:
            checks.append(("same reads at both sizes", reads[0] == reads[1]))
        if "today" in name:
            today = f"{facts[0]['changes_today']:,} → {facts[-1]['changes_today']:,}"
            note = (
                f"today is not rolled up yet ({today} changes so far): its counts come from the "
                "maintained status counts (compliance/counts.py), one GetItem, not a walk over its changes"
            )
        return TREND_BUDGET, checks, note
    factor = 1 if "now" in name else 2
    scope = [fact["in_scope"] for fact in facts]
    budget = f"≤ {factor} x consumers in scope ({scope[0]:,} → {scope[1]:,})"
    return budget, [(budget, all(r <= factor * s for r, s in zip(reads, scope, strict=True)))], ""


def trend_reads_bound(name: str, days: int) -> int:
    """The most items status_trend reads for variant `name`, from the design (rollup/trend.py): one
    rollup item per closed day asked, the one before the range and the run state; a range to today
    reads its open day from the status counts instead: the tenant's counts item (and the owner key's
    when filtered, in one BatchGetItem). A day with no change has no rollup item, so
    only this bound is exact, not the count."""
    if "today" not in name:
        return days + 2
    open_day_counts = 2 if "owner=" in name else 1
    return (days - 1) + 2 + open_day_counts


def rollup_row(answers: list[dict[str, Any]], facts: list[dict[str, int]], sizes: Sizes) -> Row:
    changes = [fact["changes_yesterday"] for fact in facts]
    figure = f"rollup of one day (yesterday: {changes[0]:,} → {changes[1]:,} changes)"
    budget = (
        "∝ the day's changes, not history (data-model: ≤ 4 compliance items per change: its log item, "
        "the consumer's row, its snapshots of the day and the one before)"
    )
    problem = _problem("rollup", figure, budget, answers)
    if problem:
        return problem
    costs = [Cost.from_dict(answer["cost"]) for answer in answers]
    compliance = [cost.reads_of("ComplianceTable") for cost in costs]
    other = [cost.items_read - reads for cost, reads in zip(costs, compliance, strict=True)]
    per_change = [reads / max(1, n) for reads, n in zip(compliance, changes, strict=True)]
    rss, rss_ok = rss_check(*(answer["peak_rss_mb"] for answer in answers))
    mismatch = [answer["mismatch"] for answer in answers if answer.get("mismatch")]
    return Row(
        "rollup",
        figure,
        budget,
        measured=f"{compliance[0]:,} → {compliance[1]:,} compliance items read "
        f"({per_change[0]:.1f} → {per_change[1]:.1f} per change); other reads {other[0]} → {other[1]}",
        reads=", ".join(f"{n} {target}" for target, n in sorted(costs[1].reads.items())),
        writes=str(costs[1].items_written),
        s3=str(costs[1].s3_calls),
        wall=f"{answers[0]['ratio']:.1f} → {answers[1]['ratio']:.1f}",
        rss=rss,
        checks=[
            ("reads per change do not grow with 10x the history", per_change[1] <= 1.25 * per_change[0]),
            ("≤ 4 compliance reads per change", max(per_change) <= 4),
            ("re-rolled items equal the generated ones", not mismatch),
            rss_ok,
        ],
        note=" ".join([*mismatch, _other_reads_note(costs[1])]).strip(),
    )


def _other_reads_note(cost: Cost) -> str:
    """What the rollup reads besides the compliance changes (tenants, run states, groups)."""
    parts = [
        f"Besides the changes it reads {cost.reads_of('RollupsTable')} RollupsTable items (run states, "
        "each partition's previous day)"
    ]
    if cost.scans:
        parts.append(
            f"Scans AppsTable to find the tenants that own apps ({cost.reads_of('AppsTable')} items: "
            "grows with apps)"
        )
    if cost.reads_of("GroupsTable"):
        parts.append(
            f"and reads every group seen since the day after its last group cleanup, twice (index entry, "
            f"full item): {cost.reads_of('GroupsTable')} items here, although yesterday's group counts "
            "were already rolled up"
        )
    return "; ".join(parts) + "."


# ---------------------------------------------------------------------- worker side
def _variants(params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    closed, to_today, owner, days = params["closed"], params["to_today"], params["owner_key"], params["days"]
    return [
        (
            f"status_trend, {days} closed days",
            "status_trend",
            {"start_date": closed[0], "end_date": closed[1]},
        ),
        (
            f"status_trend, {days} days to today",
            "status_trend",
            {"start_date": to_today[0], "end_date": to_today[1]},
        ),
        (
            f"status_trend, owner={owner}, {days} closed days",
            "status_trend",
            {"start_date": closed[0], "end_date": closed[1], "owner": owner},
        ),
        (f"consumer_status, owner={owner}, now", "consumer_status", {"owner": owner}),
        (
            f"consumer_status, owner={owner}, on_date 30 days ago",
            "consumer_status",
            {"owner": owner, "on_date": params["on_date"]},
        ),
    ]


def measure_reports(context: Any, params: dict[str, Any]) -> dict[str, Any]:
    from fleetreport_local.tokens import mint_token

    headers = {"Authorization": f"Bearer {mint_token(role='admin', owner=params['tenant'], ttl=3600)}"}
    variants = []
    for name, report, query in _variants(params):
        answers: list[Any] = []

        def operation(
            report: str = report, query: dict[str, Any] = query, answers: list[Any] = answers
        ) -> None:
            answers.append(
                context.request("GET", f"/reports/{report}/run", headers=headers, query=query).json()
            )

        measured = context.measure(operation, params["repeat"])
        size = f"{len(answers[-1])} {'days' if report == 'status_trend' else 'consumers'}"
        variants.append({"name": name, "size": size, **measured.to_dict()})
    return {"variants": variants}


def _day_items(context: Any, tenant: str, day: str) -> dict[str, Any]:
    """The ST items of `day` (every partition), read with an uncounted client."""
    import boto3
    from boto3.dynamodb.conditions import Key
    from fleetreport.rollup.counting import plain_counts

    rollups = boto3.Session().resource("dynamodb").Table(context.template.physical_name("RollupsTable"))
    found = {}
    unfiltered = rollups.get_item(Key={"pk": f"ST#{tenant}", "sk": day}).get("Item") or {}
    for pk in [f"ST#{tenant}", *(f"ST#{tenant}#{owner}" for owner in unfiltered.get("owners", []))]:
        for item in rollups.query(KeyConditionExpression=Key("pk").eq(pk) & Key("sk").eq(day))["Items"]:
            found[pk] = {
                "end": plain_counts(item["end"]),
                "at": {label: plain_counts(c) for label, c in (item.get("at") or {}).items()},
                "bounds": (item.get("first_snapshot"), item.get("last_snapshot")),
                "owners": list(item.get("owners", [])),
            }
    return found


def measure_rollup(context: Any, params: dict[str, Any]) -> dict[str, Any]:
    import time

    day = params["yesterday"]
    generated = _day_items(context, params["tenant"], day)
    started = time.perf_counter()
    with context.calls.window() as cost:
        summary = context.invoker.invoke("rollup", {"date": day})
    seconds = time.perf_counter() - started
    if "error" in summary:
        raise RuntimeError(f"rollup refused {day}: {summary['error']}")
    rolled = _day_items(context, params["tenant"], day)
    mismatch = ""
    if rolled != generated:
        differing = sorted(pk for pk in set(rolled) | set(generated) if rolled.get(pk) != generated.get(pk))
        first = differing[0]
        fields = sorted(
            f
            for f in ("end", "at", "bounds", "owners")
            if rolled.get(first, {}).get(f) != generated.get(first, {}).get(f)
        )
        mismatch = (
            f"the real rollup of {day} differs from the generated items in {len(differing)} "
            f"partition(s), e.g. {first} ({', '.join(fields) or 'missing'})"
        )
    return {
        "cost": cost.to_dict(),
        "seconds": seconds,
        "ratio": seconds / context.baseline,
        "mismatch": mismatch,
        "summary": summary,
    }
