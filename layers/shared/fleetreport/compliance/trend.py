"""Per-day status counts computed from snapshots: the status_trend computation, reusable by rollups.

For each day, every consumer that exists that day (created by its end, not deleted by its end — so a
consumer deleted on day D is counted through D-1) counts once under the lower-cased status of its
latest *matching* snapshot at or before the end of that day (filters apply to the snapshots, as in
Gutterball). Snapshots dated on or after the consumer's deletion day are not data: they do not extend
an open-ended range (`after_deletion_day`). Days are whatever `day_of` says: the calendar day of an
instant in the report's zone for status_trend; UTC days for rollups.

Memory is bounded by the number of distinct days, never by consumers or snapshots: each consumer's
snapshots are streamed once, oldest first, and folded into per-day +1/-1 changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fleetreport.compliance.queries import ComplianceReader
from fleetreport.compliance.records import ConsumerRecord, SnapshotRecord
from fleetreport.compliance.timefmt import to_storage

DayOf = Callable[[str], date]  # stored instant → its day


@dataclass(frozen=True)
class SnapshotFilter:
    """Filters of status_trend; each set one must hold for a snapshot to count. A filter given several
    times matches any of its values (Gutterball's `IN`); an empty set does not filter."""

    consumer_uuids: frozenset[str] = frozenset()
    owner_keys: frozenset[str] = frozenset()
    product_names: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()
    subscription_names: frozenset[str] = frozenset()
    management_enabled: bool | None = None

    @property
    def filters_snapshots(self) -> bool:
        return self.management_enabled is not None or any(
            (self.owner_keys, self.product_names, self.skus, self.subscription_names)
        )

    def matches(self, snapshot: SnapshotRecord) -> bool:
        return (
            (not self.owner_keys or snapshot.owner_key in self.owner_keys)
            and (not self.product_names or not self.product_names.isdisjoint(snapshot.product_names))
            and (not self.skus or not self.skus.isdisjoint(snapshot.skus))
            and (
                not self.subscription_names
                or not self.subscription_names.isdisjoint(snapshot.subscription_names)
            )
            and (self.management_enabled is None or snapshot.management_enabled == self.management_enabled)
        )


@dataclass(frozen=True)
class ConsumerTimeline:
    """One consumer's life and its matching snapshots in date order (ascending)."""

    created: str | None
    deleted: str | None
    snapshots: Iterable[SnapshotRecord]


@dataclass
class DailyStatusCounts:
    """Sparse per-day changes of the counts, plus the first and last day that had a matching snapshot."""

    changes: dict[date, Counter[str]] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None

    def add(self, status: str, start: date, end: date | None) -> None:
        """A consumer counts under `status` on days [start, end) (end None: from then on)."""
        if end is not None and end <= start:
            return
        self.changes.setdefault(start, Counter())[status] += 1
        if end is not None:
            self.changes.setdefault(end, Counter())[status] -= 1

    def saw(self, day: date) -> None:
        self.first_day = day if self.first_day is None else min(self.first_day, day)
        self.last_day = day if self.last_day is None else max(self.last_day, day)

    def days(self, first: date, last: date) -> Iterator[tuple[date, dict[str, int]]]:
        """Every day of [first, last] with its non-zero counts (possibly `{}`)."""
        running: Counter[str] = Counter()
        pending = sorted(self.changes)
        index = 0
        day = first
        while day <= last:
            while index < len(pending) and pending[index] <= day:
                running.update(self.changes[pending[index]])
                index += 1
            yield day, {status: count for status, count in sorted(running.items()) if count > 0}
            day += timedelta(days=1)


def after_deletion_day(instant: str, deleted: str | None) -> bool:
    """A snapshot dated on or after its consumer's deletion day (a UTC day, as Gutterball compares the
    days in the server's zone) does not count: it never sets where an open-ended range starts or ends.
    (Counting itself already stops at the deletion.)"""
    return deleted is not None and instant[:10] >= deleted[:10]


def fold_timelines(timelines: Iterable[ConsumerTimeline], day_of: DayOf) -> DailyStatusCounts:
    """The pure part: timelines in, per-day count changes out (one pass, one timeline at a time)."""
    counts = DailyStatusCounts()
    for timeline in timelines:
        _fold_one(counts, timeline, day_of)
    return counts


def _fold_one(counts: DailyStatusCounts, timeline: ConsumerTimeline, day_of: DayOf) -> None:
    born = day_of(timeline.created) if timeline.created else None
    gone = day_of(timeline.deleted) if timeline.deleted else None
    current: tuple[date, str] | None = None

    def close(until: date | None) -> None:
        if current is None:
            return
        start = max(current[0], born) if born else current[0]
        end = until if gone is None else (gone if until is None else min(until, gone))
        counts.add(current[1], start, end)

    for snapshot in timeline.snapshots:
        day = day_of(snapshot.status_date)
        if not after_deletion_day(snapshot.status_date, timeline.deleted):
            counts.saw(day)
        if current is not None and current[0] != day:
            close(day)
        current = (day, snapshot.status.lower())  # several on one day: the later one wins
    close(None)


def compute_status_trend(
    reader: ComplianceReader,
    consumers: Iterable[ConsumerRecord],
    snapshot_filter: SnapshotFilter,
    day_of: DayOf,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DailyStatusCounts:
    """Counts from stored snapshots for `consumers`, streaming each consumer's snapshots in turn.

    `since`/`until` (instants: the start of the first day, the end of the last) bound what is read: a
    consumer's snapshots before `since` are skipped except the latest matching one, which carries its
    status into the range. The returned first/last days only reflect snapshots that were read.
    """
    return fold_timelines(
        (
            ConsumerTimeline(
                consumer.created,
                consumer.deleted,
                _matching_snapshots(reader, consumer, snapshot_filter, since, until),
            )
            for consumer in consumers
            if not snapshot_filter.consumer_uuids or consumer.uuid in snapshot_filter.consumer_uuids
        ),
        day_of,
    )


def _matching_snapshots(
    reader: ComplianceReader,
    consumer: ConsumerRecord,
    snapshot_filter: SnapshotFilter,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[SnapshotRecord]:
    uuid = consumer.uuid
    upper = to_storage(until) if until else None
    if since is not None:
        before = to_storage(since - timedelta(milliseconds=1))
        if consumer.deleted is not None:
            # The carried snapshot must count: none dated on or after the deletion day does.
            deletion_day = datetime.fromisoformat(consumer.deleted[:10]).replace(tzinfo=UTC)
            before = min(before, to_storage(deletion_day - timedelta(milliseconds=1)))
        carried: SnapshotRecord | None
        if snapshot_filter.filters_snapshots:
            earlier = reader.snapshots(uuid, until=before, newest_first=True, light=True)
            carried = next((s for s in earlier if snapshot_filter.matches(s)), None)
        else:
            carried = reader.latest_snapshot_at(uuid, before)  # one item read
        if carried is not None:
            yield carried
        stream: Iterable[SnapshotRecord] = reader.snapshots(
            uuid, since=to_storage(since), until=upper, light=True
        )
    else:
        stream = reader.snapshots(uuid, until=upper, light=True)
    yield from (snapshot for snapshot in stream if snapshot_filter.matches(snapshot))
