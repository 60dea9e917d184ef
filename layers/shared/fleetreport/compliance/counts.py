"""Status counts now: per tenant, how many consumers count under each status, for every consumer and
per Candlepin owner key — status_trend's open day in one read instead of a walk over the day's
changes (docs/data-model.md, "status counts now").

A consumer counts the way status_trend counts it at an instant after everything stored: not deleted,
under the status (and owner key) of its snapshot with the greatest sort key. That counted state sits
on the consumer item (`cnt_sk`, `cnt_status`, `cnt_owner`, `cnt_deleted`), written by the events
path in the same UpdateItem as the consumer's latest status (compliance/store.py): one write, no
transaction, no counts item on the event path (SPEC §9, W2; ADR 25).

The counts items (every consumer's, and each Candlepin owner key's; `counts_key`; attributes
`s#{status}`) are kept by the ComplianceCounts function from ComplianceTable's stream
(compliance/stream_counts.py): each consumer item change moves the counts by the difference between
its new and old counted state, a batch's moves are summed per counts item and applied once. So the
counts equal a recount once the stream has delivered (its lag: about a second, docs/performance.md).

The counts answer an instant only if no stored instant lies after it. Events are rarely dated in the
future, so instead of tracking the latest instant on every write, an event dated after the wall clock
raises `future_until` on the tenant's counts item; readers use the counts for an instant at or after
both the wall clock and `future_until` (`status_counts_at`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from fleetreport import clock
from fleetreport.compliance import keys
from fleetreport.compliance.timefmt import to_storage
from fleetreport.storage.pages import batch_get

COUNTS_SK = "COUNTS"
STATUS_PREFIX = "s#"
MAX_ATTEMPTS = 8
COUNTED_ATTRIBUTES = ("cnt_sk", "cnt_status", "cnt_owner", "cnt_deleted")


def counts_key(tenant: str, owner_key: str | None = None) -> dict[str, str]:
    """The counts of every consumer (`owner_key` None) or of one Candlepin owner key, each under a
    partition key of its own (`T#{tenant}#COUNTS`, `…#{owner_key}`), written once per stream batch
    that moves them. The tenant's item holds `future_until`."""
    pk = f"{keys.tenant_pk(tenant)}#{COUNTS_SK}"
    if owner_key is not None:
        pk = f"{pk}#{owner_key}"
    return {"pk": pk, "sk": COUNTS_SK}


@dataclass(frozen=True)
class Counted:
    """How one consumer counts now."""

    sort_key: str = ""  # of the snapshot it counts under ("" = none yet)
    status: str = ""
    owner_key: str = ""
    deleted: bool = False

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> Counted:
        item = item or {}
        return cls(
            sort_key=str(item.get("cnt_sk", "")),
            status=str(item.get("cnt_status", "")),
            owner_key=str(item.get("cnt_owner", "")),
            deleted=bool(item.get("cnt_deleted", False)),
        )

    def counted_in(self) -> list[tuple[str | None, str]]:
        """(partition, attribute) pairs this consumer adds one to: every consumer's, its owner's."""
        if self.deleted or not self.sort_key:
            return []
        attribute = f"{STATUS_PREFIX}{self.status}"
        return [(None, attribute)] + ([(self.owner_key, attribute)] if self.owner_key else [])

    def with_snapshot(self, sort_key: str, status: str, owner_key: str | None) -> Counted:
        """After a snapshot: counted under it unless it counts under a greater sort key already."""
        if sort_key <= self.sort_key:
            return self  # an older snapshot arriving late changes nothing now
        return Counted(sort_key, status.lower(), owner_key or "", self.deleted)

    def with_deletion(self) -> Counted:
        return Counted(self.sort_key, self.status, self.owner_key, True)

    def attributes(self) -> dict[str, Any]:
        """The consumer item's `cnt_*` attributes for this state."""
        return {
            "cnt_sk": self.sort_key,
            "cnt_status": self.status,
            "cnt_owner": self.owner_key,
            "cnt_deleted": self.deleted,
        }


def counted_snapshot(sort_key: str, status: str, owner_key: str | None) -> dict[str, Any]:
    """The `cnt_*` attributes a snapshot sets (the deletion flag is left as it is)."""
    return {"cnt_sk": sort_key, "cnt_status": status.lower(), "cnt_owner": owner_key or ""}


def moves(old: dict[str, Any] | None, new: dict[str, Any] | None) -> Counter[tuple[str | None, str]]:
    """How one consumer item change moves the counts: its new counted state's ones minus its old's."""
    delta: Counter[tuple[str | None, str]] = Counter(Counted.from_item(new).counted_in())
    delta.subtract(Counted.from_item(old).counted_in())
    return Counter({place: n for place, n in delta.items() if n})


def note_future(table: Any, tenant: str, instant: str) -> None:
    """An event dated after the wall clock: the counts must not answer before that instant."""
    if instant <= to_storage(clock.now()):
        return
    try:
        table.update_item(
            Key=counts_key(tenant),
            UpdateExpression="SET future_until = :instant",
            ConditionExpression="attribute_not_exists(future_until) OR future_until < :instant",
            ExpressionAttributeValues={":instant": instant},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def status_counts_at(table: Any, tenant: str, owner_key: str | None, instant: str) -> dict[str, int] | None:
    """The partition's `{status: n}` at `instant`, or None when the counts cannot say (nothing counted
    in the tenant yet, an instant before the wall clock, or something stored dated after it). One
    strongly consistent read (two with an owner key, in one BatchGetItem)."""
    if instant < to_storage(clock.now()):
        return None
    wanted = [counts_key(tenant)] + ([counts_key(tenant, owner_key)] if owner_key is not None else [])
    items = _get_all(table, wanted)
    tenant_item = items.get(wanted[0]["pk"])
    if tenant_item is None or not any(name.startswith(STATUS_PREFIX) for name in tenant_item):
        return None  # nothing counted in this tenant yet
    if str(tenant_item.get("future_until", "")) > instant:
        return None
    found: Counter[str] = Counter()
    for name, value in (items.get(wanted[-1]["pk"]) or {}).items():
        if name.startswith(STATUS_PREFIX):
            found[name[len(STATUS_PREFIX) :]] += int(value)
    return {status: n for status, n in sorted(found.items()) if n > 0}


def _get_all(table: Any, wanted: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
    """Strongly consistent read of `wanted`, by partition key."""
    if len(wanted) == 1:
        item = table.get_item(Key=wanted[0], ConsistentRead=True).get("Item")
        return {str(item["pk"]): item} if item else {}
    items = batch_get(table.meta.client, table.name, wanted, consistent=True, attempts=MAX_ATTEMPTS)
    return {str(item["pk"]): item for item in items}
