"""The size of the DynamoDB items a compliance event will write, bounded while the event is parsed.

A DynamoDB item holds at most 400 KB, and a write over it fails mid-way through an event's writes (the
consumer item is written first, its snapshot last). The snapshot document is gzip-compressed, but the
consumer item also keeps facts, name and reasons as they are: megabytes of repetitive facts compress to
a few kilobytes and would still overflow it. So the largest item an event writes, the consumer item, is
measured with DynamoDB's own size rules before anything is stored, and an event over the budget is
refused as malformed (a 400 on `POST /events`; on the queue, a poison message, dead-lettered).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fleetreport.compliance.fields import EventError

if TYPE_CHECKING:
    from fleetreport.compliance.events import ConsumerInfo
    from fleetreport.compliance.snapshot import Snapshot

MAX_ITEM_BYTES = 400 * 1024
# Keys and the attributes the writers keep next to an event's own (owner_scope, created, deleted,
# counted state): under 2 KB in practice; the rest of the reserve is margin.
RESERVED_BYTES = 16 * 1024
ITEM_BUDGET = MAX_ITEM_BYTES - RESERVED_BYTES
MAX_NUMBER_BYTES = 21  # DynamoDB stores a number in at most 21 bytes


def check_item_size(consumer: ConsumerInfo, snapshot: Snapshot | None, where: str) -> None:
    """EventError(`where`, "too large to store") when the consumer item would exceed the budget."""
    if consumer_item_bytes(consumer, snapshot) > ITEM_BUDGET:
        raise EventError(where, "too large to store")


def consumer_item_bytes(consumer: ConsumerInfo, snapshot: Snapshot | None) -> int:
    """The consumer item's attributes as ComplianceWriter stores them (identity, and the latest status
    with its compressed document when the event carries a snapshot)."""
    attributes: dict[str, Any] = {
        "uuid": consumer.uuid,
        "name": consumer.name,
        "owner_key": consumer.owner_key,
        "owner_scope": consumer.owner_key,  # `{tenant}#{owner_key}`; the tenant is in the reserve
        "owner_display": consumer.owner_display,
        "created": consumer.created,
        "last_checkin": consumer.last_checkin,
        "facts": consumer.facts,
    }
    if snapshot is not None:
        attributes.update(
            status=snapshot.status,
            status_date=snapshot.status_date,
            reasons=snapshot.reasons,
            management_enabled=snapshot.management_enabled,
            doc=snapshot.doc,
            product_names=snapshot.product_names,
            skus=snapshot.skus,
            subscription_names=snapshot.subscription_names,
            owner_key=snapshot.owner_key,
        )
    return sum(len(name) + attribute_bytes(value) for name, value in attributes.items() if value is not None)


def attribute_bytes(value: Any) -> int:
    """DynamoDB's size of one attribute value: strings and binaries by their bytes, numbers at most
    21, lists and maps 3 bytes plus 1 per element (plus map keys); walked without recursion, as
    parsed JSON may nest deeply."""
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, (bytes, bytearray)):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 1
        elif isinstance(item, (int, float, Decimal)):
            total += MAX_NUMBER_BYTES
        elif isinstance(item, dict):
            total += 3 + sum(1 + len(str(key).encode("utf-8", "surrogatepass")) for key in item)
            pending.extend(item.values())
        elif isinstance(item, (set, frozenset)):
            pending.extend(item)
        elif isinstance(item, (list, tuple)):
            total += 3 + len(item)
            pending.extend(item)
        else:
            total += len(str(item))
    return total
