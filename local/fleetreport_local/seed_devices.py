"""The demo story's devices on its groups (`stats.devices`, `devices` per day: SPEC §12).

The history writer adds a group's closed-day reports in bulk (seed_history.py), so their devices are
decided here in memory exactly as ingest decides them (groups/devices.py: new for the group, new for
the day) and added in the group's next bulk write (`devices`, `dv{yyyymmdd}`). Their device marks are
written to CountersTable (25 a call) at the end, before any story device reaches ingest itself (the
API's crash posts at start-up), which then counts exactly what the story's devices did; a report with
a payload goes through ingest as a device of its own, which these marks never name. Device ids are
stored as ingest stores them (keyed hash).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetreport.groups.devices import DEVICE_TTL_DAYS, day_attribute, device_counter
from fleetreport.releases.devices import device_hash

from fleetreport_local.seed_story import BAD_RELEASE, StoryGroup

GroupKey = tuple[str, str]  # (app id, group hash)
BAD_RELEASE_DEVICES = 3  # seed_releases.REPEAT_CRASHERS: the bad release crashes on these devices
DEVICES_PER_APP = 6


def story_device(group: StoryGroup, index: int) -> str:
    """Who sent the group's `index`-th report: the bad release's from its three crashing Windows
    devices (the ones seed_releases marks crashed), the others from a handful of the app's devices."""
    if group is BAD_RELEASE:
        return f"demo-win-{index % BAD_RELEASE_DEVICES:02d}"
    return f"demo-{group.app}-{(index * 5 + len(group.name)) % DEVICES_PER_APP}"


@dataclass
class DemoDevices:
    groups: Any  # GroupsTable (boto3 Table)
    counters: Any  # CountersTable
    last_day: dict[GroupKey, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    adds: dict[GroupKey, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    dirty: dict[GroupKey, dict[str, datetime]] = field(default_factory=lambda: defaultdict(dict))
    reports: Counter[str] = field(default_factory=Counter)
    generations: dict[GroupKey, str] = field(default_factory=dict)

    def next_device(self, group: StoryGroup) -> str:
        index = self.reports[group.name]
        self.reports[group.name] += 1
        return story_device(group, index)

    def see(self, key: GroupKey, device: str, at: datetime) -> None:
        """A report counted in bulk: what ingest's mark would have added for its device."""
        day, known = at.date().isoformat(), self.last_day[key].get(device)
        if known is None:
            self.adds[key]["devices"] += 1
        if known is None or known < day:
            self.adds[key][day_attribute(day)] += 1
            self.last_day[key][device] = day
            self.dirty[key][device] = at

    def counted_by_ingest(self, key: GroupKey, device: str, at: datetime) -> None:
        """A report ingest counted itself (its own mark written): remember its day, add nothing."""
        day = at.date().isoformat()
        if self.last_day[key].get(device, "") < day:
            self.last_day[key][device] = day
        self.dirty[key].pop(device, None)

    def take_adds(self, key: GroupKey) -> Counter[str]:
        return self.adds.pop(key, Counter())

    def write_marks(self, key: GroupKey) -> int:
        """Write the group's pending device marks with its generation (its `id`), as ingest would."""
        marks = self.dirty.pop(key, {})
        if not marks:
            return 0
        app_id, group_hash = key
        generation = self.generations.get(key)
        if generation is None:  # the story deletes no group: its id, read once, stays its generation
            found = self.groups.get_item(
                Key={"app_id": app_id, "group_hash": group_hash},
                ConsistentRead=True,
                ProjectionExpression="id",
            ).get("Item")
            if not found:
                return 0
            generation = self.generations[key] = str(found["id"])
        with self.counters.batch_writer() as batch:
            for device, at in marks.items():
                digest = device_hash(app_id, device)
                batch.put_item(
                    Item={
                        "counter": device_counter(app_id, group_hash, digest),
                        "g": generation,
                        "day": self.last_day[key][device],
                        "app_id": app_id,
                        "ttl": int((at + timedelta(days=DEVICE_TTL_DAYS)).timestamp()),
                    }
                )
        return len(marks)

    def write_all_marks(self) -> int:
        return sum(self.write_marks(key) for key in list(self.dirty))
