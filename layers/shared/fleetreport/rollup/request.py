"""What a rollup invocation asks for: the scheduled catch-up, one `{"date"}`, or a `{"from", "to"}` range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidRollupRequest(ValueError):
    """The invocation's payload is not one the function understands; the message says why."""


@dataclass(frozen=True)
class RollupRequest:
    """`first`/`last` None: catch up every closed day. With them: (re)roll that range (the run also
    fills any gap before it and keeps later days consistent, see docs/rollups.md)."""

    first: str | None = None
    last: str | None = None
    tenants: tuple[str, ...] | None = None

    @property
    def is_catch_up(self) -> bool:
        return self.first is None


def parse_request(event: Any) -> RollupRequest:
    """A scheduler event (or any payload without `date`/`from`/`to`) is the daily catch-up."""
    if not isinstance(event, dict):
        return RollupRequest()
    tenants = _tenants(event.get("tenants"))
    if "date" in event:
        if "from" in event or "to" in event:
            raise InvalidRollupRequest("use either date or from/to")
        day = _day(event["date"], "date")
        return RollupRequest(day, day, tenants)
    if "from" in event or "to" in event:
        first = _day(event.get("from"), "from")
        last = _day(event.get("to"), "to")
        if last < first:
            raise InvalidRollupRequest("to must not be before from")
        return RollupRequest(first, last, tenants)
    return RollupRequest(tenants=tenants)


def _day(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise InvalidRollupRequest(f"{name} must be a day YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidRollupRequest(f"{name} must be a day YYYY-MM-DD") from None
    if parsed.year < 2000:
        raise InvalidRollupRequest(f"{name} must be no earlier than 2000")
    return value


def _tenants(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise InvalidRollupRequest("tenants must be a list of tenant ids")
    return tuple(value)
