"""`release.unhealthy` / `release.recovered` (SPEC §12): the gate's verdict, watched as counts change.

After a stream batch moved a version's counts (slice `all`), the release counts function reads the
item and judges today's verdict with the app's `release_health`. The last verdict and its day are kept
on the count item; a conditional write moves them, so of two deliveries only one sees the turn.
`release.unhealthy` fires when the verdict turns `halt` (at most once per version and UTC day),
`release.recovered` when a halted version turns back to `proceed`. Each goes through §10's delivery:
the alert log (dedupe by the signal's stable id), the bus, webhooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from fleetreport.alerts.log import mark_published, record_signal
from fleetreport.alerts.models import RELEASE_RECOVERED, RELEASE_UNHEALTHY, Signal
from fleetreport.alerts.rules import read_rules
from fleetreport.releases.health import ReleaseHealth
from fleetreport.releases.keys import SLICE_ALL
from fleetreport.releases.reads import evaluate_gate
from fleetreport.settings import Settings
from fleetreport.storage.aws import is_conditional_failure, table

Publish = Callable[[Signal, dict[str, Any]], None]


def turn_of(previous: str, previous_day: str, verdict: str, today: str) -> str | None:
    """The signal a verdict change makes, if any."""
    if verdict == "halt" and (previous != "halt" or previous_day != today):
        return RELEASE_UNHEALTHY
    if verdict == "proceed" and previous == "halt":
        return RELEASE_RECOVERED
    return None


def release_signal(name: str, item: dict[str, Any], gate: dict[str, Any], today: str) -> Signal:
    """A Signal the alert log and delivery take: its `group` names the release, `occasion` the day."""
    about = {
        "owner": item.get("owner", ""),
        "app_id": item["app_id"],
        "group_hash": "",
        "app_version": item["version"],
        "release": {"version": item["version"], "day": today, **gate},
    }
    return Signal(name, about, occasion=f"{item['version']}#{today}", occurred_at=gate["evaluated_at"])


def release_detail(signal: Signal, app_name: str, dashboard_url: str) -> dict[str, Any]:
    """The event detail of a release signal (docs/alerts.md): no group, a `release` instead."""
    base = dashboard_url.rstrip("/")
    release = signal.group["release"]
    return {
        "id": signal.id,
        "signal": signal.name,
        "occurred_at": signal.occurred_at,
        "tenant": signal.tenant,
        "app": {"id": signal.app_id, "name": app_name},
        "release": release,
        "counts": {
            "active_devices": release["active_devices"],
            "crashed_devices": release["crashed_devices"],
        },
        "link": f"{base}/#/releases/{release['version']}?app={signal.app_id}" if base else "",
    }


def watch_verdicts(
    settings: Settings, touched: Iterable[tuple[str, str]], now: datetime, publish: Publish, app_name: Any
) -> list[Signal]:
    """Judge each touched version (slice `all`) and signal the turns; returns the signals."""
    fired: list[Signal] = []
    health: dict[tuple[str, str], ReleaseHealth] = {}
    counts = table(settings.rollups_table)
    today = now.date().isoformat()
    for pk, sk in touched:
        if not pk.endswith(f"#{SLICE_ALL}"):
            continue
        item = counts.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        if not item:
            continue
        owner, app_id = str(item.get("owner", "")), str(item["app_id"])
        if (owner, app_id) not in health:
            found = read_rules(owner, app_id)
            health[(owner, app_id)] = found[0].release_health if found else ReleaseHealth()
        gate = evaluate_gate(item, health[(owner, app_id)], now).to_json()
        previous, previous_day = str(item.get("gate_verdict", "")), str(item.get("gate_day", ""))
        name = turn_of(previous, previous_day, gate["verdict"], today)
        if not _move_verdict(counts, (pk, sk), (previous, previous_day), gate["verdict"], today):
            continue
        if name is None:
            continue
        signal = release_signal(name, dict(item), gate, today)
        detail = release_detail(signal, app_name(owner, app_id), settings.dashboard_url)
        if record_signal(signal, detail, settings.alerts_retention_days):
            publish(signal, detail)
            mark_published(signal)
        fired.append(signal)
    return fired


def _move_verdict(counts: Any, key: tuple[str, str], was: tuple[str, str], verdict: str, today: str) -> bool:
    """Record the verdict if nobody moved it since it was read; False when another delivery did."""
    previous, previous_day = was
    if (previous, previous_day) == (verdict, today):
        return True  # nothing to move; a redelivery may still re-publish an unpublished signal
    condition = (
        "attribute_not_exists(gate_verdict)" if not previous else "gate_verdict = :pv AND gate_day = :pd"
    )
    values: dict[str, Any] = {":v": verdict, ":d": today}
    if previous:
        values.update({":pv": previous, ":pd": previous_day})
    try:
        counts.update_item(
            Key={"pk": key[0], "sk": key[1]},
            UpdateExpression="SET gate_verdict = :v, gate_day = :d",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if is_conditional_failure(error):
            return False
        raise
    return True
