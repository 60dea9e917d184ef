"""A long local run holds its data, not its history: the stream mapping drops from moto's shard the
records every mapping of the table has delivered (DynamoDB trims after 24 h), and moto can be told to
forget the per-request objects it tracks (fleetreport_local.moto_memory)."""

from __future__ import annotations

import os
from typing import Any

from fleetreport_local.moto_memory import forget_request_models, track_request_models
from fleetreport_local.stream_poller import StreamPoller
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord
from moto.dynamodbstreams.models import dynamodbstreams_backends
from stream_support import stream_pump

# GroupsTable's stream feeds two mappings (template.yaml): the aggregates and the alerts functions.
LAGGING = "AlertsFunction"


def moto_shard(stack: Any) -> Any:
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    return backend.tables[stack.name("GroupsTable")].stream_shard


def write_groups(stack: Any, *hashes: str) -> None:
    for group_hash in hashes:
        stack.table("GroupsTable").put_item(Item={"app_id": "app-1", "group_hash": group_hash, "title": "t"})


class Mappings:
    """The functions' side of the mappings: what each was given, and whether the alerts one fails."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}
        self.failing = False

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        if function == LAGGING and self.failing:
            raise RuntimeError("the alerts function is down")
        hashes = [r["dynamodb"]["Keys"]["group_hash"]["S"] for r in event["Records"]]
        self.seen.setdefault(function, []).extend(hashes)
        return {"batchItemFailures": []}


def test_records_every_mapping_delivered_are_dropped_from_the_shard(stack: Any) -> None:
    pump, mappings = stream_pump(stack.template), Mappings()
    write_groups(stack, "g1", "g2", "g3")
    pump.pump(mappings.invoke)
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    assert pump.drop_delivered(backend) == 3
    assert moto_shard(stack).items == [None, None, None]
    write_groups(stack, "g4")  # sequence numbers go on; only the new record is delivered
    pump.pump(mappings.invoke)
    every = ["g1", "g2", "g3", "g4"]
    assert mappings.seen == {"AggregatesFunction": every, LAGGING: every}
    assert pump.drop_delivered(backend) == 1 and moto_shard(stack).items == [None] * 4


def test_records_a_lagging_mapping_has_not_delivered_are_kept_until_it_has(stack: Any) -> None:
    pump, mappings = stream_pump(stack.template), Mappings()
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    mappings.failing = True
    write_groups(stack, "g1")
    pump.pump(mappings.invoke)
    # the alerts mapping has read nothing yet (it would start from the trim horizon): nothing goes
    assert pump.drop_delivered(backend) == 0 and None not in moto_shard(stack).items
    mappings.failing = False
    pump.pump(mappings.invoke)
    write_groups(stack, "g2", "g3")
    mappings.failing = True
    pump.pump(mappings.invoke)  # the aggregates mapping is at g3, the alerts one at g1
    assert pump.drop_delivered(backend) == 1
    items = moto_shard(stack).items
    assert items[0] is None and [r.record["dynamodb"]["Keys"]["group_hash"]["S"] for r in items[1:]] == [
        "g2",
        "g3",
    ]
    mappings.failing = False
    pump.pump(mappings.invoke)  # the retried batch is the records it missed, from where it stopped
    assert mappings.seen[LAGGING] == ["g1", "g2", "g3"]
    assert mappings.seen["AggregatesFunction"] == ["g1", "g2", "g3"]
    assert pump.drop_delivered(backend) == 2 and moto_shard(stack).items == [None] * 3


def test_the_serve_poller_drops_what_it_delivered_and_the_shard_iterators_it_used(stack: Any) -> None:
    region = os.environ["AWS_DEFAULT_REGION"]
    backends = (
        dynamodb_backends[DEFAULT_ACCOUNT_ID][region],
        dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][region],
    )
    mappings = Mappings()
    poller = StreamPoller(stream_pump(stack.template), mappings.invoke, moto=backends)
    iterators = set(backends[1].shard_iterators)
    write_groups(stack, "g1", "g2")
    poller.poll()
    assert mappings.seen == {"AggregatesFunction": ["g1", "g2"], LAGGING: ["g1", "g2"]}
    assert moto_shard(stack).items == [None, None]
    assert set(backends[1].shard_iterators) == iterators  # each was used once: none is kept


def test_moto_forgets_its_per_request_objects_but_not_the_data(stack: Any) -> None:
    forget_request_models()
    try:
        write_groups(stack, "g1", "g2")
        stack.table("GroupsTable").update_item(
            Key={"app_id": "app-1", "group_hash": "g1"},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": "open"},
        )
        assert Item.instances_tracked == [] and StreamRecord.instances_tracked == []  # type: ignore[attr-defined]
        found = stack.table("GroupsTable").get_item(Key={"app_id": "app-1", "group_hash": "g1"})
        assert found["Item"]["status"] == "open"
        assert len(moto_shard(stack).items) == 3
    finally:
        track_request_models()
    write_groups(stack, "g3")
    assert len(Item.instances_tracked) >= 1  # type: ignore[attr-defined]
