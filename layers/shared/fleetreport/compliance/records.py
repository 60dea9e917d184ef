"""Stored items read back as typed records (and plain-JSON values: DynamoDB numbers come back Decimal)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fleetreport.storage.limits import number_fits

# DynamoDB numbers carry 38 significant digits; larger integers are kept as their decimal string.
MAX_NUMBER = 10**38


@dataclass(frozen=True)
class ConsumerRecord:
    """A consumer item: state plus the maintained latest status (absent until its first snapshot)."""

    uuid: str
    name: str | None
    owner_key: str | None
    owner_display: str | None
    created: str | None
    deleted: str | None
    last_checkin: str | None
    facts: dict[str, Any]
    status: str | None
    status_date: str | None
    reasons: list[Any]
    management_enabled: bool
    product_names: frozenset[str]
    skus: frozenset[str]
    subscription_names: frozenset[str]
    doc: bytes | None

    def exists_at(self, instant: str) -> bool:
        """Created at or before `instant` (unknown creation counts as created) and not deleted by then."""
        return (self.created is None or self.created <= instant) and (
            self.deleted is None or self.deleted > instant
        )


@dataclass(frozen=True)
class SnapshotRecord:
    uuid: str
    sort_key: str
    status: str
    status_date: str
    reasons: list[Any]
    management_enabled: bool
    product_names: frozenset[str]
    skus: frozenset[str]
    subscription_names: frozenset[str]
    owner_key: str | None
    last_checkin: str | None
    doc: bytes | None


def consumer_from_item(item: dict[str, Any]) -> ConsumerRecord:
    return ConsumerRecord(
        uuid=item["uuid"],
        name=item.get("name"),
        owner_key=item.get("owner_key"),
        owner_display=item.get("owner_display"),
        created=item.get("created"),
        deleted=item.get("deleted"),
        last_checkin=item.get("last_checkin"),
        facts=plain(item.get("facts")) or {},
        status=item.get("status"),
        status_date=item.get("status_date"),
        reasons=plain(item.get("reasons")) or [],
        management_enabled=bool(item.get("management_enabled", False)),
        product_names=frozenset(item.get("product_names") or ()),
        skus=frozenset(item.get("skus") or ()),
        subscription_names=frozenset(item.get("subscription_names") or ()),
        doc=binary(item.get("doc")),
    )


def snapshot_from_item(uuid: str, item: dict[str, Any]) -> SnapshotRecord:
    return SnapshotRecord(
        uuid=uuid,
        sort_key=item["sk"],
        status=item.get("status", ""),
        status_date=item["sk"].split("#", 1)[0],
        reasons=plain(item.get("reasons")) or [],
        management_enabled=bool(item.get("management_enabled", False)),
        product_names=frozenset(item.get("product_names") or ()),
        skus=frozenset(item.get("skus") or ()),
        subscription_names=frozenset(item.get("subscription_names") or ()),
        owner_key=item.get("owner_key"),
        last_checkin=item.get("last_checkin"),
        doc=binary(item.get("doc")),
    )


def binary(value: Any) -> bytes | None:
    """boto3's resource layer wraps binary attributes in `Binary`; reports want the bytes."""
    if value is None:
        return None
    return bytes(value.value) if hasattr(value, "value") else bytes(value)


def plain(value: Any) -> Any:
    """DynamoDB values → JSON values (Decimal → int or float, sets → sorted lists)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(item) for item in value)
    return value


def storable(value: Any) -> Any:
    """JSON values → DynamoDB values (floats become Decimal; the resource layer refuses floats). A
    number DynamoDB cannot hold (1e300, 1e-200, NaN) is kept as its text, as huge integers are."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) and number_fits(value) else str(value)
    if isinstance(value, int) and abs(value) >= MAX_NUMBER:
        return str(value)
    if isinstance(value, dict):
        return {str(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
