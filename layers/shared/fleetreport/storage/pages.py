"""Reading every page of a DynamoDB Query: one loop for every access pattern that needs all of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def query_items(table: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The items of `table.query(**request)`, page after page (the caller's dict is not changed)."""
    while True:
        answer = table.query(**request)
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        request = {**request, "ExclusiveStartKey": answer["LastEvaluatedKey"]}
