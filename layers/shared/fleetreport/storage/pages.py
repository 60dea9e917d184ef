"""Reading every page of a DynamoDB Query, and every item of a BatchGetItem: one loop each for every
access pattern that needs all of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fleetreport import clock
from fleetreport.errors import TemporarilyUnavailable

BATCH_GET_LIMIT = 100  # BatchGetItem's keys per call


def query_items(table: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The items of `table.query(**request)`, page after page (the caller's dict is not changed)."""
    while True:
        answer = table.query(**request)
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        request = {**request, "ExclusiveStartKey": answer["LastEvaluatedKey"]}


def batch_get(
    client: Any,
    table_name: str,
    keys: list[dict[str, Any]],
    *,
    consistent: bool = False,
    attempts: int = 6,
    projection: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """The items of BatchGetItem over `keys` (100 a call, in no particular order). Unprocessed keys
    (throttling) are asked again after a jittered backoff; if they never go through, the read fails
    with TemporarilyUnavailable (503) rather than silently returning fewer items. `projection` (a
    ProjectionExpression and its ExpressionAttributeNames, as `rollup.names.projection` builds) reads
    only those attributes of each item."""
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        request: dict[str, Any] = {"Keys": keys[start : start + BATCH_GET_LIMIT], **(projection or {})}
        if consistent:
            request["ConsistentRead"] = True
        pending: dict[str, Any] = {table_name: request}
        for attempt in range(attempts):
            if attempt:
                clock.backoff(attempt)
            answer = client.batch_get_item(RequestItems=pending)
            yield from answer.get("Responses", {}).get(table_name, [])
            pending = answer.get("UnprocessedKeys") or {}
            if not pending:
                break
        else:
            raise TemporarilyUnavailable()
