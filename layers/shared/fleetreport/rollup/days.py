"""UTC days and quarter-hour boundaries as rollups see them; instants are stored strings (ms, `Z`).

A status rollup records the counts "just before" each quarter-hour boundary of its UTC day: the state
after every change dated strictly before the boundary, which is the state at the boundary's last
millisecond. Every time zone in use since 2000 has an offset that is a multiple of 15 minutes, so the
end of any local day (its last millisecond) is one of these moments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from fleetreport.compliance.timefmt import from_storage, to_storage

QUARTER = timedelta(minutes=15)
MILLISECOND = timedelta(milliseconds=1)
# A day is rolled up once it has been over this long: reports and events in flight at midnight land.
SETTLE = timedelta(minutes=5)
END_LABEL = "24:00"


def day_start(day: str) -> str:
    return f"{day}T00:00:00.000Z"


def next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def previous_day(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def day_range(first: str, last: str) -> Iterator[str]:
    """Every day from `first` to `last`, both included (nothing when last < first)."""
    day = date.fromisoformat(first)
    end = date.fromisoformat(last)
    while day <= end:
        yield day.isoformat()
        day += timedelta(days=1)


def last_closed_day(now: datetime) -> str:
    """The latest UTC day that ended at least SETTLE ago."""
    return ((now.astimezone(UTC) - SETTLE).date() - timedelta(days=1)).isoformat()


def boundary_labels() -> list[str]:
    """`00:15`, `00:30`, ..., `23:45`, `24:00`: the 96 boundaries a day's rollup records."""
    labels = []
    minutes = 15
    while minutes <= 24 * 60:
        labels.append(f"{minutes // 60:02d}:{minutes % 60:02d}")
        minutes += 15
    return labels


LABELS = boundary_labels()


def last_ms_before(day: str, label: str) -> str:
    """The instant one millisecond before boundary `label` of `day` (what `state at` is evaluated at)."""
    hours, minutes = (int(part) for part in label.split(":"))
    moment = datetime.fromisoformat(day_start(day)) + timedelta(hours=hours, minutes=minutes) - MILLISECOND
    return to_storage(moment)


def boundary_of(instant: str) -> tuple[str, str] | None:
    """For the last millisecond before a quarter-hour boundary: (UTC day, label) of that boundary, the
    day being the one whose rollup records it (`24:00` = the day's end); None for any other instant."""
    moment = from_storage(instant) + MILLISECOND
    if moment.second or moment.microsecond or moment.minute % 15:
        return None
    if moment.hour == 0 and moment.minute == 0:
        return (moment.date() - timedelta(days=1)).isoformat(), END_LABEL
    return moment.date().isoformat(), f"{moment.hour:02d}:{moment.minute:02d}"


def instant_before(day: str) -> str:
    """The last millisecond of the day before `day`: the state a day's rollup starts from."""
    return to_storage(datetime.fromisoformat(day_start(day)) - MILLISECOND)


def utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()
