"""JSON text from outside (request bodies, queue messages, entities sent as strings), parsed so that
every string in it can be stored.

Python's `json` accepts an escaped lone UTF-16 surrogate (`"\\ud800"`) and returns a `str` with no
UTF-8 form: DynamoDB, S3 and every JSON writer later refuse it, mid-write. Such text is refused here,
at the door, as the JSON error it is (a JSONDecodeError, so Powertools' body validation turns it into
a 400 as well).
"""

from __future__ import annotations

import json
import re
from typing import Any

# A surrogate can only arrive escaped (the raw body is decoded UTF-8); texts without such an escape,
# nearly all of them, skip the walk.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class LoneSurrogate(json.JSONDecodeError):
    """A string of the document holds a lone UTF-16 surrogate."""


def loads(text: str | bytes, *, allow_constants: bool = True) -> Any:
    """`json.loads`, refusing lone surrogates (and NaN/Infinity unless `allow_constants`)."""

    def reject(constant: str) -> Any:
        raise ValueError(constant)

    document = json.loads(text) if allow_constants else json.loads(text, parse_constant=reject)
    raw = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if _SURROGATE_ESCAPE.search(raw) and not storable(document):
        raise LoneSurrogate("lone UTF-16 surrogate in a string", raw, 0)
    return document


def storable(value: Any) -> bool:
    """True when every string (keys included) of a parsed JSON value has a UTF-8 form."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not is_utf8_text(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def is_utf8_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
