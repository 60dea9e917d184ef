"""`releases: 30 versions x 30 days` (SPEC §12): what GET /apps/{id}/releases?days=30 reads, at two
fleet sizes.

    python -m bench.scenarios.releases_read --devices 100 10000 --days 30

For each fleet size an app of its own gets 30 versions, released one after another over the `days`
days; every device moves to each new version after a lag of 0-3 days, is active on 90 % of the days
and crashes on 2 % of them (never on a day it was not active). The count items are built by the
release counts function's own code (`releases.counting.increments_of` / `apply_increments`) from
the device-item changes (old image, new image) the stream would carry, a day's changes summed as one
batch (the sums are the same whatever the batching); the device items themselves are not stored (the read
never touches them). Then the app's admin asks `GET /apps/{app_id}/releases?days=N&limit=30`
through the real ReleasesFunction, once to warm the container and once measured: items read
(bench/measure.py) and RCU (the one meter, bench/capacity.py). The budget: ≤ 100 items, the same
whatever the fleet size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

OWNER = "releases-read"
VERSIONS = 30
PLATFORMS = ("windows", "linux", "darwin")


def measure(fleets: list[int], days: int) -> dict[str, Any]:
    from bench.scenarios.storm import _stack

    template, session, _ = _stack()
    from fleetreport.settings import get_settings
    from fleetreport.storage.aws import reset_clients
    from fleetreport_local.tokens import DEV_SECRET, mint_token

    os.environ["JWT_SECRET"] = DEV_SECRET
    get_settings.cache_clear()
    reset_clients()
    from fleetreport.apps.models import NewApp
    from fleetreport.apps.store import AppStore
    from fleetreport.storage.aws import table
    from fleetreport_local.invoker import Invoker

    from bench.capacity import Meter
    from bench.measure import CallLog

    store = AppStore(table(template.physical_name("AppsTable")))
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    apps = []
    for devices in fleets:
        app, _ = store.create(OWNER, NewApp(name=f"fleet-{devices}", reports=True))
        changes = _build_counts(template, app.app_id, devices, days, today)
        apps.append((devices, app.app_id, changes))
    names = {template.physical_name(t): t for t in template.resources("AWS::DynamoDB::Table")}
    calls = CallLog(names)
    calls.install(session.events)
    meter = Meter.for_template(template)
    meter.install(session.events)
    reset_clients()
    invoker = Invoker(template)
    headers = {"Authorization": f"Bearer {mint_token(role='admin', owner=OWNER, ttl=3600)}"}
    answers = []
    for devices, app_id, changes in apps:
        query = {"days": str(days), "limit": str(VERSIONS)}
        path = f"/apps/{app_id}/releases"
        invoker.http("GET", path, headers=headers, query=query)  # a warm container, as the others
        with calls.window() as cost, meter.window() as usage:
            answer = invoker.http("GET", path, headers=headers, query=query)
        assert answer.status == 200, answer.body[:500]
        body = json.loads(answer.body)
        answers.append(
            {
                "devices": devices,
                "changes": changes,
                "items_read": cost.items_read,
                "reads": ", ".join(f"{target} {n}" for target, n in sorted(cost.reads.items())),
                "rcu": usage.rcu,
                "calls": usage.calls,
                "versions": len(body["items"]),
                "days": min((len(item["days"]) for item in body["items"]), default=0),
                "active_today": sum(item["days"][-1]["active_devices"] for item in body["items"]),
            }
        )
    return {"fleets": answers, "days": days}


def _build_counts(template: Any, app_id: str, devices: int, days: int, today: datetime) -> int:
    """The app's count items, made by the counting code from a day-by-day device history."""
    from fleetreport.releases.counting import apply_increments, increments_of
    from fleetreport.releases.devices import device_hash, device_pk

    rollups = template.physical_name("RollupsTable")
    counters = template.physical_name("CountersTable")
    rng = random.Random(20261205 + devices)
    first = today - timedelta(days=days - 1)
    released = [v * days // VERSIONS for v in range(VERSIONS)]  # the day (index) version v appears
    fleet = [(device_hash(app_id, f"device-{n}"), rng.randrange(4), PLATFORMS[n % 3]) for n in range(devices)]
    items: dict[int, tuple[int, dict[str, Any]]] = {}  # device -> (version, its device item)
    changes = 0
    for day_index in range(days):
        moment = first + timedelta(days=day_index)
        day = moment.date().isoformat()
        records = []
        for n, (digest, lag, platform) in enumerate(fleet):
            if rng.random() >= 0.9:
                continue  # not active today
            version = max(v for v in range(VERSIONS) if released[v] <= max(0, day_index - lag))
            name = f"1.{version}.0"
            held = items.get(n)
            old = held[1] if held and held[0] == version else None  # devices only move forward
            new = dict(old or {})
            new.update(
                pk=device_pk(app_id, name, digest),
                sk="D",
                owner=OWNER,
                app_id=app_id,
                version=name,
                channel="stable",
                platform=platform,
                last_day=day,
            )
            new.setdefault("first_day", day)
            if rng.random() < 0.02:
                new["crash_day"] = day
                new.setdefault("first_crash_day", day)
            items[n] = (version, new)
            records.append((f"{day}-{n}", old, new))
        changes += len(records)
        apply_increments(rollups, counters, increments_of(records), moment)  # a day's changes: one batch
    return changes


def main(argv: list[str] | None = None) -> int:
    from bench.scenarios.storm import answer_in_model

    parser = argparse.ArgumentParser(prog="python -m bench.scenarios.releases_read")
    parser.add_argument("--devices", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    return answer_in_model(lambda: measure(args.devices, args.days))


if __name__ == "__main__":
    sys.exit(main())
