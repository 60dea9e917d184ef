"""Ingest: what one report costs without details, with details, and when a group's blobs go over the cap.

Every report is costed on its own (the rate-limit windows are real: the template's limits apply, so
their counter writes are counted). Reports go to distinct groups from distinct devices, so none is
rate-limited; the cap case sends `cap + 1` detailed reports into one group, which makes the last one
trim the oldest blob.
"""

from __future__ import annotations

import base64
import gzip
import json
import statistics
from collections.abc import Callable
from typing import Any

from bench.generate import create_apps
from bench.measure import Cost
from bench.report import Row, errored, rss_check, unavailable
from bench.scenarios import Sizes

TENANT = "ingest-co"
APP_NAME = "Agent"
BLOB_CAP = 10  # REPORTS_MAX_BLOBS_PER_GROUP in template.yaml
PLAIN_BUDGET = "≤ 1 group write + rate-limit counter writes (≤ 3), 0 Scans, no S3"
DETAILS_BUDGET = "+ 1 S3 PutObject + 1 blob metadata write, no trimming under the cap"
TRIM_BUDGET = "trimming only over the cap: then 1 blob deleted (item + object)"
Spawn = Callable[[str, dict[str, Any]], dict[str, Any]]


def run(store: Any, sizes: Sizes, spawn: Spawn, wanted: Callable[[str], bool]) -> list[Row]:
    (_, key), *_ = create_apps(store.table("AppsTable"), TENANT, [APP_NAME], reports=True)
    answer = spawn("ingest", {"report_key": key, "reports": sizes.ingest_reports, "cap": BLOB_CAP})
    figures = (
        "ingest without details",
        "ingest with details",
        f"ingest with details, blob {BLOB_CAP + 1} of a group",
    )
    budgets = (PLAIN_BUDGET, DETAILS_BUDGET, TRIM_BUDGET)
    if answer["status"] == "n/a":
        return [unavailable("ingest", f, b, answer["reason"]) for f, b in zip(figures, budgets, strict=True)]
    if answer["status"] != "ok":
        return [errored("ingest", f, b, answer["reason"]) for f, b in zip(figures, budgets, strict=True)]
    rss, rss_ok = rss_check(answer["peak_rss_mb"])
    baseline = answer["baseline"]
    plain = [Cost.from_dict(report["cost"]) for report in answer["plain"]]
    detailed = [Cost.from_dict(report["cost"]) for report in answer["details"]]
    capped = [Cost.from_dict(report["cost"]) for report in answer["trim"]]

    def wall(reports: list[dict[str, Any]]) -> str:
        return f"{statistics.median(r['seconds'] for r in reports) / baseline:.1f}"

    rows = [
        _row(figures[0], PLAIN_BUDGET, plain, wall(answer["plain"]), rss, [*_plain_checks(plain), rss_ok]),
        _row(
            figures[1],
            DETAILS_BUDGET,
            detailed,
            wall(answer["details"]),
            rss,
            [*_detail_checks(detailed), rss_ok],
        ),
        _row(
            figures[2],
            TRIM_BUDGET,
            capped[-1:],
            wall(answer["trim"][-1:]),
            rss,
            [*_trim_checks(capped), rss_ok],
        ),
    ]
    return rows


def _most(costs: list[Cost], measure: Callable[[Cost], int]) -> int:
    return max(measure(cost) for cost in costs)


def _row(
    figure: str, budget: str, costs: list[Cost], wall: str, rss: str, checks: list[tuple[str, bool]]
) -> Row:
    worst = max(costs, key=lambda cost: (cost.items_written, cost.items_read, cost.s3_calls))
    return Row(
        "ingest",
        figure,
        budget,
        measured=f"worst of {len(costs)} report(s): "
        + ", ".join(f"{n} {table}" for table, n in sorted(worst.writes.items()))
        + " written",
        reads=", ".join(f"{n} {target}" for target, n in sorted(worst.reads.items())) or "0",
        writes=str(worst.items_written),
        s3=", ".join(f"{n} {op}" for op, n in sorted(worst.s3.items())) or "0",
        wall=wall,
        rss=rss,
        checks=checks,
    )


def _plain_checks(costs: list[Cost]) -> list[tuple[str, bool]]:
    return [
        ("≤ 1 group write", _most(costs, lambda c: c.writes["GroupsTable"]) <= 1),
        ("≤ 3 counter writes", _most(costs, lambda c: c.writes["CountersTable"]) <= 3),
        (
            "no other writes",
            all(set(c.writes) <= {"GroupsTable", "CountersTable"} for c in costs),
        ),
        ("0 Scans", _most(costs, lambda c: c.scans) == 0),
        ("no S3 call", _most(costs, lambda c: c.s3_calls) == 0),
    ]


def _detail_checks(costs: list[Cost]) -> list[tuple[str, bool]]:
    return [
        ("≤ 1 group write", _most(costs, lambda c: c.writes["GroupsTable"]) <= 1),
        ("1 blob metadata write", all(c.writes["BlobsTable"] == 1 for c in costs)),
        ("1 S3 PutObject, nothing else", all(dict(c.s3) == {"PutObject": 1} for c in costs)),
        ("no trimming under the cap", all(c.reads_of("BlobsTable") == 0 for c in costs)),
        ("0 Scans", _most(costs, lambda c: c.scans) == 0),
    ]


def _trim_checks(costs: list[Cost]) -> list[tuple[str, bool]]:
    under, over = costs[:-1], costs[-1]
    return [
        (
            "no trimming under the cap",
            all(c.reads_of("BlobsTable") == 0 and c.s3["DeleteObjects"] == 0 for c in under),
        ),
        ("over the cap: 1 blob item deleted", over.writes["BlobsTable"] == 2),  # the new one + the oldest
        ("over the cap: 1 S3 delete call", over.s3["DeleteObjects"] + over.s3["DeleteObject"] == 1),
        (f"trim reads ≤ {BLOB_CAP + 1} keys", over.reads_of("BlobsTable") <= BLOB_CAP + 1),
        ("0 Scans", over.scans == 0),
    ]


# ---------------------------------------------------------------------- worker side
def _report(reason: str, details: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application": {"name": APP_NAME, "version": "3.2.1", "channel": "stable"},
        "system": {"platform": "windows", "arch": "amd64"},
        "event": {"type": "update_failure", "reason": reason},
    }
    if details:
        log = {"log": [f"step {n} ok" for n in range(40)], "error": "checksum mismatch", "attempt": 3}
        payload = base64.b64encode(gzip.compress(json.dumps(log).encode(), mtime=0)).decode()
        body["details"] = {"encoding": "gzip+base64", "content_type": "application/json", "payload": payload}
    return body


def measure_ingest(context: Any, params: dict[str, Any]) -> dict[str, Any]:
    import time

    headers = {"Authorization": f"Bearer {params['report_key']}", "Content-Type": "application/json"}
    sent = 0

    def post(reason: str, details: bool) -> dict[str, Any]:
        nonlocal sent
        sent += 1
        device = {"X-Device-ID": f"bench-device-{sent}"}
        started = time.perf_counter()
        with context.calls.window() as cost:
            context.request(
                "POST",
                "/reports/ingest",
                expect=202,
                headers={**headers, **device},
                body=_report(reason, details),
            )
        return {"cost": cost.to_dict(), "seconds": time.perf_counter() - started}

    post("warm-up", details=True)  # imports and first connections are not what a warm report costs
    count = params["reports"]
    return {
        "plain": [post(f"plain.{n}", details=False) for n in range(count)],
        "details": [post(f"details.{n}", details=True) for n in range(count)],
        "trim": [post("capped", details=True) for _ in range(params["cap"] + 1)],
    }
