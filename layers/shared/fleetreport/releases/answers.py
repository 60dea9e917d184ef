"""What the release routes answer (SPEC §12): one pydantic model per response shape, which is also its
OpenAPI schema. Field order is the wire's key order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleetreport.groups.answers import Group


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=False)


def crash_free(active: int, crashed: int) -> float | None:
    """100 * (1 - crashed / active), 2 decimals; None below one active device."""
    if active < 1:
        return None
    return round(100.0 * (1 - min(crashed, active) / active), 2)


class ReleaseDay(_Answer):
    """One UTC day of a version: distinct devices active and crashed that day."""

    date: str = Field(description="UTC day, YYYY-MM-DD")
    active_devices: int
    crashed_devices: int
    crash_free_devices: float | None = Field(description="percent, 2 decimals; null below 1 active device")
    reports: int = Field(description="accepted reports of the version that day (every event type)")


class Release(_Answer):
    """One version: distinct devices since its first beacon (or report), and the days asked, oldest first."""

    version: str
    active_devices: int
    crashed_devices: int
    crash_free_devices: float | None
    reports: int
    open_groups: int
    first_seen: str | None = Field(description="UTC day the version's first device was seen")
    days: list[ReleaseDay]


class ReleaseList(_Answer):
    """`GET /apps/{app_id}/releases`: versions newest first, one page."""

    items: list[Release]
    next_cursor: str | None = Field(description="the next page's cursor; null on the last page")


class ReleaseDetail(Release):
    """`GET /apps/{app_id}/releases/{version}`: the version plus its groups hitting most devices."""

    top_groups: list[Group] = Field(
        description="up to 10 group list items of the version (and slice), "
        "by stats.devices desc, ties by group_hash"
    )

    def to_json(self) -> dict[str, Any]:
        """The groups as the group list serializes them (absent optionals left out, not null)."""
        body = self.model_dump(exclude={"top_groups"})
        body["top_groups"] = [group.to_json() for group in self.top_groups]
        return body


class GateVerdict(_Answer):
    """`GET /apps/{app_id}/releases/{version}/gate`: may a staged rollout of the version widen?"""

    verdict: Literal["proceed", "halt", "insufficient_data"]
    crash_free_devices: float | None
    active_devices: int
    crashed_devices: int
    threshold: float
    min_devices: int
    evaluated_at: str
