"""The rollup function (not implemented yet)."""

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise NotImplementedError("rollups are not implemented yet")
