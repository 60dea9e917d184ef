"""Demo compliance data: two Candlepin owners, consumers with four months of snapshots.

Events are built as Candlepin would send them, parsed by the real parser and stored with the real
writer's items straight into the stack's moto tables (batched: hundreds of snapshots in a few seconds).
Event ids are deterministic, so seeding twice on the same day changes nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fleetreport.compliance.events import (
    ComplianceCreated,
    ComplianceEvent,
    ConsumerCreated,
    ConsumerDeleted,
    parse_event,
)
from fleetreport.compliance.ingest import store_event
from fleetreport.compliance.keys import snapshot_sk
from fleetreport.compliance.store import ComplianceWriter
from fleetreport.compliance.timefmt import to_storage

from fleetreport_local.seeding import SeedContext

HISTORY_DAYS = 120
OWNERS = {"acme_corporation": "ACME Corporation", "globex": "Globex Inc."}
ENTITLEMENTS = {
    "server": {
        "productId": "awesomeos-server",
        "productName": "Awesome OS Server (Standard Support)",
        "quantity": 1,
        "attributes": {"arch": "ALL", "type": "MKT"},
        "providedProducts": {"37060": "Awesome OS Server Bits"},
    },
    "managed": {
        "productId": "awesomeos-smart-mgmt",
        "productName": "Awesome OS Smart Management",
        "quantity": 1,
        "attributes": {"management_enabled": "1", "type": "MKT"},
        "providedProducts": {"37070": "Awesome OS Management Bits"},
    },
    "workstation": {
        "productId": "awesomeos-workstation",
        "productName": "Awesome OS Workstation",
        "quantity": 1,
        "attributes": {"arch": "x86_64"},
        "providedProducts": {"37080": "Awesome OS Workstation Bits"},
    },
}
REASON = {
    "key": "NOTCOVERED",
    "message": "Not supported by a valid subscription.",
    "attributes": {"product_id": "37060"},
}
STATUSES = ("valid", "valid", "valid", "partial", "invalid")


def seed(ctx: SeedContext) -> list[str]:
    resource: Any = ctx.session.resource("dynamodb", endpoint_url=ctx.aws_endpoint)
    writer = ComplianceWriter(resource.Table(ctx.template.physical_name("ComplianceTable")), ctx.tenant)
    events = [parse_event(raw) for raw in demo_events(datetime.now(UTC))]
    bulk_store(writer, events)
    return lines(ctx, len(events))


def bulk_store(writer: ComplianceWriter, events: list[ComplianceEvent]) -> None:
    """What storing each event would leave behind, in far fewer calls: snapshot and change-log items
    in 25-item batches, and each consumer's latest status applied once (with the writer's own rules)."""
    writer.register_tenant()
    latest: dict[str, ComplianceCreated] = {}
    snapshots = [event for event in events if isinstance(event, ComplianceCreated)]
    with writer.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for event in events:
            if isinstance(event, ComplianceCreated):
                uuid = event.consumer.uuid
                batch.put_item(Item=writer.snapshot_item(event.event_id, uuid, event.snapshot))
                batch.put_item(Item=writer.snapshot_change_item(uuid, event.snapshot))
                if uuid not in latest or latest[uuid].snapshot.status_date <= event.snapshot.status_date:
                    latest[uuid] = event
    for event in events:
        if isinstance(event, ConsumerCreated):
            store_event(writer, event)
    counted: dict[str, ComplianceCreated] = {}  # the snapshot with the greatest sort key counts now
    for event in sorted(snapshots, key=lambda event: snapshot_sk(event.snapshot.status_date, event.event_id)):
        counted[event.consumer.uuid] = event
    for uuid, newest in latest.items():
        # the latest status and how the consumer counts, each with the writer's own rules (the stream
        # then builds the counts items from the consumer items)
        for event in [newest] if counted[uuid] is newest else [newest, counted[uuid]]:
            sort_key = snapshot_sk(event.snapshot.status_date, event.event_id)
            writer.advance_latest_status(event.consumer, event.snapshot, sort_key)
    for event in events:
        if isinstance(event, ConsumerDeleted):
            store_event(writer, event)


def demo_events(now: datetime) -> list[dict[str, Any]]:
    """Candlepin envelopes for 18 consumers over HISTORY_DAYS days up to `now` (deterministic per day)."""
    rng = random.Random(20150209)
    start = datetime.combine((now - timedelta(days=HISTORY_DAYS)).date(), time(8), tzinfo=UTC)
    events: list[dict[str, Any]] = []
    for index in range(18):
        owner_key = "acme_corporation" if index < 12 else "globex"
        uuid = f"00000000-demo-4000-8000-{index:012d}"
        created = start + timedelta(days=rng.randrange(0, 30), hours=rng.randrange(0, 10))
        consumer = consumer_json(uuid, index, owner_key, created)
        events.append(envelope(f"{uuid}-created", "CONSUMER", "CREATED", created, consumer))
        kinds = entitlement_kinds(index)
        instant = created + timedelta(minutes=5)
        while instant < now:
            status = rng.choice(STATUSES)
            events.append(compliance_event(uuid, consumer, instant, status, kinds))
            instant += timedelta(days=rng.randrange(2, 12), hours=rng.randrange(0, 20))
        if index == 5:  # one consumer unregistered half-way through
            deleted = start + timedelta(days=HISTORY_DAYS // 2)
            events.append(envelope(f"{uuid}-deleted", "CONSUMER", "DELETED", deleted, {"uuid": uuid}))
    return [event for event in events if event["timestamp"] <= to_storage(now)]


def entitlement_kinds(index: int) -> list[str]:
    if index % 4 == 0:
        return ["server", "managed"]
    if index % 3 == 0:
        return ["workstation"]
    return ["server"]


def consumer_json(uuid: str, index: int, owner_key: str, created: datetime) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": f"{owner_key.split('_')[0]}-host-{index:02d}",
        "owner": {"key": owner_key, "displayName": OWNERS[owner_key]},
        "created": to_storage(created),
        "facts": {
            "cpu.cpu(s)": str(2 ** (index % 4 + 1)),
            "uname.machine": "x86_64",
            "virt.is_guest": str(index % 2 == 0).lower(),
        },
    }


def compliance_event(
    uuid: str, consumer: dict[str, Any], instant: datetime, status: str, kinds: list[str]
) -> dict[str, Any]:
    stamp = to_storage(instant)
    entitlements = [] if status == "invalid" else [ENTITLEMENTS[kind] for kind in kinds]
    # The products of its kinds stay installed whatever the status; the status lists each of them
    # (what product_name matches, as in Gutterball).
    installed: dict[str, str] = {}
    for kind in kinds:
        installed.update(ENTITLEMENTS[kind]["providedProducts"])  # type: ignore[call-overload]
    by_id: dict[str, list[Any]] = {pid: [] for pid in installed}
    entity = {
        "consumer": {
            **consumer,
            "lastCheckin": to_storage(instant - timedelta(minutes=2)),
            "installedProducts": [{"productId": pid, "productName": name} for pid, name in installed.items()],
        },
        "entitlements": entitlements,
        "status": {
            "status": status,
            "date": stamp,
            "reasons": [] if status == "valid" else [REASON],
            "compliantProducts": by_id if status == "valid" else {},
            "partiallyCompliantProducts": by_id if status == "partial" else {},
            "nonCompliantProducts": list(installed) if status == "invalid" else [],
        },
    }
    return envelope(f"{uuid}-{stamp}", "COMPLIANCE", "CREATED", instant, entity)


def envelope(
    event_id: str, target: str, kind: str, instant: datetime, entity: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "target": target,
        "timestamp": to_storage(instant),
        "entity": entity,
    }


def lines(ctx: SeedContext, total: int) -> list[str]:
    """Banner lines: what was stored, and the report to try first (the token is exported as $TOKEN)."""
    owners = " and ".join(OWNERS)
    return [
        f"Compliance: {total} Candlepin events of 18 consumers over {HISTORY_DAYS} days "
        f"(Candlepin owners {owners}):",
        '  curl -s -H "Authorization: Bearer $TOKEN" '
        f'"{ctx.api}/reports/status_trend/run?timezone=America/Chicago"',
    ]
