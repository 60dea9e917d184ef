"""What a consumer JSON says about the consumer itself: read by the event parser, the item-size check
and the writer alike, so it lives below all three."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConsumerInfo:
    """Candlepin's Consumer, trimmed to what fleetreport stores."""

    uuid: str
    name: str | None = None
    owner_key: str | None = None
    owner_display: str | None = None
    created: str | None = None
    last_checkin: str | None = None
    facts: dict[str, Any] | None = None
