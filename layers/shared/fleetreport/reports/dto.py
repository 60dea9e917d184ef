"""Result shapes of the snapshot reports: Gutterball's minimized DTOs and the full stored document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fleetreport.compliance.records import ConsumerRecord, SnapshotRecord
from fleetreport.compliance.snapshot import decompress_doc
from fleetreport.compliance.timefmt import to_gutterball


@dataclass(frozen=True)
class SnapshotRow:
    """One snapshot of one consumer; `consumer` is None when a report did not need to read it."""

    snapshot: SnapshotRecord
    consumer: ConsumerRecord | None = None

    @property
    def owner_key(self) -> str | None:
        return self.snapshot.owner_key or (self.consumer.owner_key if self.consumer else None)

    @property
    def last_checkin(self) -> str | None:
        return self.snapshot.last_checkin or (self.consumer.last_checkin if self.consumer else None)


def latest_status_of(consumer: ConsumerRecord) -> SnapshotRecord:
    """The consumer item's maintained latest status, viewed as the snapshot it was copied from."""
    return SnapshotRecord(
        uuid=consumer.uuid,
        sort_key="",
        status=consumer.status or "",
        status_date=consumer.status_date or "",
        reasons=consumer.reasons,
        management_enabled=consumer.management_enabled,
        product_names=consumer.product_names,
        skus=consumer.skus,
        subscription_names=consumer.subscription_names,
        owner_key=consumer.owner_key,
        last_checkin=consumer.last_checkin,
        doc=consumer.doc,
    )


def status_part(snapshot: SnapshotRecord, include_reasons: bool = True) -> dict[str, Any]:
    status: dict[str, Any] = {"status": snapshot.status, "date": to_gutterball(snapshot.status_date)}
    if include_reasons:
        status["reasons"] = snapshot.reasons
    status["managementEnabled"] = snapshot.management_enabled
    return status


def consumer_status_dto(row: SnapshotRow, include_reasons: bool) -> dict[str, Any]:
    consumer = row.consumer
    assert consumer is not None
    return {
        "status": status_part(row.snapshot, include_reasons),
        "consumer": {
            "uuid": consumer.uuid,
            "name": consumer.name,
            "lastCheckin": to_gutterball(row.last_checkin),
            "owner": {"key": row.owner_key, "displayName": consumer.owner_display},
            "facts": consumer.facts,
            "consumerState": {
                "created": to_gutterball(consumer.created),
                "deleted": to_gutterball(consumer.deleted),
            },
        },
    }


def consumer_trend_dto(row: SnapshotRow) -> dict[str, Any]:
    return {
        "status": status_part(row.snapshot),
        "consumer": {"uuid": row.snapshot.uuid, "lastCheckin": to_gutterball(row.last_checkin)},
    }


def full_document(row: SnapshotRow) -> dict[str, Any]:
    """The snapshot as stored (`{consumer, entitlements, status}`), with Gutterball's
    `consumer.consumerState` added from the consumer's state when it was read."""
    document: dict[str, Any] = decompress_doc(row.snapshot.doc) if row.snapshot.doc else {}
    consumer_part = document.get("consumer")
    if row.consumer is not None and isinstance(consumer_part, dict):
        consumer_part["consumerState"] = {
            "uuid": row.consumer.uuid,
            "owner": row.consumer.owner_key,
            "created": to_gutterball(row.consumer.created),
            "deleted": to_gutterball(row.consumer.deleted),
        }
    return document
