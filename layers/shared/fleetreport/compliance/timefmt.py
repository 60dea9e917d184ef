"""Instants as the compliance store keeps them and as Gutterball prints them.

Storage uses RFC 3339 UTC with milliseconds and `Z` (`2026-05-20T10:00:00.000Z`): fixed width, so the
strings sort like the instants and can sit in sort keys. Gutterball output uses `...000+0000`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fleetreport import clock

# Candlepin sends ISO 8601 with `Z`, `+0000` or `+00:00`, with or without fractions; or epoch millis.
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch values at or above this are milliseconds (Java's Date.getTime()); below, seconds.
_MILLIS_THRESHOLD = 100_000_000_000


def parse_instant(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string or epoch number; None when it is not one.

    A string without a zone is read as UTC (Candlepin always sends one; this is only leniency).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) >= _MILLIS_THRESHOLD else value
        try:
            return EPOCH + timedelta(seconds=seconds)
        except OverflowError:
            return None
    if not isinstance(value, str):
        return None
    match = _ISO.fullmatch(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        naive = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micros)
    except ValueError:
        return None
    return (naive - _zone_offset(zone)).replace(tzinfo=UTC)


def _zone_offset(zone: str | None) -> timedelta:
    if not zone or zone.upper() == "Z":
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return sign * timedelta(hours=hours, minutes=minutes)


def to_storage(instant: datetime) -> str:
    """`2026-05-20T10:00:00.000Z` (UTC, milliseconds): the form every stored instant takes."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def from_storage(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def to_gutterball(value: str | None) -> str | None:
    """A stored instant in Gutterball's output form `yyyy-MM-dd'T'HH:mm:ss.SSS+0000` (None stays None)."""
    if not value:
        return None
    return value[:-1] + "+0000" if value.endswith("Z") else value


def format_with_offset(instant: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss.SSS±hhmm` in the instant's own zone (status_trend's day keys)."""
    offset = instant.strftime("%z") or "+0000"
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}" + offset[:5]


def utc_now() -> datetime:
    return clock.now()
