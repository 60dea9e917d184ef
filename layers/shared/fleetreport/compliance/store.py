"""Writes of ComplianceTable: consumer state, snapshots, the per-day change log and the tenants registry.

Every write is safe to repeat (redelivered events, retries after a crash): keys are derived from the
event, the consumer's latest status only moves forward (conditional on `status_date`), and the
snapshot item is written last and conditionally, so "already there" means "already fully stored".

How the consumer counts now (`cnt_*`, compliance/counts.py) is written in the same UpdateItem as its
latest status; the counts items follow from the table's stream (compliance/stream_counts.py), so a
status change is three single-item writes (consumer, change log, snapshot) and no transaction.
"""

from __future__ import annotations

import weakref
from typing import Any, Literal

from botocore.exceptions import ClientError

from fleetreport import clock
from fleetreport.compliance import keys
from fleetreport.compliance.consumer import ConsumerInfo
from fleetreport.compliance.counts import counted_snapshot, note_future
from fleetreport.compliance.records import storable
from fleetreport.compliance.snapshot import Snapshot
from fleetreport.rollup.days import utc_day
from fleetreport.rollup.runs import mark_dirty
from fleetreport.storage.aws import is_conditional_failure

Outcome = Literal["stored", "duplicate"]
ChangeKind = Literal["created", "deleted", "snapshot"]
# Tenants this container registered, per DynamoDB client (a fresh store comes with a fresh client).
_REGISTERED: weakref.WeakKeyDictionary[Any, set[tuple[str, str]]] = weakref.WeakKeyDictionary()


class ComplianceWriter:
    """Writes for one tenant (the JWT `owner` of the poster, or the queue's tenant)."""

    def __init__(self, table: Any, tenant: str, rollups: Any = None) -> None:
        """`rollups`: the RollupsTable, to mark a day dirty when a change lands on a closed UTC day
        (a late event) so the next rollup run re-rolls it; None where no rollup can have run yet
        (seeding a fresh store)."""
        self.table = table
        self.tenant = tenant
        self.rollups = rollups

    def register_tenant(self) -> None:
        """Put the TENANTS item (idempotent) so the rollup can find every tenant without a Scan; once
        per container and tenant, so a burst of messages in one tenant does not make it a hot item."""
        registered = _REGISTERED.setdefault(self.table.meta.client, set())
        if (self.table.name, self.tenant) in registered:
            return
        self.table.put_item(Item={"pk": keys.TENANTS_PK, "sk": self.tenant})
        registered.add((self.table.name, self.tenant))

    def consumer_created(self, consumer: ConsumerInfo, created: str) -> Outcome:
        """CONSUMER CREATED: like Gutterball's ConsumerHandler, it creates the consumer's state only
        when none exists — a second CREATED, or one arriving after a snapshot made the state, keeps
        the existing `created` (fields still missing are filled in). The change is logged only when
        this event's `created` is the one stored (a retry of it included), so an ignored CREATED
        marks no day for a re-roll."""
        update = _Update()
        update.set("uuid", consumer.uuid)
        update.set_if_missing("created", created)
        _fill_identity(update, self.tenant, consumer, only_if_missing=True)
        stored = self._update_consumer(consumer.uuid, update, returns="UPDATED_NEW")
        if stored.get("created") != created:
            return "stored"
        self._log_change(created, consumer.uuid, "created", consumer.owner_key)
        note_future(self.table, self.tenant, created)
        return "stored"

    def consumer_deleted(self, consumer: ConsumerInfo, deleted: str) -> Outcome:
        update = _Update()
        update.set("uuid", consumer.uuid)
        update.set("deleted", deleted)
        update.set("cnt_deleted", True)  # counted no more (the stream moves the counts)
        _fill_identity(update, self.tenant, consumer, only_if_missing=True)
        self._update_consumer(consumer.uuid, update)
        self._log_change(deleted, consumer.uuid, "deleted", consumer.owner_key)
        note_future(self.table, self.tenant, deleted)
        return "stored"

    def snapshot(self, event_id: str, consumer: ConsumerInfo, snapshot: Snapshot) -> Outcome:
        """COMPLIANCE CREATED: advance the consumer's latest status and how it counts (if this one is
        not older), log the change, then store the snapshot itself; an existing snapshot item means a
        redelivery."""
        self.advance_latest_status(consumer, snapshot, keys.snapshot_sk(snapshot.status_date, event_id))
        self._put_change(snapshot.status_date, self.snapshot_change_item(consumer.uuid, snapshot))
        if consumer.created:
            note_future(self.table, self.tenant, consumer.created)
        note_future(self.table, self.tenant, snapshot.status_date)
        try:
            self.table.put_item(
                Item=self.snapshot_item(event_id, consumer.uuid, snapshot),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return "duplicate"
            raise
        return "stored"

    def snapshot_item(self, event_id: str, uuid: str, snapshot: Snapshot) -> dict[str, Any]:
        item = {
            "pk": keys.snapshot_pk(self.tenant, uuid),
            "sk": keys.snapshot_sk(snapshot.status_date, event_id),
            **_status_attributes(snapshot),
        }
        if snapshot.owner_key:
            item["owner_key"] = snapshot.owner_key
        if snapshot.last_checkin:
            item["last_checkin"] = snapshot.last_checkin
        return item

    def snapshot_change_item(self, uuid: str, snapshot: Snapshot) -> dict[str, Any]:
        return self._change_item(snapshot.status_date, uuid, "snapshot", snapshot.owner_key, snapshot.status)

    def advance_latest_status(self, consumer: ConsumerInfo, snapshot: Snapshot, sort_key: str) -> None:
        """Copy the snapshot onto the consumer item (creating it when missing), unless the consumer
        already has a newer status; in the same write, count the consumer under it unless it already
        counts under a snapshot with a greater sort key. The rare write that may not count it (a
        redelivery, a tie of instants) is tried again without the `cnt_*` attributes."""
        counted = self._latest_status_update(consumer, snapshot)
        for name, value in counted_snapshot(sort_key, snapshot.status, snapshot.owner_key).items():
            counted.set(name, value)
        counted.names["#cnt_sk"] = "cnt_sk"
        counted.values[":sort_key"] = sort_key
        if self._advance(consumer.uuid, counted, "(attribute_not_exists(#cnt_sk) OR #cnt_sk < :sort_key)"):
            return
        self._advance(consumer.uuid, self._latest_status_update(consumer, snapshot))

    def _advance(self, uuid: str, update: _Update, counted_condition: str | None = None) -> bool:
        """Apply a latest-status update unless the consumer has a newer status (or, with
        `counted_condition`, unless that fails too); whether it was applied."""
        condition = "(attribute_not_exists(#status_date) OR #status_date <= :condition_date)"
        if counted_condition:
            condition = f"{condition} AND {counted_condition}"
        try:
            self._update_consumer(uuid, update, condition)
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            return False  # an older snapshot arriving late, or one already counted
        return True

    def _latest_status_update(self, consumer: ConsumerInfo, snapshot: Snapshot) -> _Update:
        newer = _Update()
        newer.set("uuid", consumer.uuid)
        newer.set_if_missing("created", consumer.created or snapshot.status_date)
        for name, value in _status_attributes(snapshot).items():
            newer.set(name, value)
        for name in ("product_names", "skus", "subscription_names"):
            if not getattr(snapshot, name):
                newer.remove(name)
        if snapshot.last_checkin:
            newer.set("last_checkin", snapshot.last_checkin)
        _fill_identity(newer, self.tenant, consumer, only_if_missing=False)
        newer.names["#status_date"] = "status_date"
        newer.values[":condition_date"] = snapshot.status_date
        return newer

    def _update_consumer(
        self,
        uuid: str,
        update: _Update,
        condition: str | None = None,
        returns: str | None = None,
    ) -> dict[str, Any]:
        """Apply `update`; with `returns` (an UpdateItem ReturnValues), the attributes it answers."""
        request: dict[str, Any] = {
            "Key": keys.consumer_key(self.tenant, uuid),
            "UpdateExpression": update.expression(),
            "ExpressionAttributeNames": update.names,
            "ExpressionAttributeValues": update.values,
        }
        if condition:
            request["ConditionExpression"] = condition
        if returns:
            request["ReturnValues"] = returns
        answer: dict[str, Any] = self.table.update_item(**request).get("Attributes") or {}
        return answer

    def _log_change(self, instant: str, uuid: str, kind: ChangeKind, owner_key: str | None) -> None:
        self._put_change(instant, self._change_item(instant, uuid, kind, owner_key))

    def _put_change(self, instant: str, item: dict[str, Any]) -> None:
        """Log the change, then mark its day dirty if that day is closed. In this order, a crash in
        between leaves the change logged and the event retried, which marks it then; a mark is
        never lost, at worst repeated."""
        self.table.put_item(Item=item)
        day = instant[:10]
        if self.rollups is not None and day < utc_day(clock.now()):
            mark_dirty(self.rollups, self.tenant, day)

    def _change_item(
        self, instant: str, uuid: str, kind: ChangeKind, owner_key: str | None, status: str | None = None
    ) -> dict[str, Any]:
        """One item per change, partitioned by the UTC day of its instant: what the rollup reads."""
        item: dict[str, Any] = {
            "pk": keys.change_log_pk(self.tenant, instant[:10], keys.log_shard_of(uuid)),
            "sk": keys.change_log_sk(instant, uuid, kind),
            "uuid": uuid,
            "kind": kind,
        }
        if owner_key:
            item["owner_key"] = owner_key
        if status is not None:
            item["status"] = status
        return item


def _status_attributes(snapshot: Snapshot) -> dict[str, Any]:
    """The attributes a snapshot item and the consumer's latest status share (empty sets omitted)."""
    attributes: dict[str, Any] = {
        "status": snapshot.status,
        "status_date": snapshot.status_date,
        "reasons": storable(snapshot.reasons),
        "management_enabled": snapshot.management_enabled,
        "doc": snapshot.doc,
    }
    for name in ("product_names", "skus", "subscription_names"):
        values = getattr(snapshot, name)
        if values:
            attributes[name] = set(values)
    return attributes


def _fill_identity(update: _Update, tenant: str, consumer: ConsumerInfo, *, only_if_missing: bool) -> None:
    assign = update.set_if_missing if only_if_missing else update.set
    if consumer.name is not None:
        assign("name", consumer.name)
    if consumer.owner_key:
        assign("owner_key", consumer.owner_key)
        assign("owner_scope", keys.owner_scope(tenant, consumer.owner_key))
    if consumer.owner_display is not None:
        assign("owner_display", consumer.owner_display)
    if consumer.facts is not None:
        assign("facts", storable(consumer.facts))
    if consumer.last_checkin and only_if_missing:
        assign("last_checkin", consumer.last_checkin)


class _Update:
    """Builds an UpdateExpression with placeholder names, so attribute names never need escaping."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.removes: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def _placeholders(self, name: str) -> tuple[str, str]:
        index = len(self.sets) + len(self.removes)
        self.names[f"#a{index}"] = name
        return f"#a{index}", f":v{index}"

    def set(self, name: str, value: Any) -> None:
        attr, val = self._placeholders(name)
        self.sets.append(f"{attr} = {val}")
        self.values[val] = value

    def set_if_missing(self, name: str, value: Any) -> None:
        attr, val = self._placeholders(name)
        self.sets.append(f"{attr} = if_not_exists({attr}, {val})")
        self.values[val] = value

    def remove(self, name: str) -> None:
        attr, _ = self._placeholders(name)
        self.removes.append(attr)

    def expression(self) -> str:
        parts = [f"SET {', '.join(self.sets)}"]
        if self.removes:
            parts.append(f"REMOVE {', '.join(self.removes)}")
        return " ".join(parts)
