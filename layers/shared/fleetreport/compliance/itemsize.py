"""The DynamoDB item a compliance event writes largest (the consumer item), checked against
DynamoDB's limits (storage/limits.py) while the event is parsed.

A DynamoDB item holds at most 400 KB and 32 levels of nesting, and a write over either fails mid-way
through an event's writes (the consumer item is written first, its snapshot last). The snapshot
document is gzip-compressed, but the consumer item also keeps facts, name and reasons as they are:
megabytes of repetitive facts compress to a few kilobytes and would still overflow it. So the consumer
item is measured with DynamoDB's own rules before anything is stored, and an event over a limit is
refused as malformed (a 400 on `POST /events`; on the queue, a poison message, dead-lettered).
"""

from __future__ import annotations

from typing import Any

from fleetreport.compliance.consumer import ConsumerInfo
from fleetreport.compliance.fields import EventError, join
from fleetreport.compliance.records import storable
from fleetreport.compliance.snapshot import Snapshot
from fleetreport.storage import limits

# Keys and the attributes the writers keep next to an event's own (owner_scope, created, deleted,
# counted state): under 2 KB in practice; the rest of the reserve is margin.
RESERVED_BYTES = 16 * 1024
ITEM_BUDGET = limits.MAX_ITEM_BYTES - RESERVED_BYTES


def check_item_size(
    consumer: ConsumerInfo, snapshot: Snapshot | None, where: str, consumer_where: str
) -> None:
    """EventError naming the field DynamoDB would refuse: `{consumer_where}.facts: nested too deeply
    to store ...` for a facts value beyond a limit, `{where}: too large to store` for the item."""
    # Depth first, on the parsed values: converting them for storage recurses.
    if consumer.facts is not None and limits.nesting_depth(consumer.facts) > limits.MAX_DEPTH:
        raise EventError(join(consumer_where, "facts"), limits.TOO_DEEP)
    if snapshot is not None and limits.nesting_depth(snapshot.reasons) > limits.MAX_DEPTH:
        raise EventError(where, limits.TOO_DEEP)
    attributes = consumer_item(consumer, snapshot)
    for name, value in attributes.items():
        problem = limits.value_problem(value)
        if problem:
            raise EventError(join(consumer_where, name) if name == "facts" else where, problem)
    if limits.item_bytes(attributes) > ITEM_BUDGET:
        raise EventError(where, limits.TOO_LARGE)


def consumer_item(consumer: ConsumerInfo, snapshot: Snapshot | None) -> dict[str, Any]:
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
        "facts": storable(consumer.facts),
    }
    if snapshot is not None:
        attributes.update(
            status=snapshot.status,
            status_date=snapshot.status_date,
            reasons=storable(snapshot.reasons),
            management_enabled=snapshot.management_enabled,
            doc=snapshot.doc,
            product_names=snapshot.product_names or None,
            skus=snapshot.skus or None,
            subscription_names=snapshot.subscription_names or None,
            owner_key=snapshot.owner_key,
        )
    return {name: value for name, value in attributes.items() if value is not None}
