"""Projection expressions with placeholder names (many attribute names here are DynamoDB reserved
words: `end`, `at`, `status`, `uuid`, `rows`, ...)."""

from __future__ import annotations

from typing import Any


def projection(*names: str) -> dict[str, Any]:
    placeholders = {f"#p{index}": name for index, name in enumerate(names)}
    return {"ProjectionExpression": ", ".join(placeholders), "ExpressionAttributeNames": placeholders}
