"""DynamoDB's limits (storage/limits.py) and the test run's strict moto (tests/dynamodb_limits.py):
what DynamoDB refuses, moto refuses too, so a write only moto accepts fails its test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import dynamodb_limits
import pytest
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from fleetreport.storage import limits
from fleetreport.storage.aws import table


def nested(levels: int) -> Any:
    """A value of `levels` levels as DynamoDB counts them: maps around a string."""
    value: Any = "leaf"
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def refused(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    return str(raised.value.response["Error"]["Message"])


@pytest.mark.parametrize(
    ("number", "fits"),
    [
        (0, True),
        (Decimal("9.9999999999999999999999999999999999999E+125"), True),
        (Decimal("1E+126"), False),
        (Decimal("1E-130"), True),
        (Decimal("1E-131"), False),
        (Decimal("-1E-131"), False),
        (int("9" * 38), True),
        (int("9" * 39), False),
        (Decimal("1." + "0" * 60), True),  # trailing zeros are not significant
        (1e300, False),
        (float("nan"), False),
        (0.1, True),
    ],
)
def test_a_number_fits_with_38_digits_within_dynamodbs_range(number: Any, fits: bool) -> None:
    assert limits.number_fits(number) is fits


def test_values_are_refused_beyond_32_levels_a_number_out_of_range_or_an_empty_set() -> None:
    assert limits.nesting_depth("x") == 1 and limits.nesting_depth({"a": [1]}) == 3
    assert limits.value_problem(nested(32)) is None
    assert limits.value_problem(nested(33)) == limits.TOO_DEEP
    assert limits.value_problem(nested(5000)) == limits.TOO_DEEP  # no recursion
    assert limits.value_problem({"n": [Decimal("1E+200")]}) == limits.NUMBER_OUT_OF_RANGE
    assert limits.value_problem(set()) == limits.EMPTY_SET
    assert limits.value_problem({"s": {"a"}, "b": True, "z": None}) is None


def test_key_values_are_non_empty_and_within_2048_or_1024_bytes() -> None:
    assert limits.key_problem("a" * 2048) is None
    assert limits.key_problem("a" * 2049) == "too long to store (at most 2048 bytes)"
    assert limits.key_problem("é" * 513, sort_key=True) == "too long to store (at most 1024 bytes)"
    assert limits.key_problem("") == "must not be empty"
    assert limits.key_problem(b"") == "must not be empty"


def test_an_items_size_counts_names_and_values_as_dynamodb_does() -> None:
    assert limits.item_bytes({"pk": "p", "blob": b"x" * 100, "n": 7, "gone": None}) == 3 + 104 + 22
    assert limits.item_bytes({"m": {"ab": ["é"]}}) == 1 + 3 + 1 + 2 + 3 + 1 + 2


def test_the_strict_hook_learned_the_stacks_tables(stack: Any) -> None:
    assert stack.name("GroupsTable") in set(dynamodb_limits.learned_tables())


def test_moto_refuses_an_item_nested_beyond_32_levels_as_dynamodb_does(stack: Any) -> None:
    alerts = table(stack.name("AlertsTable"))  # the code's own client
    alerts.put_item(Item={"pk": "p", "sk": "s", "doc": nested(32)})  # 31 maps around a string: stored
    assert "Nesting Levels" in refused(
        lambda: alerts.put_item(Item={"pk": "p", "sk": "s", "doc": nested(33)})
    )
    update = {
        "Key": {"pk": "p", "sk": "s"},
        "UpdateExpression": "SET doc = :d",
        "ExpressionAttributeValues": {":d": nested(40)},
    }
    assert "Nesting Levels" in refused(lambda: alerts.update_item(**update))


def test_moto_refuses_key_values_dynamodb_refuses(stack: Any) -> None:
    alerts = table(stack.name("AlertsTable"))
    assert "rangekey" in refused(lambda: alerts.put_item(Item={"pk": "p", "sk": "s" * 1025}))
    assert "hashkey" in refused(lambda: alerts.get_item(Key={"pk": "p" * 2049, "sk": "s"}))
    assert "empty S" in refused(lambda: alerts.delete_item(Key={"pk": "", "sk": "s"}))
    long_sort = Key("pk").eq("p") & Key("sk").lt("2" * 1100)
    assert "rangekey" in refused(lambda: alerts.query(KeyConditionExpression=long_sort))
    alerts.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").lt("2" * 1024))


def test_moto_refuses_an_index_key_set_empty_by_an_update(stack: Any) -> None:
    groups = table(stack.name("GroupsTable"))
    update = {
        "Key": {"app_id": "a", "group_hash": "h"},
        "UpdateExpression": "SET #s = :s",
        "ExpressionAttributeNames": {"#s": "last_seen"},
        "ExpressionAttributeValues": {":s": ""},
    }
    assert "empty S" in refused(lambda: groups.update_item(**update))


def test_moto_refuses_numbers_out_of_range_empty_sets_and_items_over_400_kb(stack: Any) -> None:
    alerts = table(stack.name("AlertsTable"))
    assert "Number overflow" in refused(
        lambda: alerts.put_item(Item={"pk": "p", "sk": "s", "n": Decimal("1E+126")})
    )
    client = boto3.client("dynamodb")  # the wire form: boto3's serializer would refuse an empty set
    empty_set = {"pk": {"S": "p"}, "sk": {"S": "s"}, "tags": {"SS": []}}
    assert "may not be empty" in refused(lambda: client.put_item(TableName=alerts.name, Item=empty_set))
    big = {"pk": "p", "sk": "s", "blob": "x" * (400 * 1024)}
    assert "Item size" in refused(lambda: alerts.put_item(Item=big))


LONG = "a" * 3000  # longer than any key value DynamoDB takes


@pytest.mark.parametrize(
    ("method", "path", "body", "query"),
    [
        ("PATCH", f"/apps/{LONG}", {"name": "x"}, {}),
        ("GET", f"/apps/{LONG}/alerts", None, {}),
        ("PUT", f"/apps/{LONG}/alerts", {"webhook_url": "https://example.com/x"}, {}),
        ("GET", f"/reports/groups/{LONG}", None, {}),
        ("GET", f"/reports/groups/{'a' * 64}", None, {"app": LONG}),
        ("GET", "/reports/groups", None, {"app": LONG}),
        ("GET", "/reports/groups", None, {"platform": LONG}),
        ("GET", "/alerts", None, {"app": LONG}),
        ("GET", f"/reports/{LONG}", None, {}),
        ("GET", f"/reports/{LONG}/run", None, {}),
        ("GET", "/reports/consumer_status/run", None, {"owner": LONG, "consumer_uuid": LONG}),
        ("GET", "/reports/status_trend/run", None, {"owner": LONG}),
        ("GET", "/reports/consumer_trend/run", None, {"consumer_uuid": LONG}),
        ("GET", "/reports/group_trend/run", None, {"app": LONG}),
        ("POST", "/report-keys/regenerate", {"app_id": LONG}, {}),
    ],
)
def test_a_name_id_or_filter_longer_than_any_key_finds_nothing_and_never_asks_dynamodb(
    stack: Any, method: str, path: str, body: Any, query: dict[str, str]
) -> None:
    """Reads by a value no key can hold answer like an unknown one (the strict hook makes it a 500 if
    the value reaches a key condition, as DynamoDB would)."""
    answer = stack.http(
        method, path, headers=stack.auth(role="admin", owner="t1", sub="alice"), body=body, query=query
    )
    assert answer.status in (200, 400, 404), answer.body
