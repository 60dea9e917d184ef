"""`POST /reports/ingest` (§3.1): every check in the spec's order, then count, then details.

The details outcome (stored, rejected) is decided before the group is counted so that the count and
the outcome land in the group's ONE UpdateItem (the §7 budget: one group write per report). What the
client sees is exactly the spec's order: the report is counted even when its details are refused,
and a details 4xx is returned only after counting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from fleetreport import jsontext
from fleetreport.apps.keys import lookup_report_key
from fleetreport.errors import BadRequest, DomainError, Forbidden, PayloadTooLarge, Unauthorized
from fleetreport.groups.blobs import STORAGE_ERRORS, BlobLocation, delete_blobs, store_blob, trim_blobs
from fleetreport.groups.details import Details, parse_details
from fleetreport.groups.devices import GroupDevice
from fleetreport.groups.models import EVENT_TYPES, FIELDS, Dimensions, utc_now
from fleetreport.groups.ratelimit import Window, enforce_rate_limits, release_rate_limits, windows_for
from fleetreport.groups.store import count_report
from fleetreport.http import logger, metrics
from fleetreport.releases.devices import device_hash
from fleetreport.releases.reports import mark_report_device
from fleetreport.settings import Settings, get_settings

MAX_FIELD_LENGTH = 128
_REPORT_KEY = re.compile(r"^rpk_[0-9a-fA-F]{64}$")
_SYNTAX: dict[str, re.Pattern[str]] = {
    "application.name": re.compile(r"^[a-zA-Z0-9\- ]+$"),
    "application.version": re.compile(r"^[0-9.-]+$"),
    "application.channel": re.compile(r"^[a-zA-Z0-9]*$"),
    "system.platform": re.compile(r"^[a-zA-Z0-9-]*$"),
    "system.arch": re.compile(r"^[a-zA-Z0-9]*$"),
    "event.reason": re.compile(r"^[a-zA-Z0-9._-]{1,128}$"),
}


@dataclass(frozen=True)
class IngestResult:
    group_hash: str
    stored_details: bool

    def body(self) -> dict[str, Any]:
        return {"status": "accepted", "group_hash": self.group_hash, "stored_details": self.stored_details}


def header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value or ""
    return ""


def bearer_report_key(headers: Mapping[str, str]) -> str | None:
    """The `rpk_…` token of `Authorization: Bearer …` (scheme in any case, spaces trimmed)."""
    scheme, _, token = header(headers, "Authorization").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _REPORT_KEY.fullmatch(token):
        return None
    return token


def parse_body(body: bytes | None, max_bytes: int) -> dict[str, Any]:
    """Check 4: size first (on the bytes, before any parsing), then JSON object."""
    if body is None:
        raise BadRequest("invalid request body")
    if len(body) > max_bytes:
        raise PayloadTooLarge("request body too large")
    try:
        document = jsontext.loads(body)  # a lone surrogate anywhere is not storable JSON either
    except (ValueError, RecursionError):
        raise BadRequest("invalid request body") from None
    if not isinstance(document, dict):
        raise BadRequest("invalid request body")
    return document


def parse_dimensions(document: Mapping[str, Any]) -> Dimensions:
    """Checks 5 (missing, in field order) then 6 (syntax, in field order); unknown fields are ignored."""
    values: dict[str, Any] = {}
    for field_name in FIELDS:
        section, _, leaf = field_name.partition(".")
        parent = document.get(section)
        value = parent.get(leaf) if isinstance(parent, dict) else None
        if value is None or value == "":
            raise BadRequest(f"missing {field_name}")
        values[field_name] = value
    for field_name, value in values.items():
        if not valid_field(field_name, value):
            raise BadRequest(f"invalid {field_name}")
    return Dimensions(*(values[field_name] for field_name in FIELDS))


def valid_field(field_name: str, value: Any) -> bool:
    """Check 6 for one field (the beacon validates its fields with the same rules)."""
    if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
        return False
    if field_name == "event.type":
        return value in EVENT_TYPES
    return bool(_SYNTAX[field_name].fullmatch(value))


def ingest_report(
    headers: Mapping[str, str], body: bytes | None, now: datetime | None = None
) -> IngestResult:
    """Run checks 1-10 of §3.1; raises the DomainError of the first failing check."""
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
    document = parse_body(body, settings.reports_max_body_bytes)
    dims = parse_dimensions(document)
    if dims.name != key.app_name:
        raise Forbidden("report key does not belong to this application")
    now = now or utc_now()
    key_id = str(getattr(key, "key_id", "") or key.app_id)
    windows = windows_for(
        settings, key_id=key_id, app_id=key.app_id, group_hash=dims.group_hash, device_id=device_id, now=now
    )
    taken = enforce_rate_limits(settings, windows, now)
    result = _count_with_details(
        settings, key.tenant, key.app_id, dims, document.get("details"), now, taken, device_id
    )
    mark_report_device(settings, key.tenant, key.app_id, dims, device_id, now)
    return result


def _count_with_details(
    settings: Settings,
    owner: str,
    app_id: str,
    dims: Dimensions,
    raw_details: Any,
    now: datetime,
    taken: list[Window],
    device_id: str,
) -> IngestResult:
    refusal: DomainError | None = None
    details: Details | None = None
    try:
        details = parse_details(
            raw_details,
            settings.reports_max_details_compressed_bytes,
            settings.reports_max_details_decompressed_bytes,
        )
    except (BadRequest, PayloadTooLarge) as error:
        refusal = error
    location = _store(settings, owner, app_id, dims, details, now) if details else None
    rejected = refusal is not None or (details is not None and location is None)
    device = _group_device(settings, app_id, dims, device_id, now)
    try:
        counted = count_report(
            settings.groups_table,
            owner=owner,
            app_id=app_id,
            dims=dims,
            now=now,
            stored=1 if location else 0,
            rejected=1 if rejected else 0,
            retention_days=settings.reports_group_retention_days,
            device=device,
        )
    except Exception:
        # The report was not counted: neither its blob, its device mark nor its rate-limit units
        # outlive the failure.
        if location:
            _forget(settings, location)
        _hand_back_device(device)
        release_rate_limits(settings, taken)
        raise
    _record(app_id, dims.group_hash, stored=location is not None, rejected=rejected)
    if device is not None and device.failed is not None:
        logger.warning("group device mark failed", extra={"error_type": type(device.failed).__name__})
        metrics.add_metric(name="GroupDeviceMarksFailed", unit=MetricUnit.Count, value=1)
    if location and counted.details_stored > settings.reports_max_blobs_per_group:
        _trim(settings, app_id, dims.group_hash)
    if refusal is not None:
        mark_report_device(settings, owner, app_id, dims, device_id, now)  # counted: its device is active
        raise refusal
    return IngestResult(dims.group_hash, location is not None)


def _group_device(
    settings: Settings, app_id: str, dims: Dimensions, device_id: str, now: datetime
) -> GroupDevice | None:
    """The report's device on its group (`stats.devices`), marked in CountersTable by its keyed hash."""
    if not settings.counters_table:
        return None
    return GroupDevice(
        counters_table=settings.counters_table,
        app_id=app_id,
        group_hash=dims.group_hash,
        digest=device_hash(app_id, device_id),
        now=now,
        retention_days=settings.reports_group_retention_days,
    )


def _hand_back_device(device: GroupDevice | None) -> None:
    if device is None:
        return
    try:
        device.hand_back()
    except STORAGE_ERRORS as error:
        logger.warning("device mark not handed back", extra={"error_type": type(error).__name__})


def _store(
    settings: Settings, owner: str, app_id: str, dims: Dimensions, details: Details, now: datetime
) -> BlobLocation | None:
    """Store a valid payload; a storage failure is not the client's fault, so it only costs the blob."""
    try:
        return store_blob(
            bucket=settings.blob_bucket,
            blobs_table=settings.blobs_table,
            prefix=settings.reports_storage_prefix,
            retention_days=settings.reports_blob_retention_days,
            owner=owner,
            app_id=app_id,
            dims=dims,
            details=details,
            now=now,
        )
    except STORAGE_ERRORS as error:
        logger.warning("details not stored", extra={"app_id": app_id, "error_type": type(error).__name__})
        return None


def _forget(settings: Settings, location: BlobLocation) -> None:
    try:
        delete_blobs(settings.blobs_table, [location])
    except STORAGE_ERRORS as error:
        logger.warning("orphan blob left for its TTL", extra={"error_type": type(error).__name__})


def _trim(settings: Settings, app_id: str, group_hash: str) -> None:
    """Keep the newest N blobs; a failure here is retried by the next report's trim."""
    try:
        trim_blobs(
            settings.blobs_table,
            settings.blob_bucket,
            app_id,
            group_hash,
            settings.reports_max_blobs_per_group,
        )
    except STORAGE_ERRORS as error:
        logger.warning("blob trimming failed", extra={"app_id": app_id, "error_type": type(error).__name__})


def _record(app_id: str, group_hash: str, *, stored: bool, rejected: bool) -> None:
    metrics.add_metric(name="ReportsIngested", unit=MetricUnit.Count, value=1)
    if stored:
        metrics.add_metric(name="DetailsStored", unit=MetricUnit.Count, value=1)
    if rejected:
        metrics.add_metric(name="DetailsRejected", unit=MetricUnit.Count, value=1)
    logger.info(
        "report counted",
        extra={
            "app_id": app_id,
            "group_hash": group_hash,
            "stored_details": stored,
            "details_rejected": rejected,
        },
    )
