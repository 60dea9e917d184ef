"""`POST /reports/beacon` (SPEC §12): ingest's checks 1-8 on a body without `event`, then the device
is marked active for its version and UTC day → 204.

The per-device daily limit must not cost a write per beacon (SPEC §9: a device-day's 3 beacons ≤ 1.5
WCU), so it is counted in the container first: a device's first beacon in a container is taken from
memory, later ones flush what the container holds with one conditional `ADD` on a CountersTable
window (docs/releases.md: a device can exceed the limit by at most one beacon per warm container).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from fleetreport.apps.keys import lookup_report_key
from fleetreport.errors import BadRequest, Forbidden, RateLimited, Unauthorized
from fleetreport.groups.ingest import bearer_report_key, header, parse_body, valid_field
from fleetreport.groups.models import utc_now
from fleetreport.http import logger, metrics
from fleetreport.releases.devices import Activity, day_of, device_hash, mark_active
from fleetreport.settings import Settings, get_settings
from fleetreport.storage.aws import is_conditional_failure, table

BEACON_FIELDS = (
    "application.name",
    "application.version",
    "application.channel",
    "system.platform",
    "system.arch",
)
_TTL_GRACE_SECONDS = 3600
_MEMORY_SIZE = 65_536


def parse_beacon(document: Mapping[str, Any]) -> dict[str, str]:
    """Checks 5 and 6 of ingest on the beacon's fields, then `is_latest` (optional, a boolean)."""
    values: dict[str, Any] = {}
    for field_name in BEACON_FIELDS:
        section, _, leaf = field_name.partition(".")
        parent = document.get(section)
        value = parent.get(leaf) if isinstance(parent, dict) else None
        if value is None or value == "":
            raise BadRequest(f"missing {field_name}")
        values[field_name] = value
    for field_name, value in values.items():
        if not valid_field(field_name, value):
            raise BadRequest(f"invalid {field_name}")
    if "is_latest" in document and not isinstance(document["is_latest"], bool | None):
        raise BadRequest("invalid is_latest")
    return values


def accept_beacon(headers: Mapping[str, str], body: bytes | None, now: datetime | None = None) -> bool:
    """Run the checks in ingest's order and mark the device; True when a device-day was new."""
    settings = get_settings()
    plaintext = bearer_report_key(headers)
    key = lookup_report_key(plaintext) if plaintext else None
    if key is None:
        raise Unauthorized("invalid report key")
    device_id = header(headers, "X-Device-ID").strip()
    if not device_id:
        raise BadRequest("missing X-Device-ID")
    if not (settings.reports_enabled and key.reports_enabled):
        raise Forbidden("reports are disabled for this app")
    values = parse_beacon(parse_body(body, settings.reports_max_body_bytes))
    if values["application.name"] != key.app_name:
        raise Forbidden("report key does not belong to this application")
    now = now or utc_now()
    digest = device_hash(key.app_id, device_id)
    enforce_beacon_limit(settings, key.app_id, digest, now)
    activity = Activity(
        owner=key.tenant,
        app_id=key.app_id,
        version=values["application.version"],
        channel=values["application.channel"],
        platform=values["system.platform"],
        arch=values["system.arch"],
        digest=digest,
        now=now,
    )
    wrote = mark_active(settings.releases_table, activity)
    metrics.add_metric(name="BeaconsAccepted", unit=MetricUnit.Count, value=1)
    return wrote


class BeaconCounts:
    """Beacons this container took per (app, device, day) and not yet flushed, and windows known full."""

    def __init__(self) -> None:
        self.pending: dict[str, int] = {}
        self.seen: set[str] = set()
        self.full: set[str] = set()

    def trim(self) -> None:
        if len(self.seen) >= _MEMORY_SIZE:
            self.pending.clear()
            self.seen.clear()
            self.full.clear()


_PROCESS_COUNTS = BeaconCounts()
_COUNTS: ContextVar[BeaconCounts | None] = ContextVar("beacon_counts", default=None)


def beacon_counts() -> BeaconCounts:
    return _COUNTS.get() or _PROCESS_COUNTS


def use_beacon_counts(counts: BeaconCounts) -> None:
    """Give the current context (a simulated container, a test) its own counts."""
    _COUNTS.set(counts)


def enforce_beacon_limit(settings: Settings, app_id: str, digest: str, now: datetime) -> None:
    """429 once the device's beacons of the UTC day exceed REPORTS_BEACONS_PER_DEVICE_PER_DAY (0: off)."""
    limit = settings.beacons_per_device_per_day
    if limit <= 0:
        return
    counts = beacon_counts()
    counts.trim()
    window = f"beacon#{app_id}#{digest}#{day_of(now)}"
    day_end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    retry_after = max(1, int((day_end - now).total_seconds()))
    if window in counts.full:
        _refuse(retry_after)
    pending = counts.pending.get(window, 0) + 1
    if window not in counts.seen and pending <= limit:
        counts.seen.add(window)  # the device's first beacon here: counted when the next one flushes
        counts.pending[window] = pending
        return
    if pending > limit or not _take(settings, window, pending, limit, day_end):
        counts.full.add(window)
        counts.pending.pop(window, None)
        _refuse(retry_after)
    counts.seen.add(window)
    counts.pending[window] = 0


def _take(settings: Settings, window: str, pending: int, limit: int, ends_at: datetime) -> bool:
    try:
        table(settings.counters_table).update_item(
            Key={"counter": window},
            UpdateExpression="ADD #n :n SET #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression="attribute_not_exists(#n) OR #n <= :room",
            ExpressionAttributeNames={"#n": "n", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":n": pending,
                ":room": limit - pending,
                ":ttl": int(ends_at.timestamp()) + _TTL_GRACE_SECONDS,
            },
        )
    except ClientError as error:
        if is_conditional_failure(error):
            return False
        _fail_open(error)
    except BotoCoreError as error:
        _fail_open(error)
    return True


def _refuse(retry_after: int) -> None:
    metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
    raise RateLimited(retry_after)


def _fail_open(error: Exception) -> None:
    logger.warning("beacon limiter unavailable, allowing", extra={"error_type": type(error).__name__})
    metrics.add_metric(name="RateLimiterErrors", unit=MetricUnit.Count, value=1)
