"""DynamoDB Streams in the in-process stack: deliver a table's stream records to every function that
has a `Type: DynamoDB` event on it in template.yaml (the same pump the local stack polls with).

API (tests/stack_support.Stack wires it; other consumers need nothing more than a template event):
- `stack.drain()` delivers every pending record, including records the deliveries themselves caused
  (returns how many); `stack.http(...)` drains first, so a read sees every earlier change counted.
- `expire(stack, "GroupsTable", key)` deletes an item as the TTL service would: its REMOVE record
  carries the service's userIdentity (moto never expires items by itself).
- `stream_pump(template)` for a stack of your own (inside mock_aws).
"""

from __future__ import annotations

from typing import Any

import boto3
from fleetreport_local.stream_poller import StreamPump
from fleetreport_local.template import Template


def stream_pump(template: Template) -> StreamPump:
    return StreamPump(
        template,
        streams=boto3.client("dynamodbstreams"),
        dynamodb=boto3.client("dynamodb"),
        sqs=boto3.client("sqs"),
    )


def expire(stack: Any, table_logical_id: str, key: dict[str, Any]) -> None:
    """Delete the item the way DynamoDB's TTL service does (a REMOVE by dynamodb.amazonaws.com)."""
    stack.streams.mark_ttl_deletion(key)
    stack.table(table_logical_id).delete_item(Key=key)
