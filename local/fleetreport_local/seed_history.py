"""Writes the demo story's past into the groups and rollups tables as 35 days of traffic would have.

Counting 400 reports one UpdateItem each costs moto ~50 ms apiece (half a minute of start-up), so the
past is written in fewer, equivalent writes, through the real code wherever a rule lives there:
- a group's first report, the first report after the operator resolved it (the reopening rule) and
  every report of today are counted by ingest's own `count_report` on their simulated instant;
  a report with a debug payload goes through `ingest_report` itself (key, limits, blob dated that day);
- the other reports of closed days are added to their group in one write (count, `last_seen`) just
  before the group's next such write, which is what their `count_report`s would have summed to; an
  `hourly` group (the bad release) gets one such write per UTC hour, with that hour's counter, so the
  table's stream shows its spike as the alerts consumer would see it live;
- triage is the PATCH's own change builder and writer, dated when the operator acted;
- closed days' per-hour counts are written as the rollup writes them (`rows_by_app`, `write_day`,
  then the run state and the rollup's cleanup of the counters), so group_trend reads them as rolled up.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from fleetreport.auth.principal import Principal
from fleetreport.errors import DomainError
from fleetreport.groups.ingest import ingest_report, parse_dimensions
from fleetreport.groups.models import Dimensions, format_time
from fleetreport.groups.store import count_report, update_triage
from fleetreport.groups.triage import parse_patch, patch_changes
from fleetreport.rollup import runs
from fleetreport.rollup.groups import (
    DIMENSIONS,
    GroupCounters,
    counters_from_item,
    remove_counters,
    rows_by_app,
)
from fleetreport.rollup.groups import write_day as write_rollup_day

from fleetreport_local.seed_devices import DemoDevices
from fleetreport_local.seed_story import Report, StoryGroup, Triage

log = logging.getLogger("fleetreport.local.seed")
OPERATOR = "demo-admin"  # the `sub` of the banner's token: who resolved and muted the demo groups


def dimensions(group: StoryGroup) -> Dimensions:
    """The group's dimensions, parsed from its report body as ingest parses them."""
    return parse_dimensions(group.body())


@dataclass
class _Pending:
    """Reports of one group not written yet: added in one write before the group's next real write."""

    group: StoryGroup
    count: int = 0
    last: datetime | None = None


@dataclass
class HistoryWriter:
    tenant: str
    apps: dict[str, tuple[str, str]]  # app name -> (app id, report key)
    groups: Any  # GroupsTable (boto3 Table)
    rollups: Any  # RollupsTable
    today: date
    created: set[str] = field(default_factory=set)
    resolved: set[str] = field(default_factory=set)
    pending: dict[str, _Pending] = field(default_factory=dict)
    hours: dict[str, dict[str, dict[str, int]]] = field(default_factory=lambda: defaultdict(dict))
    refused: int = 0
    devices: DemoDevices | None = None  # the story's devices (stats.devices); None: not counted

    # ------------------------------------------------------------------ reports and triage
    def report(self, report: Report, nth: int) -> None:
        group = report.group
        self._hour(group, report.at)
        live = report.at.date() >= self.today
        # A report with a payload goes through ingest as a device of its own (as before): a story device
        # marked there on a later day first would keep its earlier release beacons from counting.
        device = (
            f"demo-device-{nth}" if report.details or not self.devices else self.devices.next_device(group)
        )
        if report.details or live or group.name not in self.created or group.name in self.resolved:
            self.flush(group)
            counted = self._count_one(report, nth, device)
            if self.devices and counted:
                if report.details:
                    self.devices.counted_by_ingest(self._key(group), device, report.at)
                else:
                    self.devices.see(self._key(group), device, report.at)
            self.created.add(group.name)
            self.resolved.discard(group.name)  # a report reopens a resolved group
            return
        if self.devices:
            self.devices.see(self._key(group), device, report.at)
        pending = self.pending.get(group.name)
        if (
            pending is not None
            and group.hourly
            and pending.last
            and f"{pending.last:%Y%m%d%H}" != f"{report.at:%Y%m%d%H}"
        ):
            self.flush(group)  # an hourly group's bulk writes each stay within one UTC hour
        pending = self.pending.setdefault(group.name, _Pending(group))
        pending.count += 1
        pending.last = report.at

    def triage(self, action: Triage) -> None:
        self.flush(action.group)
        operator = Principal(sub=OPERATOR, owner=self.tenant, role="admin")
        count = 0
        if "mute_until_count" in action.patch:  # the mute ends N reports after the count now
            key = {"app_id": self._app_id(action.group), "group_hash": dimensions(action.group).group_hash}
            count = int(
                (self.groups.get_item(Key=key, ConsistentRead=True).get("Item") or {}).get("count", 0)
            )
        sets, removes = patch_changes(parse_patch(action.patch), operator, format_time(action.at), count)
        update_triage(
            self.groups.name,
            owner=self.tenant,
            app_id=self._app_id(action.group),
            group_hash=dimensions(action.group).group_hash,
            sets=sets,
            removes=removes,
        )
        if action.patch.get("status") == "resolved":
            self.resolved.add(action.group.name)

    def flush(self, group: StoryGroup, final: bool = False) -> None:
        """Add the group's pending reports in one write: what their upserts would have summed to,
        with what their devices added (`devices`, `dv{yyyymmdd}`), which ride along on the group's next
        such write (or the final one): never a write of their own per report."""
        pending = self.pending.pop(group.name, None)
        if (pending is None or pending.last is None) and not final:
            return
        devices = self.devices.take_adds(self._key(group)) if self.devices else {}
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        adds, sets = [], ""
        if pending is not None and pending.last is not None:
            sets = "SET last_seen = :at, updated_at = :at "
            names["#count"], values[":at"], values[":n"] = "count", format_time(pending.last), pending.count
            adds.append("#count :n")
            if group.hourly:  # what count_report adds to the hour's counter too (the alerts read it)
                names["#hour"] = f"h{pending.last:%Y%m%d%H}"
                adds.append("#hour :n")
        for n, (attribute, added) in enumerate(sorted(devices.items())):
            names[f"#d{n}"], values[f":d{n}"] = attribute, added
            adds.append(f"#d{n} :d{n}")
        if not adds:
            return
        self.groups.update_item(
            Key={"app_id": self._app_id(group), "group_hash": dimensions(group).group_hash},
            UpdateExpression=f"{sets}ADD {', '.join(adds)}",
            ConditionExpression="attribute_exists(group_hash)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def flush_all(self, groups: list[StoryGroup]) -> None:
        for group in groups:
            self.flush(group, final=True)
        if self.devices:
            self.devices.write_all_marks()

    def _count_one(self, report: Report, nth: int, device: str) -> bool:
        app_id, key = self.apps[report.group.app]
        if not report.details:
            count_report(
                self.groups.name,
                owner=self.tenant,
                app_id=app_id,
                dims=dimensions(report.group),
                now=report.at,
            )
            return True
        body = {**report.group.body(), "details": demo_details(report.group, nth)}
        headers = {"Authorization": f"Bearer {key}", "X-Device-ID": device}
        try:
            ingest_report(headers, json.dumps(body).encode(), now=report.at)
        except DomainError as error:  # e.g. a rate limit set very low: the demo goes on without it
            self.refused += 1
            log.warning("seed: report of %s refused (%s)", report.at.isoformat(), error)
            return False
        return True

    # ------------------------------------------------------------------ rollups of the closed days
    def roll_closed_days(self, story_groups: list[StoryGroup]) -> int:
        """Write every closed day's rows as the rollup would, then its run state and counter cleanup."""
        counters = [self._counters(group) for group in story_groups if group.name in self.hours]
        days = sorted({day for group in counters for day in group.hours if day < self.today.isoformat()})
        for day in days:
            for app_id, rows in rows_by_app(counters, day).items():
                write_rollup_day(self.rollups, app_id, day, rows)
        closed = (self.today - timedelta(days=1)).isoformat()
        runs.advance(self.rollups, self.tenant, "groups_day", closed)
        for group in story_groups:  # the hour counters count_report left on closed days
            key = {"app_id": self._app_id(group), "group_hash": dimensions(group).group_hash}
            item = self.groups.get_item(Key=key, ConsistentRead=True).get("Item")
            if item:
                remove_counters(self.groups, counters_from_item(item), closed)
        runs.advance(self.rollups, self.tenant, "groups_clean", closed)
        return len(days)

    def _counters(self, group: StoryGroup) -> GroupCounters:
        return GroupCounters(
            app_id=self._app_id(group),
            group_hash=dimensions(group).group_hash,
            dims=tuple(_flat(group)[name] for name in DIMENSIONS),
            hours=self.hours[group.name],
        )

    def _hour(self, group: StoryGroup, at: datetime) -> None:
        per_hour = self.hours[group.name].setdefault(at.date().isoformat(), {})
        per_hour[f"{at:%H}"] = per_hour.get(f"{at:%H}", 0) + 1

    def _app_id(self, group: StoryGroup) -> str:
        return self.apps[group.app][0]

    def _key(self, group: StoryGroup) -> tuple[str, str]:
        return self._app_id(group), dimensions(group).group_hash


def _flat(group: StoryGroup) -> dict[str, str]:
    """The group's dimensions under the item attribute names the rollup reads."""
    return {
        "event_type": group.type,
        "app_version": group.version,
        "app_channel": group.channel,
        "sys_platform": group.platform,
        "sys_arch": group.arch,
        "event_reason": group.reason,
    }


def demo_details(group: StoryGroup, n: int) -> dict[str, str]:
    """A small JSON debug log, gzip'd and base64'd as a client SDK sends it."""
    import base64
    import gzip

    document = {
        "app": group.app,
        "version": group.version,
        "reason": group.reason,
        "attempt": n,
        "log": [f"step {i}: {'ok' if i < 3 else group.reason}" for i in range(4)],
    }
    payload = gzip.compress(json.dumps(document).encode())
    return {
        "encoding": "gzip+base64",
        "content_type": "application/json",
        "payload": base64.b64encode(payload).decode(),
    }
