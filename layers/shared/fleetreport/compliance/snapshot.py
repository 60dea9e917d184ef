"""A compliance snapshot: the attributes reports filter on, plus the full document (kept gzip-compressed).

Candlepin entitlements come in two shapes: Gutterball's flattened one (`productId`, `productName`,
`attributes`, `providedProducts` on the entitlement) and Candlepin's own (the same fields on
`entitlement.pool`, attributes as `[{"name", "value"}]`). Both are read:
- skus = `productId`; subscription names = `productName`;
- management enabled = any entitlement whose pool/product attribute `management_enabled` is truthy.
Product names come from the consumer, not the entitlements (Gutterball's ComplianceSnapshotCurator):
the names of the consumer's `installedProducts` whose `productId` the status lists as compliant,
partially compliant or non-compliant — "systems with X installed", entitled or not.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fleetreport.compliance.fields import (
    EventError,
    join,
    optional_instant,
    optional_list,
    optional_object,
    required_instant,
    required_object,
    required_string,
)

# A DynamoDB item holds 400 KB; the compressed document plus the filter attributes must fit.
MAX_COMPRESSED_DOC_BYTES = 300_000
TRUTHY = frozenset({"true", "1", "yes", "y", "on"})
ATTRIBUTE_KEYS = ("attributes", "productAttributes")
# Candlepin's ComplianceStatus: compliant/partially compliant are `{product id: [entitlements]}` maps,
# non-compliant a list of product ids (either shape is read for each).
STATUS_PRODUCT_KEYS = ("compliantProducts", "partiallyCompliantProducts", "nonCompliantProducts")


@dataclass(frozen=True)
class Snapshot:
    status: str
    status_date: str  # stored form, `...000Z`
    reasons: list[Any]
    management_enabled: bool
    product_names: frozenset[str]
    skus: frozenset[str]
    subscription_names: frozenset[str]
    owner_key: str | None
    last_checkin: str | None
    doc: bytes  # gzip of the full snapshot JSON {consumer, entitlements, status}


def snapshot_from_entity(entity: dict[str, Any], where: str) -> Snapshot:
    """Validate a COMPLIANCE entity `{consumer, entitlements, status}` and extract what reports need."""
    consumer = required_object(entity, "consumer", where)
    status = required_object(entity, "status", where)
    status_where = join(where, "status")
    status_value = required_string(status, "status", status_where)
    status_date = required_instant(status, "date", status_where)
    reasons = optional_list(status, "reasons", status_where)
    entitlements = optional_list(entity, "entitlements", where)
    for index, entitlement in enumerate(entitlements):
        if not isinstance(entitlement, dict):
            raise EventError(f"{join(where, 'entitlements')}[{index}]", "must be an object")
    owner = optional_object(consumer, "owner", join(where, "consumer")) or {}
    doc = compress_doc({"consumer": consumer, "entitlements": entitlements, "status": status})
    if len(doc) > MAX_COMPRESSED_DOC_BYTES:
        raise EventError(where, "too large")
    return Snapshot(
        status=status_value,
        status_date=status_date,
        reasons=reasons,
        management_enabled=any(_management_enabled(e) for e in entitlements),
        product_names=installed_product_names(consumer, status),
        skus=frozenset(_strings(entitlements, "productId")),
        subscription_names=frozenset(_strings(entitlements, "productName")),
        owner_key=owner.get("key") if isinstance(owner.get("key"), str) else None,
        last_checkin=optional_instant(consumer, "lastCheckin", join(where, "consumer")),
        doc=doc,
    )


def compress_doc(document: dict[str, Any]) -> bytes:
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return gzip.compress(raw, compresslevel=6, mtime=0)


def decompress_doc(blob: bytes) -> Any:
    return json.loads(gzip.decompress(blob))


def installed_product_names(consumer: dict[str, Any], status: dict[str, Any]) -> frozenset[str]:
    """Names of installed products whose id is in the status's compliant, partially compliant or
    non-compliant products (Gutterball's product_name query joins exactly these)."""
    in_status: set[str] = set()
    for key in STATUS_PRODUCT_KEYS:
        products = status.get(key)
        if isinstance(products, (dict, list)):  # a map's keys or a list's items are product ids
            in_status.update(product_id for product_id in products if isinstance(product_id, str))
    names: set[str] = set()
    installed = consumer.get("installedProducts")
    for product in installed if isinstance(installed, list) else ():
        if not isinstance(product, dict):
            continue
        product_id, name = product.get("productId"), product.get("productName")
        if isinstance(name, str) and name and product_id in in_status:
            names.add(name)
    return frozenset(names)


def _sources(entitlement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The entitlement itself and its pool (Candlepin's shape), whichever carry the fields."""
    yield entitlement
    pool = entitlement.get("pool")
    if isinstance(pool, dict):
        yield pool


def _strings(entitlements: Iterable[dict[str, Any]], key: str) -> Iterator[str]:
    for entitlement in entitlements:
        for source in _sources(entitlement):
            value = source.get(key)
            if isinstance(value, str) and value:
                yield value
                break


def _management_enabled(entitlement: dict[str, Any]) -> bool:
    for source in _sources(entitlement):
        for key in ATTRIBUTE_KEYS:
            if is_truthy(_attribute(source.get(key), "management_enabled")):
                return True
    return False


def _attribute(attributes: Any, name: str) -> Any:
    if isinstance(attributes, dict):
        return attributes.get(name)
    if isinstance(attributes, list):
        for attribute in attributes:
            if isinstance(attribute, dict) and attribute.get("name") == name:
                return attribute.get("value")
    return None


def is_truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in TRUTHY
