"""Reading fields out of untrusted event JSON, with errors that name the field's dotted path."""

from __future__ import annotations

from typing import Any

from fleetreport.compliance.timefmt import parse_instant, to_storage


class EventError(ValueError):
    """A malformed event: `field` is the dotted path of the problem, `reason` says what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def required_object(container: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = container.get(key)
    if value is None:
        raise EventError(join(where, key), "missing")
    if not isinstance(value, dict):
        raise EventError(join(where, key), "must be an object")
    return value


def optional_object(container: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = container.get(key)
    if value is not None and not isinstance(value, dict):
        raise EventError(join(where, key), "must be an object")
    return value


def optional_list(container: dict[str, Any], key: str, where: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise EventError(join(where, key), "must be a list")
    return value


def required_string(container: dict[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if value is None or value == "":
        raise EventError(join(where, key), "missing")
    if not isinstance(value, str):
        raise EventError(join(where, key), "must be a string")
    return value


def optional_string(container: dict[str, Any], key: str, where: str) -> str | None:
    value = container.get(key)
    if value is not None and not isinstance(value, str):
        raise EventError(join(where, key), "must be a string")
    return value


def optional_instant(container: dict[str, Any], key: str, where: str) -> str | None:
    """A stored-form instant (`...000Z`) or None when absent; anything unparsable is an error."""
    value = container.get(key)
    if value is None or value == "":
        return None
    instant = parse_instant(value)
    if instant is None:
        raise EventError(join(where, key), "invalid date")
    return to_storage(instant)


def required_instant(container: dict[str, Any], key: str, where: str) -> str:
    if container.get(key) in (None, ""):
        raise EventError(join(where, key), "missing")
    value = optional_instant(container, key, where)
    assert value is not None
    return value
