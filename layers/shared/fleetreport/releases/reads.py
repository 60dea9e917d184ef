"""The release reads (SPEC §12): versions of an app newest first, one version, and the rollout gate.

Every answer comes from the count items of releases/keys.py: one item per version of the slice asked,
holding its lifetime counts and its per-day counts, so 30 versions x 30 days read 30 items whatever
the fleet size. Tenancy is every read's (SPEC §2): `apps.download`, and the app must be the
requester's to see (unknown, foreign and not-allowed apps answer 404 alike).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from boto3.dynamodb.conditions import Key
from pydantic import StringConstraints

from fleetreport import cursors
from fleetreport.alerts.rules import read_rules
from fleetreport.apps.admin import visible_app
from fleetreport.apps.store import default_store
from fleetreport.auth.principal import Principal
from fleetreport.cursors import CursorModel
from fleetreport.errors import BadRequest, NotFound
from fleetreport.groups.answers import Group
from fleetreport.groups.ingest import valid_field
from fleetreport.groups.models import format_time, utc_now
from fleetreport.groups.store import batch_get_groups
from fleetreport.releases.answers import (
    GateVerdict,
    Release,
    ReleaseDay,
    ReleaseDetail,
    ReleaseList,
    crash_free,
)
from fleetreport.releases.counting import day_attr
from fleetreport.releases.health import ReleaseHealth
from fleetreport.releases.keys import counts_key, counts_pk, slice_name
from fleetreport.releases.top_groups import top_entries
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

DEFAULT_DAYS, MAX_DAYS = 14, 90
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
_NUMBER = re.compile(r"[0-9]{1,4}")


def parse_days(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_DAYS
    if not _NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_DAYS:
        raise BadRequest("invalid days")
    return int(raw)


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not _NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest("invalid limit")
    return int(raw)


def parse_slice(channel: str | None, platform: str | None) -> str:
    """The slice asked for; a filter value ingest would refuse cannot match anything → 400."""
    if channel and not valid_field("application.channel", channel):
        raise BadRequest("invalid channel")
    if platform and not valid_field("system.platform", platform):
        raise BadRequest("invalid platform")
    return slice_name(channel, platform)


def parse_version(version: str) -> str:
    if not valid_field("application.version", version):
        raise BadRequest("invalid version")
    return version


class ReleaseCursor(CursorModel):
    """A release list's position: the last returned version's sort key (keys.version_sort_key)."""

    sk: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.#-]{1,400}$")]


def encode_cursor(sk: str) -> str:
    return cursors.encode(ReleaseCursor(sk=sk))


def decode_cursor(raw: str) -> str:
    return cursors.decode(ReleaseCursor, raw).sk


def _app(principal: Principal, app_id: str) -> str:
    principal.require("apps", "download")
    return visible_app(principal, app_id, default_store()).app_id


def days_back(today: date, days: int) -> list[str]:
    """The `days` UTC days ending today, oldest first."""
    return [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def _count(item: Mapping[str, Any], attr: str) -> int:
    return max(0, int(item.get(attr, 0)))


def release_of(item: Mapping[str, Any], days: list[str]) -> dict[str, Any]:
    """A count item as the wire's release (lifetime counts, then the days asked)."""
    series = []
    for day in days:
        active, crashed = _count(item, day_attr("a", day)), _count(item, day_attr("c", day))
        series.append(
            ReleaseDay(
                date=day,
                active_devices=active,
                crashed_devices=crashed,
                crash_free_devices=crash_free(active, crashed),
                reports=_count(item, day_attr("r", day)),
            )
        )
    active, crashed = _count(item, "active"), _count(item, "crashed")
    return {
        "version": str(item["version"]),
        "active_devices": active,
        "crashed_devices": crashed,
        "crash_free_devices": crash_free(active, crashed),
        "reports": _count(item, "reports"),
        "open_groups": _count(item, "open_groups"),
        "first_seen": str(item["first_seen"]) if item.get("first_seen") else None,
        "days": series,
    }


def list_releases(
    principal: Principal,
    app_id: str,
    *,
    days: str | None = None,
    channel: str | None = None,
    platform: str | None = None,
    limit: str | None = None,
    cursor: str | None = None,
    now: datetime | None = None,
) -> ReleaseList:
    """`GET /apps/{app_id}/releases`: one Query of the slice's partition, newest version first."""
    app = _app(principal, app_id)
    wanted = days_back((now or utc_now()).date(), parse_days(days))
    slice_, page_size = parse_slice(channel, platform), parse_limit(limit)
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(counts_pk(app, slice_)),
        "ScanIndexForward": False,
        "Limit": page_size,
    }
    if cursor:
        request["ExclusiveStartKey"] = {"pk": counts_pk(app, slice_), "sk": decode_cursor(cursor)}
    page = table(get_settings().rollups_table).query(**request)
    items = page.get("Items", [])
    last = page.get("LastEvaluatedKey")
    next_cursor = encode_cursor(str(last["sk"])) if last and len(items) == page_size else None
    return ReleaseList(items=[Release(**release_of(item, wanted)) for item in items], next_cursor=next_cursor)


def _counts_item(app: str, slice_: str, version: str) -> dict[str, Any] | None:
    pk, sk = counts_key(app, slice_, version)
    return table(get_settings().rollups_table).get_item(Key={"pk": pk, "sk": sk}).get("Item")


def get_release(
    principal: Principal,
    app_id: str,
    version: str,
    *,
    days: str | None = None,
    channel: str | None = None,
    platform: str | None = None,
    now: datetime | None = None,
) -> ReleaseDetail:
    """`GET /apps/{app_id}/releases/{version}` (404 `release not found` before its first device)."""
    app = _app(principal, app_id)
    version = parse_version(version)
    wanted = days_back((now or utc_now()).date(), parse_days(days))
    slice_ = parse_slice(channel, platform)
    item = _counts_item(app, slice_, version)
    if item is None:
        raise NotFound("release not found")
    return ReleaseDetail(
        **release_of(item, wanted), top_groups=top_groups(principal.owner, app, slice_, version)
    )


def top_groups(owner: str, app_id: str, slice_: str, version: str) -> list[dict[str, Any]]:
    """Up to 10 group list items of the release slice, by `stats.devices` descending (ties by hash):
    one Query of its ranking entries (releases/top_groups.py), then one BatchGetItem of those groups."""
    settings = get_settings()
    entries = top_entries(settings.rollups_table, app_id, slice_, version)
    items = batch_get_groups(settings.groups_table, [(app_id, str(e["group_hash"])) for e in entries])
    mine = [item for item in items if item.get("owner") == owner]
    mine.sort(key=lambda item: (-int(item.get("devices", 0)), str(item["group_hash"])))
    return [Group.fields_of(item) for item in mine]


def release_health_of(owner: str, app_id: str) -> ReleaseHealth:
    """The app's settings from its alert rules (the defaults when none were PUT)."""
    found = read_rules(owner, app_id)
    return found[0].release_health if found else ReleaseHealth()


def evaluate_gate(item: Mapping[str, Any] | None, health: ReleaseHealth, now: datetime) -> GateVerdict:
    """Today's verdict: `halt` below the threshold with enough devices, `proceed` above it."""
    today = now.date().isoformat()
    active = _count(item or {}, day_attr("a", today))
    crashed = _count(item or {}, day_attr("c", today))
    rate = crash_free(active, crashed)
    if active < max(1, health.min_devices) or rate is None:
        verdict = "insufficient_data"
    elif rate < health.threshold:
        verdict = "halt"
    else:
        verdict = "proceed"
    return GateVerdict(
        verdict=verdict,
        crash_free_devices=rate,
        active_devices=active,
        crashed_devices=crashed,
        threshold=health.threshold,
        min_devices=health.min_devices,
        evaluated_at=format_time(now),
    )


def release_gate(
    principal: Principal,
    app_id: str,
    version: str,
    *,
    channel: str | None = None,
    now: datetime | None = None,
) -> GateVerdict:
    """`GET /apps/{app_id}/releases/{version}/gate`: a version nobody runs yet has insufficient data."""
    app = _app(principal, app_id)
    version = parse_version(version)
    item = _counts_item(app, parse_slice(channel, None), version)
    return evaluate_gate(item, release_health_of(principal.owner, app), now or utc_now())
