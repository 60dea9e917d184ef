"""Report parameter dates and time zones (SPEC §4.3).

Accepted dates: `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, `...SSSXXX`, `yyyy-MM-dd'T'HH:mm:ss(Z|XXX)?`, the same
with a space instead of `T`, and a bare `yyyy-MM-dd`. A zone-less value is read in the report's time
zone. An unencoded `+` in a query string arrives as a space, so `...000 0400` is read as `+0400`.
Time zones: IANA names or `GMT[+-]HH[:]MM` (hours may have one digit, minutes are optional), matched
case-insensitively (`gmt`, `america/chicago`, `GMT-0600`, `GMT+05:30`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache

_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s?(?:(Z)|([+\- ])(\d{2}):?(\d{2}))?)?$",
    re.IGNORECASE,
)
_GMT_OFFSET = re.compile(r"^GMT([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
END_OF_DAY = time(23, 59, 59, 999000)


@dataclass(frozen=True)
class ReportDate:
    """A parsed parameter date: a calendar day, maybe a time, maybe an explicit UTC offset."""

    day: date
    clock: time | None
    offset: timedelta | None

    def start(self, zone: tzinfo) -> datetime:
        """The instant it names; a bare date is the start of that day in `zone`."""
        return self._at(self.clock or time(0), zone)

    def end(self, zone: tzinfo) -> datetime:
        """As an upper bound: a bare date means the whole day (its last millisecond) in `zone`."""
        return self._at(self.clock or END_OF_DAY, zone)

    def local_day(self, zone: tzinfo) -> date:
        """The calendar day in `zone` (a date with an explicit offset may fall on another day there)."""
        if self.offset is None:
            return self.day
        return self.start(zone).astimezone(zone).date()

    def _at(self, clock: time, zone: tzinfo) -> datetime:
        naive = datetime.combine(self.day, clock)
        if self.offset is not None:
            return naive.replace(tzinfo=timezone(self.offset))
        return naive.replace(tzinfo=zone)


def parse_report_date(text: str) -> ReportDate | None:
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        calendar_day = date(int(year), int(month), int(day))
        clock = None
        if hour is not None:
            micros = int((fraction or "0")[:6].ljust(6, "0"))
            clock = time(int(hour), int(minute), int(second), micros)
    except ValueError:
        return None
    offset: timedelta | None = None
    if zulu:
        offset = timedelta(0)
    elif sign:
        if int(off_h) > 23 or int(off_m) > 59:
            return None
        offset = (-1 if sign == "-" else 1) * timedelta(hours=int(off_h), minutes=int(off_m))
    return ReportDate(calendar_day, clock, offset)


def parse_timezone(text: str) -> tzinfo | None:
    value = text.strip()
    match = _GMT_OFFSET.fullmatch(value)
    if match:
        sign, hours, minutes = match.groups()
        if int(hours) > 23 or int(minutes or 0) > 59:
            return None
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    name = _zone_names().get(value.lower())
    if name is None:
        return None
    if name in ("UTC", "GMT"):
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Lower-case IANA name → canonical name; loaded on first use (it lists the tz database)."""
    from zoneinfo import available_timezones

    names = {name.lower(): name for name in available_timezones()}
    names.setdefault("utc", "UTC")
    names.setdefault("gmt", "GMT")
    return names
