"""The shape of a signal: its name, its stable id, and the EventBridge event detail it becomes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

GROUP_NEW = "group.new"
GROUP_REGRESSED = "group.regressed"
GROUP_SPIKE = "group.spike"
GROUP_UNMUTED = "group.unmuted"
RELEASE_UNHEALTHY = "release.unhealthy"  # SPEC §12: a version's gate turned `halt`
RELEASE_RECOVERED = "release.recovered"
SIGNALS: tuple[str, ...] = (
    GROUP_NEW,
    GROUP_REGRESSED,
    GROUP_SPIKE,
    GROUP_UNMUTED,
    RELEASE_UNHEALTHY,
    RELEASE_RECOVERED,
)
EVENT_SOURCE = "fleetreport"


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, Decimal)) else 0


@dataclass(frozen=True)
class Signal:
    """One signal about one group. `occasion` makes its id stable: the same stream record (or a
    redelivery of it) always yields the same id, so the alert log and the webhook dedupe on it."""

    name: str
    group: dict[str, Any]  # the group item (new image) the signal is about
    occasion: str  # first_seen (new), reopening report time (regressed), hour (spike), muted_at (unmuted)
    occurred_at: str
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant(self) -> str:
        return str(self.group.get("owner", ""))

    @property
    def app_id(self) -> str:
        return str(self.group["app_id"])

    @property
    def group_hash(self) -> str:
        return str(self.group["group_hash"])

    @property
    def event_type(self) -> str:
        return str(self.group.get("event_type", ""))

    @property
    def id(self) -> str:
        raw = f"{self.app_id}|{self.group_hash}|{self.name}|{self.occasion}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def detail(self, dashboard_url: str) -> dict[str, Any]:
        """The event detail (docs/alerts.md documents every field)."""
        item = self.group
        app_name = str(item.get("app_name", ""))
        base = dashboard_url.rstrip("/")
        return {
            "id": self.id,
            "signal": self.name,
            "occurred_at": self.occurred_at,
            "tenant": self.tenant,
            "app": {"id": self.app_id, "name": app_name},
            "group": {
                "hash": self.group_hash,
                "application": {
                    "name": app_name,
                    "version": item.get("app_version", ""),
                    "channel": item.get("app_channel", ""),
                },
                "system": {"platform": item.get("sys_platform", ""), "arch": item.get("sys_arch", "")},
                "event": {"type": self.event_type, "reason": item.get("event_reason", "")},
                "status": item.get("status", "open"),
                "first_seen": item.get("first_seen", ""),
                "last_seen": item.get("last_seen", ""),
            },
            "counts": {"total": _int(item.get("count")), **self.counts},
            "link": f"{base}/#/groups/{self.group_hash}?app={quote(app_name)}" if base else "",
        }


def summary_text(detail: dict[str, Any]) -> str:
    """One line a human reads in Slack: what happened to which group, and where to look."""
    if "release" in detail:
        return release_text(detail)
    group = detail["group"]
    what = {
        GROUP_NEW: "New report group",
        GROUP_REGRESSED: "Regressed (resolved group reported again)",
        GROUP_SPIKE: "Spike",
        GROUP_UNMUTED: "Mute ended",
    }.get(detail["signal"], detail["signal"])
    app = group["application"]
    system = group["system"]
    event = group["event"]
    counts = detail.get("counts", {})
    extra = f", {counts['this_hour']} this hour" if "this_hour" in counts else ""
    text = (
        f"[fleetreport] {what}: {app['name']} {app['version']} ({app['channel']}) "
        f"{system['platform']}/{system['arch']} {event['type']}: {event['reason']} "
        f"- {counts.get('total', 0)} reports{extra}"
    )
    return f"{text} <{detail['link']}>" if detail.get("link") else text


def release_text(detail: dict[str, Any]) -> str:
    """A release signal's line: which version, its crash-free devices today against the threshold."""
    release = detail["release"]
    what = "Release unhealthy (gate: halt)" if detail["signal"] == RELEASE_UNHEALTHY else "Release recovered"
    text = (
        f"[fleetreport] {what}: {detail['app']['name']} {release['version']} - "
        f"{release['crash_free_devices']}% crash-free devices today "
        f"({release['crashed_devices']} of {release['active_devices']} crashed; "
        f"threshold {release['threshold']}%)"
    )
    return f"{text} <{detail['link']}>" if detail.get("link") else text
