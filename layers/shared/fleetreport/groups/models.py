"""The shapes of report groups: the seven stable dimensions, the group hash, and time formatting."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from fleetreport import clock

# The order of the dimensions is the order of the spec's "missing <field>" checks and of the hash.
FIELDS: tuple[str, ...] = (
    "application.name",
    "application.version",
    "application.channel",
    "system.platform",
    "system.arch",
    "event.type",
    "event.reason",
)

EVENT_TYPES = frozenset({"crash", "startup_failure", "update_failure", "install_failure", "rollback_failure"})
STATUSES = ("open", "resolved", "muted")


@dataclass(frozen=True)
class Dimensions:
    """One report's stable dimensions; together with the app they identify its group."""

    name: str
    version: str
    channel: str
    platform: str
    arch: str
    type: str
    reason: str

    @property
    def group_hash(self) -> str:
        """Lowercase hex SHA-256 of the dimensions joined with `|`, without normalisation (§3.2)."""
        joined = "|".join(
            (self.name, self.version, self.channel, self.platform, self.arch, self.type, self.reason)
        )
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()

    def as_nested(self) -> dict[str, dict[str, str]]:
        """The wire shape: application{name,version,channel}, system{platform,arch}, event{type,reason}."""
        return {
            "application": {"name": self.name, "version": self.version, "channel": self.channel},
            "system": {"platform": self.platform, "arch": self.arch},
            "event": {"type": self.type, "reason": self.reason},
        }


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds and `Z`: the one format stored and served (it sorts as text)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now() -> datetime:
    return clock.now()
