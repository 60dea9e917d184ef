"""The one meter (bench/capacity.py, SPEC §9) against hand-computed cases, and the storm's
hot-partition verdict failing on the regressions it exists to catch."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package
from bench.capacity import Meter, item_size
from bench.storm import within_partition_budget

KB = 1024


class SyntheticTemplate:
    """The two methods of fleetreport_local's Template the meter reads, over a hand-written table list."""

    def __init__(self, tables: dict[str, dict[str, Any]]) -> None:
        self.tables = tables

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: {"Type": kind, "Properties": props} for name, props in self.tables.items()}

    def physical_name(self, logical_id: str) -> str:
        return f"test-{logical_id}"


def key_schema(hash_key: str, range_key: str | None = None) -> list[dict[str, str]]:
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    return keys + ([{"AttributeName": range_key, "KeyType": "RANGE"}] if range_key else [])


def gsi(name: str, hash_key: str, range_key: str | None, projection: dict[str, Any]) -> dict[str, Any]:
    return {"IndexName": name, "KeySchema": key_schema(hash_key, range_key), "Projection": projection}


TABLES = {
    "Items": {"KeySchema": key_schema("pk", "sk")},
    "Counters": {"KeySchema": key_schema("counter")},
    "Groups": {
        "KeySchema": key_schema("app_id", "group_hash"),
        "GlobalSecondaryIndexes": [
            gsi(
                "ByAppSeen",
                "app_id",
                "last_seen",
                {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["count"]},
            ),
            gsi("ByOwner", "owner", None, {"ProjectionType": "KEYS_ONLY"}),
        ],
    },
}


@pytest.fixture
def aws() -> Iterator[tuple[Any, Meter, list[float]]]:
    """Real moto tables built from the synthetic template, a client metered on a settable clock."""
    template = SyntheticTemplate(TABLES)
    clock = [0.0]
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        client = session.client("dynamodb")
        for logical_id, props in TABLES.items():
            names = {key["AttributeName"] for key in props["KeySchema"]}
            for index in props.get("GlobalSecondaryIndexes", []):
                names |= {key["AttributeName"] for key in index["KeySchema"]}
            client.create_table(
                TableName=template.physical_name(logical_id),
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in sorted(names)],
                **{k: v for k, v in props.items()},
            )
        meter = Meter.for_template(template, lambda: clock[0])
        meter.install(client.meta.events)
        yield client, meter, clock


def padding(size: int) -> dict[str, Any]:
    return {"pad": {"S": "x" * (size - 3)}}  # "pad" is 3 bytes of name


def wcu_of(meter: Meter, action: Any) -> Any:
    with meter.window() as usage:
        action()
    return usage


# ---------------------------------------------------------------------- sizes
def test_item_size_is_name_bytes_plus_value_bytes_by_dynamodbs_rules() -> None:
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "12345"}}) == 1 + 3 + 1  # 5 significant digits: 3 bytes, + 1
    assert item_size({"n": {"N": "0.00100"}}) == 1 + 1 + 1  # leading and trailing zeros are free
    assert item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == (2 + 1) + (2 + 1)
    assert item_size({"m": {"M": {"a": {"S": "x"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert item_size({"l": {"L": [{"N": "1"}, {"S": "ab"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert item_size({"é": {"S": "é"}}) == 2 + 2  # UTF-8 bytes, not characters
    assert item_size({"b": {"B": "AAEC"}}) == 1 + 3  # base64 of 3 bytes


# ---------------------------------------------------------------------- writes
def test_a_write_costs_the_larger_of_the_old_and_new_item_per_started_kb(aws: Any) -> None:
    client, meter, _ = aws
    key = {"pk": {"S": "p"}, "sk": {"S": "s"}}  # 2 + 1 + 2 + 1 = 6 bytes

    def put(size: int) -> Any:
        return wcu_of(
            meter, lambda: client.put_item(TableName="test-Items", Item={**key, **padding(size - 6)})
        )

    assert put(1000).wcu == 1
    assert put(1500).wcu == 2  # 1,500 bytes: 2 KB started
    assert put(200).wcu == 2  # smaller now, but the old item was 1,500 bytes
    assert put(200).wcu == 1
    deleted = wcu_of(meter, lambda: client.delete_item(TableName="test-Items", Key=key))
    assert deleted.wcu == 1 and deleted.calls == 1


def test_a_transaction_bills_every_item_twice(aws: Any) -> None:
    client, meter, _ = aws
    items = [{"pk": {"S": "p"}, "sk": {"S": str(n)}, **padding(1500)} for n in range(2)]
    usage = wcu_of(
        meter,
        lambda: client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "test-Items", "Item": item}} for item in items]
        ),
    )
    assert usage.wcu == 2 * (2 + 2)


def refused_usage(meter: Meter, error: type[Exception], call: Any, **request: Any) -> Any:
    with meter.window() as usage, pytest.raises(error):
        call(**request)
    return usage


def test_refused_conditional_writes_and_cancelled_transactions_are_billed(aws: Any) -> None:
    client, meter, _ = aws
    key = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    client.put_item(TableName="test-Items", Item={**key, **padding(2500)})
    refused = refused_usage(
        meter,
        client.exceptions.ConditionalCheckFailedException,
        client.put_item,
        TableName="test-Items",
        Item={**key, "v": {"S": "new"}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    assert refused.wcu == 3  # billed on the existing 2,500-byte item
    missing = {"pk": {"S": "q"}, "sk": {"S": "s"}}
    nothing = refused_usage(
        meter,
        client.exceptions.ConditionalCheckFailedException,
        client.update_item,
        TableName="test-Items",
        Key=missing,
        UpdateExpression="SET v = :v",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":v": {"S": "x"}},
    )
    assert nothing.wcu == 1  # nothing there: the minimum
    check = {"TableName": "test-Items", "Key": missing, "ConditionExpression": "attribute_exists(pk)"}
    cancelled = refused_usage(
        meter,
        client.exceptions.TransactionCanceledException,
        client.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": "test-Items", "Item": {"pk": {"S": "r"}, "sk": {"S": "s"}}}},
            {"ConditionCheck": check},
        ],
    )
    assert cancelled.wcu == 2 * (1 + 1)


def test_a_gsi_costs_delete_and_put_when_its_key_moves_a_put_when_its_projection_changes(aws: Any) -> None:
    client, meter, _ = aws
    key = {"app_id": {"S": "a1"}, "group_hash": {"S": "g1"}}

    def update(expression: str, values: dict[str, Any]) -> Any:
        names = {name: name[1:] for name in ("#owner", "#count") if name in expression}
        return wcu_of(
            meter,
            lambda: client.update_item(
                TableName="test-Groups",
                Key=key,
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}),
            ),
        )

    created = update(
        "SET last_seen = :s, #owner = :o, #count = :c, note = :n",
        {":s": {"S": "t1"}, ":o": {"S": "o1"}, ":c": {"N": "1"}, ":n": {"S": "hello"}},
    )
    assert created.wcu == 1 + 1 + 1  # the item, a put in each index
    assert created.target_wcu["Groups/ByAppSeen"] == 1 and created.target_wcu["Groups/ByOwner"] == 1
    moved = update("SET last_seen = :s", {":s": {"S": "t2"}})
    assert moved.wcu == 1 + 2  # ByAppSeen: its sort key moved (delete + put); ByOwner untouched
    assert moved.target_wcu["Groups/ByAppSeen"] == 2 and moved.target_wcu["Groups/ByOwner"] == 0
    projected = update("SET #count = :c", {":c": {"N": "2"}})
    assert projected.wcu == 1 + 1  # `count` is projected into ByAppSeen only: one put there
    unprojected = update("SET note = :n", {":n": {"S": "bye"}})
    assert unprojected.wcu == 1  # in no index
    meter.settle()
    assert meter.hottest()["wcu"]["key"] in {"Groups:a1", "Groups/ByAppSeen:a1"}


# ---------------------------------------------------------------------- reads
def test_reads_cost_per_started_4_kb_half_when_eventually_consistent(aws: Any) -> None:
    client, meter, _ = aws
    for n in range(3):
        client.put_item(TableName="test-Items", Item={"pk": {"S": "p"}, "sk": {"S": str(n)}, **padding(1500)})
    client.put_item(TableName="test-Items", Item={"pk": {"S": "big"}, "sk": {"S": "s"}, **padding(5000)})
    big = {"pk": {"S": "big"}, "sk": {"S": "s"}}
    consistent = wcu_of(meter, lambda: client.get_item(TableName="test-Items", Key=big, ConsistentRead=True))
    assert consistent.rcu == 2 and consistent.wcu == 0
    assert wcu_of(meter, lambda: client.get_item(TableName="test-Items", Key=big)).rcu == 1
    query = {
        "TableName": "test-Items",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}},
    }
    assert wcu_of(meter, lambda: client.query(**query, ConsistentRead=True)).rcu == 2  # 4,500 bytes summed
    assert wcu_of(meter, lambda: client.query(**query)).rcu == 1
    # A projection or a filter returns less, but the page read every item: the same units.
    assert (
        wcu_of(meter, lambda: client.query(**query, ConsistentRead=True, ProjectionExpression="sk")).rcu == 2
    )
    filtered = wcu_of(
        meter,
        lambda: client.query(
            TableName="test-Items",
            KeyConditionExpression="pk = :p",
            FilterExpression="sk = :pp",
            ExpressionAttributeValues={":p": {"S": "p"}, ":pp": {"S": "1"}},
            ConsistentRead=True,
        ),
    )
    assert filtered.rcu == 2  # one item returned, three read
    batch = wcu_of(
        meter,
        lambda: client.batch_get_item(
            RequestItems={"test-Items": {"Keys": [{"pk": {"S": "p"}, "sk": {"S": str(n)}} for n in range(3)]}}
        ),
    )
    assert batch.rcu == 3 * 0.5  # per item, each rounded up to 4 KB


def test_units_are_summed_per_partition_key_per_second(aws: Any) -> None:
    client, meter, clock = aws
    for second, writes in ((0, 5), (1, 7), (2, 3)):
        clock[0] = second + 0.5
        for n in range(writes):
            client.put_item(TableName="test-Counters", Item={"counter": {"S": f"key#{n % 2}"}})
    hottest = meter.hottest()["wcu"]
    assert (hottest["units"], hottest["key"], hottest["second"]) == (4, "Counters:key#0", 1)
    assert meter.total.wcu == 15 and meter.total.calls == 15


# ---------------------------------------------------------------------- the verdict fails on regressions
def storm(client: Any, clock: list[float], rate: int, write: Any) -> None:
    """`rate` operations in each of 2 simulated seconds, each doing `write(client, n)`."""
    for n in range(2 * rate):
        clock[0] = n / rate
        write(client, n)


def test_verdict_fails_when_every_refusal_writes_the_key_counter(aws: Any) -> None:
    client, meter, clock = aws

    def refusal(client: Any, n: int, remembered: bool) -> None:
        if not remembered or n < 30:  # a window known full is refused from memory: no write
            client.update_item(
                TableName="test-Counters",
                Key={"counter": {"S": "key#app"}},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    storm(client, clock, 400, lambda c, n: refusal(c, n, remembered=True))
    assert within_partition_budget(meter)
    meter.reset()
    storm(client, clock, 400, lambda c, n: refusal(c, n, remembered=False))
    assert not within_partition_budget(meter)
    assert meter.hottest()["wcu"]["key"] == "Counters:key#app"


def test_verdict_fails_when_a_gsi_is_keyed_on_an_attribute_every_report_changes(aws: Any) -> None:
    client, meter, clock = aws

    def report(client: Any, n: int, attribute: str) -> None:
        client.update_item(
            TableName="test-Groups",
            Key={"app_id": {"S": "app-busy"}, "group_hash": {"S": f"g{n % 200}"}},
            UpdateExpression=f"SET {attribute} = :s, #o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":s": {"S": f"{n:09d}"}, ":o": {"S": "busy"}},
        )

    for n in range(200):  # the groups exist, each already in both indexes
        report(client, n, "last_seen")
    meter.reset()
    # 200 reports/s into one app: 200 WCU on its partition; no index entry moves.
    storm(client, clock, 200, lambda c, n: report(c, n + 200, "seen_at"))
    assert within_partition_budget(meter), meter.hottest()
    meter.reset()
    # The same reports moving `last_seen`, ByAppSeen's sort key: a delete + a put per report there.
    storm(client, clock, 200, lambda c, n: report(c, n + 200, "last_seen"))
    assert not within_partition_budget(meter)
    assert meter.hottest()["wcu"]["key"] == "Groups/ByAppSeen:app-busy"
    assert meter.hottest()["wcu"]["units"] == 400  # 200 reports x (delete + put) in the app's key


def test_verdict_fails_when_count_shards_share_one_partition_key(aws: Any) -> None:
    client, meter, clock = aws

    def change(client: Any, n: int, shards_share_pk: bool) -> None:
        shard = n % 8
        key = (
            {"pk": {"S": "T#tenant"}, "sk": {"S": f"COUNTS@{shard}"}}
            if shards_share_pk
            else {"pk": {"S": f"T#tenant#COUNTS@{shard}"}, "sk": {"S": "COUNTS"}}
        )
        client.update_item(
            TableName="test-Items",
            Key=key,
            UpdateExpression="ADD valid :m, invalid :p",
            ExpressionAttributeValues={":m": {"N": "-1"}, ":p": {"N": "1"}},
        )

    storm(client, clock, 1000, lambda c, n: change(c, n, shards_share_pk=False))
    assert within_partition_budget(meter), meter.hottest()  # 125 WCU per shard's own key
    meter.reset()
    storm(client, clock, 1000, lambda c, n: change(c, n, shards_share_pk=True))
    assert not within_partition_budget(meter)
    assert meter.hottest()["wcu"]["key"] == "Items:T#tenant"
