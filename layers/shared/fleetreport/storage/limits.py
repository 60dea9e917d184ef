"""DynamoDB's documented limits on what it stores, checked before a write (moto enforces none of them).

DynamoDB refuses a whole request (a ValidationException: a 500 here, a poison message on a queue)
when one value breaks a limit; the writers check their values here first, so what comes from outside
is refused as the caller's mistake (400, or a dead-lettered message) and never reaches the table.
The same numbers drive the tests' strict-DynamoDB hook (tests/dynamodb_limits.py), so the two agree.
Limits: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_ITEM_BYTES = 400 * 1024  # an item: attribute names + values
MAX_DEPTH = 32  # levels of nested lists/maps, a scalar at the top counting as one
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
MAX_NUMBER_DIGITS = 38  # significant digits
MAX_NUMBER_BYTES = 21  # a stored number's size at most
LARGEST_NUMBER = Decimal("9.9999999999999999999999999999999999999E+125")
SMALLEST_NUMBER = Decimal("1E-130")  # the smallest magnitude other than zero

TOO_DEEP = f"nested too deeply to store (at most {MAX_DEPTH} levels)"
TOO_LARGE = "too large to store"
NUMBER_OUT_OF_RANGE = "number out of range to store"
EMPTY_SET = "empty set cannot be stored"


def number_fits(number: int | float | Decimal) -> bool:
    """True when DynamoDB stores `number` exactly: ≤ 38 significant digits, a magnitude in range."""
    try:
        value = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    except (InvalidOperation, ValueError):
        return False
    if not value.is_finite():
        return False
    if value.is_zero():
        return True
    return (
        significant_digits(value) <= MAX_NUMBER_DIGITS
        and SMALLEST_NUMBER <= value.copy_abs() <= LARGEST_NUMBER
    )


def significant_digits(value: Decimal) -> int:
    """Digits without leading and trailing zeros (exactly: `normalize` would round to 28 digits)."""
    return len("".join(map(str, value.as_tuple().digits)).strip("0"))


def nesting_depth(value: Any) -> int:
    """Levels of `value` as DynamoDB counts them (a scalar: 1, a map of scalars: 2), without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(item, Mapping):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend((child, depth + 1) for child in item)
    return deepest


def value_problem(value: Any) -> str | None:
    """Why DynamoDB would refuse `value` as one attribute (depth, a number, an empty set), or None.
    Walked without recursion: parsed JSON may nest far deeper than the limit."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return TOO_DEEP
        if isinstance(item, bool) or item is None or isinstance(item, (str, bytes, bytearray)):
            continue
        if isinstance(item, (int, float, Decimal)):
            if not number_fits(item):
                return NUMBER_OUT_OF_RANGE
        elif isinstance(item, Mapping):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, (set, frozenset)):
            if not item:
                return EMPTY_SET
            if any(not isinstance(member, (str, bytes)) and not number_fits(member) for member in item):
                return NUMBER_OUT_OF_RANGE
        elif isinstance(item, (list, tuple)):
            pending.extend((child, depth + 1) for child in item)
    return None


def key_problem(value: Any, *, sort_key: bool = False) -> str | None:
    """Why DynamoDB would refuse `value` as a table's or an index's key value, or None."""
    if isinstance(value, str):
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate: no stored key holds one (bodies refuse them)
            return "not valid text"
    elif isinstance(value, (bytes, bytearray)):
        size = len(value)
    else:
        return None if isinstance(value, (int, Decimal)) and number_fits(value) else "invalid key value"
    if size == 0:
        return "must not be empty"
    limit = MAX_SORT_KEY_BYTES if sort_key else MAX_PARTITION_KEY_BYTES
    return f"too long to store (at most {limit} bytes)" if size > limit else None


def can_be_key(value: str, *, sort_key: bool = False) -> bool:
    """False for a value no stored key can equal (too long, empty): a read by it finds nothing, and
    must not ask, as DynamoDB refuses the request (a name or id from a query string, for instance)."""
    return key_problem(value, sort_key=sort_key) is None


def item_bytes(item: Mapping[str, Any]) -> int:
    """DynamoDB's size of an item: each attribute's name and value (None attributes are not stored)."""
    return sum(
        len(name.encode("utf-8")) + attribute_bytes(value)
        for name, value in item.items()
        if value is not None
    )


def attribute_bytes(value: Any) -> int:
    """DynamoDB's size of one attribute value: strings and binaries by their bytes, numbers at most
    21, lists and maps 3 bytes plus 1 per element (plus map keys); walked without recursion."""
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
        elif isinstance(item, Mapping):
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
