"""The demo's report history as data: who reported what, when, and what the operator did about it.

Thirty-five days up to `now` (docs/demo.md tells the story): quiet background groups of two apps, and
one bad release — desktop-client 1.5.0 on Windows — whose crash group appears 14 days ago, spikes the
next hour, is resolved two days later and regresses five days ago. Deterministic for a given `now`
(a seeded random), so the demo looks the same every run, shifted to today.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

HISTORY_DAYS = 35
QUIET_HOURS = (6, 22)  # background reports arrive between these UTC hours


@dataclass(frozen=True)
class StoryGroup:
    name: str  # how docs/demo.md calls it
    app: str
    version: str
    channel: str
    platform: str
    arch: str
    type: str
    reason: str
    per_day: float = 0.0  # background rate (mean reports per day) over [since, until] days ago
    since: int = HISTORY_DAYS
    until: int = 0
    details_every: int = 0  # every n-th report carries a debug payload (0: none)
    hourly: bool = False  # written hour by hour with its hour counters (its stream shows the spike)

    def body(self) -> dict[str, Any]:
        return {
            "application": {"name": self.app, "version": self.version, "channel": self.channel},
            "system": {"platform": self.platform, "arch": self.arch},
            "event": {"type": self.type, "reason": self.reason},
        }


@dataclass(frozen=True)
class Report:
    at: datetime
    group: StoryGroup
    details: bool


@dataclass(frozen=True)
class Triage:
    at: datetime
    group: StoryGroup
    patch: dict[str, Any]  # a PATCH /reports/groups/{hash} body


DESKTOP, MOBILE = "desktop-client", "mobile-client"


def _group(name: str, app: str, dims: str, per_day: float = 0.0, **timing: Any) -> StoryGroup:
    """`dims` = "version channel platform arch type reason"."""
    version, channel, platform, arch, kind, reason = dims.split()
    return StoryGroup(name, app, version, channel, platform, arch, kind, reason, per_day, **timing)


BACKGROUND = (
    _group(
        "checksum",
        DESKTOP,
        "1.4.2 stable windows amd64 update_failure checksum_mismatch",
        2.0,
        details_every=30,
    ),
    _group("signature", DESKTOP, "1.4.2 stable darwin arm64 update_failure signature_invalid", 0.7),
    _group("beta-crash", DESKTOP, "1.4.3 beta windows amd64 crash access_violation", 1.0, details_every=15),
    _group("libssl", DESKTOP, "1.4.3 beta linux amd64 startup_failure missing_libssl", 0.6),
    _group("rollback", DESKTOP, "1.4.1 stable windows amd64 rollback_failure file_locked", 1.0, until=25),
    _group("disk-full", DESKTOP, "1.5.0 stable darwin arm64 install_failure disk_full", 0.6, since=14),
    _group(
        "fix-update", DESKTOP, "1.5.1 stable windows amd64 update_failure download_timeout", 1.2, since=12
    ),
    _group("oom", MOBILE, "2.0.1 stable android arm64 crash out_of_memory", 2.0, details_every=35),
    _group("keychain", MOBILE, "2.0.1 stable ios arm64 startup_failure keychain_denied", 0.6),
    _group("beta-timeout", MOBILE, "2.1.0 beta android arm64 update_failure download_timeout", 1.5, since=10),
)
BAD_RELEASE = _group(
    "bad-release", DESKTOP, "1.5.0 stable windows amd64 crash gpu_driver_reset", details_every=30, hourly=True
)
# Reported today through the real API (the newest thing the operator sees): group.new.
NEW_TODAY = _group("new-today", MOBILE, "2.1.0 beta android arm64 crash null_pointer", details_every=1)
GROUPS = (*BACKGROUND, BAD_RELEASE, NEW_TODAY)

# The bad release, in days ago and UTC hours.
RELEASE_DAY = 14  # first report at 09:47 (group.new), then the spike hour
SPIKE_HOUR = 10
SPIKE_REPORTS = 30  # >= 10 x the first hour's one report, and >= 10 (group.spike)
TAIL = (14, 10, 8, 6, 5, 4, 4, 3, 3, 2, 2, 2, 1)  # hours 11..23 of the release day
NEXT_DAY_REPORTS = 20
RESOLVED_DAY = 12  # a few more reports in the morning, resolved at 11:00 (operator: rollout halted)
REGRESSED_DAY = 5  # the crash is back at 14:12 on a resolved group: reopened (group.regressed)
MUTED = ("libssl", 20, {"status": "muted", "tags": ["packaging"], "note": "distro ships without libssl3"})
RESOLVED = ("rollback", 24, {"status": "resolved", "note": "fixed in 1.4.2"})
# a conditional mute: the group reopens after 3 more reports (group.unmuted, SPEC §10)
MUTED_FOR_THREE = (
    "signature",
    15,
    {"status": "muted", "mute_until_count": 3, "note": "until the signing fix"},
)
RESOLVE_BAD_RELEASE = {
    "status": "resolved",
    "tags": ["rollout-halted"],
    "note": "1.5.0 rollout halted; the fix ships in 1.5.1",
}


def story(now: datetime) -> tuple[list[Report], list[Triage]]:
    """Every report and triage action before `now`, oldest first."""
    rng = random.Random(150)  # demo data: the same story every run
    today = now.astimezone(UTC).date()

    def at(days_ago: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour, minute, second), tzinfo=UTC)

    reports = [report for group in BACKGROUND for report in _background(group, at, rng)]
    reports += _bad_release(at, rng)
    triage = [
        Triage(at(days, 16, 30), _named(name), patch)
        for name, days, patch in (MUTED, RESOLVED, MUTED_FOR_THREE)
    ]
    triage.append(Triage(at(RESOLVED_DAY, 11), BAD_RELEASE, RESOLVE_BAD_RELEASE))
    return (
        sorted((r for r in reports if r.at <= now), key=lambda r: r.at),
        sorted((t for t in triage if t.at <= now), key=lambda t: t.at),
    )


def _named(name: str) -> StoryGroup:
    return next(group for group in GROUPS if group.name == name)


def _background(group: StoryGroup, at: Any, rng: random.Random) -> Iterator[Report]:
    seen = 0
    for days_ago in range(group.since, group.until - 1, -1):
        # Poisson-like daily counts around the rate; the first day always has one (the group is new).
        count = sum(rng.random() < group.per_day / 3 for _ in range(3))
        if days_ago == group.since:
            count = max(count, 1)
        for _ in range(count):
            seen += 1
            stamp = at(days_ago, rng.randrange(*QUIET_HOURS), rng.randrange(60), rng.randrange(60))
            yield Report(stamp, group, _with_details(group, seen))


def _bad_release(at: Any, rng: random.Random) -> list[Report]:
    stamps = [at(RELEASE_DAY, SPIKE_HOUR - 1, 47, 12)]
    stamps += [
        at(RELEASE_DAY, SPIKE_HOUR, rng.randrange(60), rng.randrange(60)) for _ in range(SPIKE_REPORTS)
    ]
    for offset, count in enumerate(TAIL, start=SPIKE_HOUR + 1):
        stamps += [at(RELEASE_DAY, offset, rng.randrange(60), rng.randrange(60)) for _ in range(count)]
    stamps += [at(RELEASE_DAY - 1, rng.randrange(24), rng.randrange(60)) for _ in range(NEXT_DAY_REPORTS)]
    stamps += [at(RESOLVED_DAY, rng.randrange(6, 10), rng.randrange(60)) for _ in range(4)]
    stamps.append(at(REGRESSED_DAY, 14, 12, 5))
    for days_ago in range(REGRESSED_DAY, -1, -1):
        earliest = 15 if days_ago == REGRESSED_DAY else 6  # after the regressing report
        stamps += [
            at(days_ago, rng.randrange(earliest, 22), rng.randrange(60)) for _ in range(rng.randrange(2, 5))
        ]
    stamps.sort()
    return [Report(stamp, BAD_RELEASE, _with_details(BAD_RELEASE, n)) for n, stamp in enumerate(stamps, 1)]


def _with_details(group: StoryGroup, nth: int) -> bool:
    return bool(group.details_every) and nth % group.details_every == 1 % group.details_every
