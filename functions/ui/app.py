"""The ui function (not implemented yet)."""

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 501, "headers": {"Content-Type": "text/plain"}, "body": "not implemented"}
