"""moto as strict as DynamoDB: a botocore hook that refuses every request DynamoDB would refuse for
its limits (moto checks none of them), raising the ValidationException DynamoDB raises.

Registered for every botocore session of the test run (conftest.py), so a write or a key condition
that only moto accepts fails the test that makes it, loudly, instead of a 500 on AWS. It reads the
wire request (`before-call`: typed attribute values, the form DynamoDB checks) and learns each
table's and index's key attributes from the CreateTable calls the stack makes. The limits are the
code's own (fleetreport.storage.limits): the same numbers, checked a second, independent way.
Cheap: one JSON parse of the request body and one walk of its values.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import botocore.handlers
from botocore.exceptions import ClientError
from fleetreport.storage import limits

EVENT = "before-call.dynamodb"
# table name → {attribute: is a sort key} for the table's and every index's key attributes
_KEYS: dict[str, dict[str, bool]] = {}
_SET_TARGET = re.compile(r"([#\w.\[\]]+)\s*=\s*(?:if_not_exists\s*\(\s*[#\w.]+\s*,\s*)?(:\w+)")
_PLACEHOLDER = re.compile(r":\w+")


class Refused(Exception):
    """A value beyond a limit; the hook turns it into DynamoDB's ValidationException."""


def install() -> None:
    """Check every DynamoDB request of every session created from now on (idempotent)."""
    if (EVENT, check_request) not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append((EVENT, check_request))


def check_request(model: Any, params: dict[str, Any], **_: Any) -> None:
    body = params.get("body")
    if not body:
        return
    request = json.loads(body)
    try:
        _CHECKS.get(model.name, _no_check)(request)
    except Refused as refused:
        message = f"One or more parameter values were invalid: {refused}"
        raise ClientError(
            {"Error": {"Code": "ValidationException", "Message": message}}, model.name
        ) from None


def _no_check(request: dict[str, Any]) -> None:
    return None


def _create_table(request: dict[str, Any]) -> None:
    keys: dict[str, bool] = {}
    schemas = [request.get("KeySchema", [])]
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        schemas += [index.get("KeySchema", []) for index in request.get(kind, [])]
    for schema in schemas:
        for element in schema:
            keys[element["AttributeName"]] = (
                keys.get(element["AttributeName"], False) or element["KeyType"] == "RANGE"
            )
    _KEYS[request["TableName"]] = keys


def _item(table: str, item: dict[str, Any]) -> None:
    """A whole item written: every attribute, its key attributes, its size."""
    size = 0
    for name, value in item.items():
        size += len(name.encode("utf-8")) + _value(value)
    _key_attributes(table, item)
    if size > limits.MAX_ITEM_BYTES:
        raise Refused("Item size has exceeded the maximum allowed size")


def _key_attributes(table: str, attributes: dict[str, Any]) -> None:
    for name, is_sort in _KEYS.get(table, {}).items():
        if name in attributes:
            _key_value(attributes[name], is_sort, name)


def _key_value(value: dict[str, Any], is_sort: bool, name: str) -> None:
    ((kind, raw),) = value.items()
    if kind == "S":
        try:
            size = len(raw.encode("utf-8"))
        except UnicodeEncodeError:  # DynamoDB takes UTF-8 text: a lone surrogate is not
            raise Refused(f"One or more parameter values were invalid: {name} is not valid UTF-8") from None
    elif kind == "B":
        size = len(base64.b64decode(raw))
    else:
        return
    if size == 0:
        raise Refused(f"The AttributeValue for a key attribute cannot contain an empty {kind} value: {name}")
    limit = limits.MAX_SORT_KEY_BYTES if is_sort else limits.MAX_PARTITION_KEY_BYTES
    if size > limit:
        what = "range" if is_sort else "hash"
        raise Refused(f"Size of {what}key has exceeded the maximum size limit of {limit} bytes: {name}")


def _value(value: dict[str, Any]) -> int:
    """Check one wire attribute value (depth, numbers, sets); its size in bytes as DynamoDB counts."""
    size = 0
    pending: list[tuple[dict[str, Any], int]] = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if depth > limits.MAX_DEPTH:
            raise Refused("Nesting Levels have exceeded supported limits")
        ((kind, raw),) = current.items()
        size += _scalar_size(kind, raw)
        if kind == "M":
            size += 3 + sum(1 + len(key.encode("utf-8")) for key in raw)
            pending.extend((child, depth + 1) for child in raw.values())
        elif kind == "L":
            size += 3 + len(raw)
            pending.extend((child, depth + 1) for child in raw)
    return size


def _scalar_size(kind: str, raw: Any) -> int:
    if kind in ("SS", "NS", "BS"):
        if not raw:
            raise Refused("An string set  may not be empty")
        return sum(_scalar_size(kind[0], member) for member in raw)
    if kind == "S":
        return len(raw.encode("utf-8"))
    if kind == "B":
        return len(raw) * 3 // 4
    if kind == "N":
        return _number_size(raw)
    return 1 if kind in ("BOOL", "NULL") else 0


def _number_size(text: str) -> int:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Refused(f"A value provided cannot be converted into a number: {text[:40]}") from None
    if not limits.number_fits(number):
        raise Refused("Number overflow or underflow: attempting to store a number out of range")
    return (limits.significant_digits(number) + 1) // 2 + 1


def _values(request: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = request.get("ExpressionAttributeValues") or {}
    for value in values.values():
        _value(value)
    return values


def _update_targets(table: str, request: dict[str, Any], values: dict[str, Any]) -> None:
    """An UpdateExpression's `SET name = :v` onto a key attribute of an index: a key value."""
    keys = _KEYS.get(table, {})
    names = request.get("ExpressionAttributeNames") or {}
    for target, placeholder in _SET_TARGET.findall(request.get("UpdateExpression", "")):
        name = names.get(target, target)
        if name in keys and placeholder in values:
            _key_value(values[placeholder], keys[name], name)


def _put(request: dict[str, Any]) -> None:
    _item(request["TableName"], request["Item"])
    _values(request)


def _keyed(request: dict[str, Any]) -> None:
    _key_attributes(request["TableName"], request["Key"])
    values = _values(request)
    if "UpdateExpression" in request:
        _update_targets(request["TableName"], request, values)
    for value in (request.get("AttributeUpdates") or {}).values():
        if "Value" in value:
            _value(value["Value"])


def _query(request: dict[str, Any]) -> None:
    """The key condition's first value is the partition key's, the others the sort key's (the order
    boto3's `Key(pk).eq(...) & Key(sk)...` and every hand-written condition here use)."""
    values = _values(request)
    condition = request.get("KeyConditionExpression", "")
    for index, placeholder in enumerate(_PLACEHOLDER.findall(condition)):
        if placeholder in values:
            _key_value(values[placeholder], index > 0, placeholder)
    if "ExclusiveStartKey" in request:
        _key_attributes(request["TableName"], request["ExclusiveStartKey"])


def _batch_write(request: dict[str, Any]) -> None:
    for table, writes in request.get("RequestItems", {}).items():
        for write in writes:
            if "PutRequest" in write:
                _item(table, write["PutRequest"]["Item"])
            if "DeleteRequest" in write:
                _key_attributes(table, write["DeleteRequest"]["Key"])


def _batch_get(request: dict[str, Any]) -> None:
    for table, read in request.get("RequestItems", {}).items():
        for key in read.get("Keys", []):
            _key_attributes(table, key)


def _transact_write(request: dict[str, Any]) -> None:
    for action in request.get("TransactItems", []):
        for kind, operation in action.items():
            if kind == "Put":
                _put(operation)
            elif kind in ("Update", "Delete", "ConditionCheck"):
                _keyed(operation)


def _transact_get(request: dict[str, Any]) -> None:
    for action in request.get("TransactItems", []):
        get = action.get("Get", {})
        _key_attributes(get.get("TableName", ""), get.get("Key", {}))


_CHECKS = {
    "CreateTable": _create_table,
    "PutItem": _put,
    "UpdateItem": _keyed,
    "DeleteItem": _keyed,
    "GetItem": _keyed,
    "Query": _query,
    "Scan": lambda request: _values(request) and None,
    "BatchWriteItem": _batch_write,
    "BatchGetItem": _batch_get,
    "TransactWriteItems": _transact_write,
    "TransactGetItems": _transact_get,
}


def learned_tables() -> Iterator[str]:
    """The tables whose key attributes the hook knows (a test that the hook saw the stack's)."""
    yield from _KEYS
