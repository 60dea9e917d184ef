"""W3 busy fleet (SPEC §9) on the storm model: one owner, 5 apps, 10,000,000 devices.

At `rate` reports per simulated second (≈ 1,540: 1,000,000,000 reports a month at 4 x the mean rate)
for `seconds`, spread over `groups` groups by a Zipf law (s = 1.1), 1 % with details, each from a
device drawn among 10,000,000; 20 operators list the owner's groups every 10 s (owner view and app
view alternately), served by the same warm containers. The per-key limit is raised to 100,000 a
minute (a big fleet's setting); the others stay at their defaults. Exact when every group's `count`
equals the reports answered 202 for it and every answer is 200, 202 or 429.
"""

from __future__ import annotations

import bisect
import json
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

APPS = 5
DEVICES = 10_000_000
OPERATORS = 20
OPERATOR_EVERY_S = 10.0
DETAILS_SHARE = 0.01
ZIPF_S = 1.1
OWNER = "busy"
_DETAILS = {
    "encoding": "gzip+base64",
    "content_type": "application/json",
    "payload": "H4sIAAAAAAACA6tWyslPV7JSiFZKyS/Py8lPTFHIz1bSUVAqzkg0MjVTyM0szk0sSc5QigWKpVYUpCaXpKYA1St"
    "ZphklgdQlJpeUJuaARMzNkw2VagGf4zrMUQAAAA==",
}


def busy_fleet(rate: float, groups: int, seconds: float, containers: int) -> dict[str, Any]:
    from bench.scenarios.storm import _stack, _verdict

    template, session, client = _stack()
    os.environ["REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE"] = "100000"
    from fleetreport.settings import get_settings
    from fleetreport_local.tokens import DEV_SECRET, mint_token

    os.environ["JWT_SECRET"] = DEV_SECRET
    get_settings.cache_clear()
    from fleetreport.apps.models import NewApp
    from fleetreport.apps.store import AppStore
    from fleetreport.storage.aws import table

    from bench.storm import StormModel

    store = AppStore(table(template.physical_name("AppsTable")))
    apps = []
    for index in range(APPS):
        app, key = store.create(OWNER, NewApp(name=f"busy-{index}", reports=True))
        assert key is not None
        apps.append((app.app_id, app.name, key.plaintext))
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    model = StormModel(template, "IngestFunction", containers, start)
    token = mint_token(role="admin", owner=OWNER, ttl=24 * 3600)
    sent: list[str | None] = []  # per request: the app id of a report, None for a listing
    undo = model.install(session, client)
    wall = time.perf_counter()
    try:
        answers = model.serve_requests(_requests(rate, groups, seconds, apps, token, sent), _kind)
    finally:
        undo()
    statuses = Counter(int(answer["statusCode"]) for answer in answers)
    accepted: Counter[tuple[str, str]] = Counter()
    for app_id, answer in zip(sent, answers, strict=True):
        if app_id is not None and answer["statusCode"] == 202:
            accepted[(app_id, json.loads(answer["body"])["group_hash"])] += 1
    counted = _counts(template.physical_name("GroupsTable"))
    exact = all(counted.get(group) == n for group, n in accepted.items()) and set(statuses) <= {200, 202, 429}
    return {
        **_verdict(model),
        "rate": rate,
        "groups": groups,
        "seconds": seconds,
        "requests": len(answers),
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "groups_reported": len(accepted),
        "exact": exact,
        "wall_seconds": time.perf_counter() - wall,
    }


def draws(rate: float, groups: int, seconds: float) -> Any:
    """W3's reports as (arrival s, group rank - 1, with details, device number), seeded: the trace
    every W3 run replays, and the one `index_moves` measures."""
    rng = random.Random(20261203)
    cumulative = list(accumulate(1 / (rank**ZIPF_S) for rank in range(1, groups + 1)))
    for index in range(int(rate * seconds)):
        arrival = (index + rng.random()) / rate
        group = bisect.bisect_left(cumulative, rng.random() * cumulative[-1])
        yield arrival, group, rng.random() < DETAILS_SHARE, rng.randrange(DEVICES)


def index_moves(rate: float, groups: int, seconds: float, buckets: list[int]) -> dict[str, Any]:
    """How often W3's trace would move an index entry keyed on `last_seen` cut to a bucket of B s:
    a group's entry moves on its first report in each bucket (phases ignored: the mean is the same).
    Measured from the trace itself, per owner (one partition key) and per app (group % APPS)."""
    firsts: dict[int, set[tuple[int, int]]] = {bucket: set() for bucket in buckets}
    per_app: dict[int, Counter[int]] = {bucket: Counter() for bucket in buckets}
    reports = 0
    for arrival, group, _, _ in draws(rate, groups, seconds):
        reports += 1
        for bucket in buckets:
            pair = (group, int(arrival // bucket))
            if pair not in firsts[bucket]:
                firsts[bucket].add(pair)
                per_app[bucket][group % APPS] += 1
    return {
        "rate": rate,
        "groups": groups,
        "seconds": seconds,
        "reports": reports,
        "moves_per_s": {
            str(bucket): {
                "owner": round(len(firsts[bucket]) / seconds, 1),
                "busiest_app": round(max(per_app[bucket].values()) / seconds, 1),
            }
            for bucket in buckets
        },
    }


def _requests(
    rate: float,
    groups: int,
    seconds: float,
    apps: list[tuple[str, str, str]],
    token: str,
    sent: list[str | None],
) -> Any:
    """Reports at `rate` with the operators' listings merged in by arrival; `sent` notes each one."""
    from fleetreport_local.apigw import http_api_event

    listings = sorted(
        (operator * OPERATOR_EVERY_S / OPERATORS + turn * OPERATOR_EVERY_S, operator, turn)
        for operator in range(OPERATORS)
        for turn in range(int(seconds / OPERATOR_EVERY_S) + 1)
    )
    listings = [entry for entry in listings if entry[0] < seconds]
    auth = {"Authorization": f"Bearer {token}"}
    for arrival, group, details, device in draws(rate, groups, seconds):
        while listings and listings[0][0] <= arrival:
            at, operator, turn = listings.pop(0)
            query = {"limit": "50"} if turn % 2 == 0 else {"app": apps[operator % APPS][1], "limit": "50"}
            sent.append(None)
            event = http_api_event(
                "GET", "/reports/groups", route_key="GET /reports/groups", headers=auth, query=query
            )
            yield at, event, "GroupsFunction"
        app_id, app_name, key = apps[group % APPS]
        body: dict[str, Any] = {
            "application": {"name": app_name, "version": "7.1.0", "channel": "stable"},
            "system": {"platform": "windows", "arch": "amd64"},
            "event": {"type": "crash", "reason": f"reason-{group}"},
        }
        if details:
            body["details"] = _DETAILS
        headers = {"Authorization": f"Bearer {key}", "X-Device-ID": f"device-{device:08d}"}
        sent.append(app_id)
        event = http_api_event(
            "POST",
            "/reports/ingest",
            route_key="POST /reports/ingest",
            headers=headers,
            body=json.dumps(body),
        )
        yield arrival, event


def _kind(answer: Any) -> str | None:
    status = int(answer["statusCode"])
    return {200: "operator listing", 202: "accepted report", 429: "refused report"}.get(
        status, f"answered {status}"
    )


def _counts(table_name: str) -> dict[tuple[str, str], int]:
    """Every group's count, read from moto's own store (not through the code under test)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    store = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[table_name]
    counts = {}
    for items in store.items.values():
        for item in items.values():
            attrs = item.attrs
            counts[(str(attrs["app_id"].value), str(attrs["group_hash"].value))] = int(attrs["count"].value)
    return counts


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m bench.scenarios.storm_w3",
        description="index moves W3's trace would make per bucket size",
    )
    parser.add_argument("--rate", type=float, default=1_540)
    parser.add_argument("--groups", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=3_600)
    parser.add_argument("--buckets", type=int, nargs="+", default=[1, 60, 900, 3_600])
    arguments = parser.parse_args()
    json.dump(index_moves(arguments.rate, arguments.groups, arguments.seconds, arguments.buckets), sys.stdout)
    print()
