"""The one meter (SPEC §9): every DynamoDB call priced in capacity units, per partition key.

botocore hooks on a session (or client) price each call as DynamoDB bills it:
- **write**: ⌈max(old item, new item) / 1 KB⌉ WCU (at least 1), twice inside a transaction. The old
  item is read from moto's backend before the call and the new one after it (in-process: not a call,
  not billed). A refused conditional write is billed on the existing item (at least 1 WCU); a
  cancelled transaction bills every item it named (twice), and writes no index.
- **every GSI** of the table (key schema and projection read from template.yaml): when an entry's
  key changes, a delete of the old entry and a put of the new one; when only its projected attributes
  change, a put; each ⌈entry size / 1 KB⌉, attributed to the index's own partition key.
- **read**: ⌈size / 4 KB⌉ RCU, half when eventually consistent (an index is always). A Query/Scan page
  sums the sizes of the items it *read* (before its filter and projection: the page is read again,
  unhooked, without them) and then rounds; GetItem and BatchGetItem per item; TransactGetItems twice.
- **sizes** follow DynamoDB's rules: attribute name bytes + value bytes; a string its UTF-8 bytes, a
  number ~ 1 byte per two significant digits + 1, binary its bytes, a map/list 3 bytes + 1 per element.

Usage is summed per (table or `Table/Index`, partition key value) per second of a clock the caller
gives (the storm's simulated one; 0 otherwise), in total, and per operation kind (`window()`, `book()`).
The storm verdicts, the cost model and the bench rows all read this; nothing else prices capacity.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

KB = 1024
READ_UNIT = 4 * KB
SETTLED_AFTER_S = 120  # an invocation never lasts longer: seconds older than this are final
_BEFORE = "capacity.before"
_SECOND = "capacity.second"
_KEY_EQUALS = re.compile(r"([#\w.]+)\s*=\s*(:\w+)")
_PLACEHOLDER = re.compile(r"[#:]\w+")


# ---------------------------------------------------------------------- sizes (DynamoDB's rules)
def value_size(value: dict[str, Any]) -> int:
    """Bytes of one typed value (`{"S": ...}`, `{"N": "..."}`, `{"M": {...}}` ...)."""
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return number_size(raw)
    if kind == "B":
        return len(_binary(raw))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(item.encode()) for item in raw)
    if kind == "NS":
        return sum(number_size(item) for item in raw)
    if kind == "BS":
        return sum(len(_binary(item)) for item in raw)
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in raw)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(item) for name, item in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def number_size(text: str) -> int:
    """About 1 byte per two significant digits, plus 1 (leading and trailing zeros do not count)."""
    digits = format(abs(Decimal(text)), "f").replace(".", "").strip("0")
    return math.ceil(max(1, len(digits)) / 2) + 1


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of a typed item: each attribute's name bytes plus its value's bytes."""
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def _binary(raw: Any) -> bytes:
    if isinstance(raw, bytes | bytearray):
        return bytes(raw)
    import base64

    return base64.b64decode(raw)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


# ---------------------------------------------------------------------- schema (template.yaml)
@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TableSchema:
    logical_id: str
    hash_key: str
    range_key: str | None
    indexes: tuple[Index, ...] = ()

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in (self.hash_key, self.range_key) if name and name in item}

    def entry(self, index: Index, item: dict[str, Any] | None) -> dict[str, Any] | None:
        """The item's entry in `index` (None when the item lacks the index's key attributes: sparse)."""
        if not item or any(name and name not in item for name in (index.hash_key, index.range_key)):
            return None
        if index.projection == "ALL":
            return dict(item)
        keep = {self.hash_key, self.range_key, index.hash_key, index.range_key} | index.included
        return {name: value for name, value in item.items() if name in keep}


def schemas_of(template: Any) -> dict[str, TableSchema]:
    """Physical table name -> its keys and GSIs, from template.yaml (never a hand-kept list)."""
    schemas = {}
    for logical_id, resource in template.resources("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        keys = {key["KeyType"]: key["AttributeName"] for key in props["KeySchema"]}
        indexes = []
        for gsi in props.get("GlobalSecondaryIndexes", []):
            index_keys = {key["KeyType"]: key["AttributeName"] for key in gsi["KeySchema"]}
            projection = gsi.get("Projection", {})
            indexes.append(
                Index(
                    gsi["IndexName"],
                    index_keys["HASH"],
                    index_keys.get("RANGE"),
                    projection.get("ProjectionType", "KEYS_ONLY"),
                    frozenset(projection.get("NonKeyAttributes", [])),
                )
            )
        schema = TableSchema(logical_id, keys["HASH"], keys.get("RANGE"), tuple(indexes))
        schemas[template.physical_name(logical_id)] = schema
    return schemas


# ---------------------------------------------------------------------- usage
@dataclass
class Usage:
    """Capacity units and calls: in total, per target (`Table` or `Table/Index`) and per operation."""

    wcu: float = 0.0
    rcu: float = 0.0
    calls: int = 0
    target_wcu: dict[str, float] = field(default_factory=dict)
    target_rcu: dict[str, float] = field(default_factory=dict)
    operations: dict[str, int] = field(default_factory=dict)

    def add(self, other: Usage, sign: int = 1) -> None:
        self.wcu += sign * other.wcu
        self.rcu += sign * other.rcu
        self.calls += sign * other.calls
        for mine, theirs in (
            (self.target_wcu, other.target_wcu),
            (self.target_rcu, other.target_rcu),
            (self.operations, other.operations),
        ):
            for name, value in theirs.items():
                mine[name] = mine.get(name, 0) + sign * value  # type: ignore[index]

    def charge(self, target: str, wcu: float, rcu: float) -> None:
        self.wcu += wcu
        self.rcu += rcu
        if wcu:
            self.target_wcu[target] = self.target_wcu.get(target, 0.0) + wcu
        if rcu:
            self.target_rcu[target] = self.target_rcu.get(target, 0.0) + rcu

    def minus(self, other: Usage) -> Usage:
        difference = self.copy()
        difference.add(other, -1)
        return difference

    def copy(self) -> Usage:
        return Usage(
            self.wcu,
            self.rcu,
            self.calls,
            dict(self.target_wcu),
            dict(self.target_rcu),
            dict(self.operations),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "wcu": self.wcu,
            "rcu": self.rcu,
            "calls": self.calls,
            "target_wcu": dict(self.target_wcu),
            "target_rcu": dict(self.target_rcu),
            "operations": dict(self.operations),
        }


@dataclass
class Hottest:
    """The worst (partition key, second) seen for one unit."""

    units: float = 0.0
    key: str = ""
    second: int = -1


@dataclass
class Kind:
    """What one kind of operation (an accepted report, a compliance event ...) cost, summed."""

    count: int = 0
    usage: Usage = field(default_factory=Usage)

    def per_operation(self) -> dict[str, float]:
        n = max(1, self.count)
        return {"count": self.count, "wcu": self.usage.wcu / n, "rcu": self.usage.rcu / n,
                "calls": self.usage.calls / n}  # fmt: skip


class Meter:
    """Prices every DynamoDB call of the clients it is installed on; see the module docstring."""

    def __init__(self, schemas: dict[str, TableSchema], seconds: Callable[[], float] = lambda: 0.0) -> None:
        self.schemas = schemas
        self.seconds = seconds
        self.total = Usage()
        self.kinds: dict[str, Kind] = {}
        self.open_seconds: dict[int, tuple[dict[str, float], dict[str, float]]] = {}  # second -> by key
        self.hottest_wcu = Hottest()
        self.hottest_rcu = Hottest()
        self._shadow: Any = None

    @classmethod
    def for_template(cls, template: Any, seconds: Callable[[], float] = lambda: 0.0) -> Meter:
        return cls(schemas_of(template), seconds)

    # ------------------------------------------------------------------ hooks
    def install(self, events: Any) -> Callable[[], None]:
        """Register on a session's (or client's) events; the `before-call` hook goes first, so it sees
        the item as it was even when a later hook answers instead of the service. Returns the undo."""
        events.register_first("before-call.dynamodb", self._before)
        events.register_last("after-call.dynamodb", self._after)

        def undo() -> None:
            events.unregister("before-call.dynamodb", self._before)
            events.unregister("after-call.dynamodb", self._after)

        return undo

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        context[_SECOND] = int(self.seconds())
        named = _named_writes(self, model.name, body)
        context[_BEFORE] = (body, [(name, key, item, _backend_item(name, key)) for name, key, item in named])

    def _after(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if _BEFORE not in context:
            return
        body, olds = context.pop(_BEFORE)
        second = context.pop(_SECOND, int(self.seconds()))
        answer = _answer(http_response, parsed)
        usage = Usage(calls=1, operations={model.name: 1})
        charges: list[tuple[str, str, float, float]] = []  # (target, partition key, wcu, rcu)
        if model.name in ("GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"):
            charges = self._reads(model.name, body, answer)
        elif olds or model.name in ("TransactWriteItems", "BatchWriteItem"):
            charges = self._writes(model.name, olds, answer)
        for target, key, wcu, rcu in charges:
            usage.charge(target, wcu, rcu)
            self._at(second, f"{target}:{key}", wcu, rcu)
        self.total.add(usage)

    # ------------------------------------------------------------------ writes
    def _writes(
        self, operation: str, olds: list[tuple[str, dict[str, Any], Any, Any]], answer: dict[str, Any]
    ) -> list[tuple[str, str, float, float]]:
        failed = "__type" in answer or "Error" in answer
        times = 2 if operation == "TransactWriteItems" else 1
        charges = []
        for table_name, key, proposed, old in olds:
            schema = self.schemas.get(table_name)
            if schema is None:
                continue
            partition = _key_text(key.get(schema.hash_key))
            if failed:  # refused or cancelled: billed on what exists (and what was proposed), no index
                size = max(item_size(old), item_size(proposed))
                charges.append((schema.logical_id, partition, float(times * write_units(size)), 0.0))
                continue
            new = _backend_item(table_name, key)
            charges.append(
                (
                    schema.logical_id,
                    partition,
                    float(times * write_units(max(item_size(old), item_size(new)))),
                    0.0,
                )
            )
            charges += _index_writes(schema, old, new)
        return charges

    # ------------------------------------------------------------------ reads
    def _reads(
        self, operation: str, body: dict[str, Any], answer: dict[str, Any]
    ) -> list[tuple[str, str, float, float]]:
        if "__type" in answer or "Error" in answer:
            return []
        if operation == "GetItem":
            return [self._item_read(body["TableName"], body["Key"], bool(body.get("ConsistentRead")))]
        if operation == "TransactGetItems":
            charges = []
            for entry in body.get("TransactItems", []):
                get = entry["Get"]
                target, key, _, rcu = self._item_read(get["TableName"], get["Key"], True)
                charges.append((target, key, 0.0, 2 * rcu))
            return charges
        if operation == "BatchGetItem":
            return [
                self._item_read(name, key, bool(request.get("ConsistentRead")))
                for name, request in body.get("RequestItems", {}).items()
                for key in request.get("Keys", [])
            ]
        return [self._page_read(operation, body, answer)]

    def _item_read(
        self, table_name: str, key: dict[str, Any], consistent: bool
    ) -> tuple[str, str, float, float]:
        schema = self.schemas.get(table_name)
        target = schema.logical_id if schema else table_name
        partition = _key_text(key.get(schema.hash_key)) if schema else "?"
        return target, partition, 0.0, read_units(item_size(_backend_item(table_name, key)), consistent)

    def _page_read(
        self, operation: str, body: dict[str, Any], answer: dict[str, Any]
    ) -> tuple[str, str, float, float]:
        """A Query/Scan page: the sizes of every item it read (before filter and projection), rounded once."""
        schema = self.schemas.get(body.get("TableName", ""))
        index_name = body.get("IndexName")
        target = (schema.logical_id if schema else body.get("TableName", "?")) + (
            f"/{index_name}" if index_name else ""
        )
        items = answer.get("Items", [])
        if {"FilterExpression", "ProjectionExpression", "AttributesToGet"} & set(body) or body.get(
            "Select"
        ) == "COUNT":
            items = self._read_again(operation, body)
        consistent = bool(body.get("ConsistentRead")) and not index_name
        partition = self._queried_partition(schema, index_name, body) if operation == "Query" else "(scan)"
        return target, partition, 0.0, read_units(sum(item_size(item) for item in items), consistent)

    def _read_again(self, operation: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The same page without filter or projection, on an unhooked client: what the page read."""
        if self._shadow is None:
            import boto3

            self._shadow = boto3.session.Session().client("dynamodb")
        request = {
            k: v
            for k, v in body.items()
            if k not in ("FilterExpression", "ProjectionExpression", "AttributesToGet", "Select")
        }
        used = set(_PLACEHOLDER.findall(str(request.get("KeyConditionExpression", ""))))
        names = {n: v for n, v in request.pop("ExpressionAttributeNames", {}).items() if n in used}
        values = {n: v for n, v in request.pop("ExpressionAttributeValues", {}).items() if n in used}
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = values
        call = self._shadow.query if operation == "Query" else self._shadow.scan
        items: list[dict[str, Any]] = call(**request).get("Items", [])
        return items

    def _queried_partition(
        self, schema: TableSchema | None, index_name: str | None, body: dict[str, Any]
    ) -> str:
        if schema is None:
            return "?"
        index = next((i for i in schema.indexes if i.name == index_name), None)
        hash_key = index.hash_key if index else schema.hash_key
        names = body.get("ExpressionAttributeNames", {})
        for name, value in _KEY_EQUALS.findall(body.get("KeyConditionExpression", "")):
            if names.get(name, name) == hash_key:
                return _key_text(body.get("ExpressionAttributeValues", {}).get(value))
        return "?"

    # ------------------------------------------------------------------ per partition key per second
    def _at(self, second: int, key: str, wcu: float, rcu: float) -> None:
        writes, reads = self.open_seconds.setdefault(second, ({}, {}))
        if wcu:
            writes[key] = writes.get(key, 0.0) + wcu
        if rcu:
            reads[key] = reads.get(key, 0.0) + rcu

    def settle(self, before: float | None = None) -> None:
        """Fold the seconds that can no longer grow into the hottest figures (memory stays bounded)."""
        for second in [s for s in self.open_seconds if before is None or s < before - SETTLED_AFTER_S]:
            writes, reads = self.open_seconds.pop(second)
            for counter, hottest in ((writes, self.hottest_wcu), (reads, self.hottest_rcu)):
                if counter:
                    key, units = max(counter.items(), key=lambda entry: entry[1])
                    if units > hottest.units:
                        hottest.units, hottest.key, hottest.second = units, key, second

    def reset(self) -> None:
        """Forget every figure (a workload's measured part starts after its set-up)."""
        self.total = Usage()
        self.kinds = {}
        self.open_seconds = {}
        self.hottest_wcu = Hottest()
        self.hottest_rcu = Hottest()

    def hottest(self) -> dict[str, Any]:
        self.settle()
        return {
            "wcu": {
                "units": self.hottest_wcu.units,
                "key": self.hottest_wcu.key,
                "second": self.hottest_wcu.second,
            },
            "rcu": {
                "units": self.hottest_rcu.units,
                "key": self.hottest_rcu.key,
                "second": self.hottest_rcu.second,
            },
        }

    # ------------------------------------------------------------------ per operation
    @contextmanager
    def window(self) -> Iterator[Usage]:
        """Yields a Usage filled in, when the block ends, with what the block's calls cost."""
        before = self.total.copy()
        usage = Usage()
        try:
            yield usage
        finally:
            usage.add(self.total.minus(before))

    def book(self, kind: str, usage: Usage, count: int = 1) -> None:
        """Attribute `usage` to `count` operations of `kind` (e.g. "accepted report")."""
        entry = self.kinds.setdefault(kind, Kind())
        entry.count += count
        entry.usage.add(usage)

    def per_kind(self) -> dict[str, dict[str, float]]:
        return {kind: entry.per_operation() for kind, entry in self.kinds.items()}


def _index_writes(
    schema: TableSchema, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> list[tuple[str, str, float, float]]:
    charges = []
    for index in schema.indexes:
        target = f"{schema.logical_id}/{index.name}"
        before, after = schema.entry(index, old), schema.entry(index, new)
        if before == after:
            continue
        keys = [name for name in (index.hash_key, index.range_key, schema.hash_key, schema.range_key) if name]
        moved = before is None or after is None or any(before.get(k) != after.get(k) for k in keys)
        if before is not None and moved:
            charges.append(
                (target, _key_text(before[index.hash_key]), float(write_units(item_size(before))), 0.0)
            )
        if after is not None:
            charges.append(
                (target, _key_text(after[index.hash_key]), float(write_units(item_size(after))), 0.0)
            )
    return charges


def _named_writes(
    meter: Meter, operation: str, body: dict[str, Any]
) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(table, key, proposed item or None) of every item a write call names (ConditionCheck included)."""
    found: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []

    def add(table_name: str, key: dict[str, Any] | None, item: dict[str, Any] | None) -> None:
        schema = meter.schemas.get(table_name)
        if schema is None:
            return
        found.append((table_name, key if key is not None else schema.key_of(item or {}), item))

    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        add(body["TableName"], body.get("Key"), body.get("Item"))
    elif operation == "TransactWriteItems":
        for entry in body.get("TransactItems", []):
            action = next(iter(entry.values()))
            add(action["TableName"], action.get("Key"), action.get("Item"))
    elif operation == "BatchWriteItem":
        for table_name, requests in body.get("RequestItems", {}).items():
            for request in requests:
                put = request.get("PutRequest")
                add(
                    table_name, None if put else request["DeleteRequest"]["Key"], put["Item"] if put else None
                )
    return found


def _answer(http_response: Any, parsed: dict[str, Any]) -> dict[str, Any]:
    """The answer in DynamoDB JSON: the raw body (boto3's resource layer may have converted `parsed`)."""
    content = getattr(http_response, "content", b"") or b""
    if content:
        try:
            answer: dict[str, Any] = json.loads(content)
            return answer
        except ValueError:
            pass
    return parsed


def _backend_item(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item as moto's backend holds it, in DynamoDB JSON (in-process: neither a call nor billed)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]
    try:
        item = backend.get_item(table_name, key)
    except Exception:  # a key of the wrong shape: the call itself will be refused
        return None
    return item.to_json()["Attributes"] if item is not None else None


def _key_text(value: dict[str, Any] | None) -> str:
    return str(next(iter(value.values()))) if value else "?"
