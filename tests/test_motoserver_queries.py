"""The embedded moto server's table Query reads only the asked partition (local/motoserver.py), and
answers what DynamoDB answers: the partition's items in sort-key order, either direction, paged by
Limit and ExclusiveStartKey, with key conditions and projections; index queries are untouched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from fleetreport_local.motoserver import one_partition_queries
from moto import mock_aws
from moto.dynamodb.models.table import Table

PARTITIONS = ("a", "b", "c")


@pytest.fixture
def table() -> Iterator[Any]:
    one_partition_queries()
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        created = resource.create_table(
            TableName="items",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "kind", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_kind",
                    "KeySchema": [
                        {"AttributeName": "kind", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        with created.batch_writer() as batch:
            for index in range(60):  # written out of order, spread over the partitions
                number = (index * 37) % 60
                batch.put_item(
                    Item={
                        "pk": PARTITIONS[number % 3],
                        "sk": f"{number:03d}",
                        "kind": "even" if number % 2 == 0 else "odd",
                        "n": number,
                    }
                )
        yield created


def pages(table: Any, **request: Any) -> Iterator[list[dict[str, Any]]]:
    while True:
        answer = table.query(**request)
        yield answer["Items"]
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def sort_keys(partition: str) -> list[str]:
    return sorted(f"{n:03d}" for n in range(60) if PARTITIONS[n % 3] == partition)


def test_the_query_reads_its_partition_only_and_in_sort_key_order(table: Any) -> None:
    assert getattr(Table.query, "one_partition", False)
    for partition in PARTITIONS:
        items = table.query(KeyConditionExpression=Key("pk").eq(partition))["Items"]
        assert [item["sk"] for item in items] == sort_keys(partition)
        assert {item["pk"] for item in items} == {partition}


def test_newest_first_pages_of_a_partition_join_into_the_whole_partition(table: Any) -> None:
    request = {"KeyConditionExpression": Key("pk").eq("b"), "ScanIndexForward": False, "Limit": 3}
    got = [page for page in pages(table, **request)]
    assert all(len(page) <= 3 for page in got)
    assert [item["sk"] for page in got for item in page] == sort_keys("b")[::-1]


def test_key_conditions_and_projections_apply_within_the_partition(table: Any) -> None:
    answer = table.query(
        KeyConditionExpression=Key("pk").eq("a") & Key("sk").lt("030"),
        ProjectionExpression="sk",
        ScanIndexForward=False,
        Limit=2,
    )
    expected = [sk for sk in sort_keys("a") if sk < "030"][::-1][:2]
    assert answer["Items"] == [{"sk": sk} for sk in expected]
    assert table.query(KeyConditionExpression=Key("pk").eq("nobody"))["Items"] == []


def test_an_index_query_still_sees_every_partition(table: Any) -> None:
    items = table.query(IndexName="by_kind", KeyConditionExpression=Key("kind").eq("odd"))["Items"]
    assert [item["sk"] for item in items] == sorted(f"{n:03d}" for n in range(60) if n % 2)
    assert {item["pk"] for item in items} == set(PARTITIONS)


def test_a_scan_still_sees_the_whole_table(table: Any) -> None:
    assert table.scan()["Count"] == 60
