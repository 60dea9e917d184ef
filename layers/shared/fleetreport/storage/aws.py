"""boto3 clients, created once per container. boto3 honours AWS_ENDPOINT_URL, which is how the
local stack and the tests point them at moto.

DynamoDB is one low-level client (SPEC §7: boto3's resource interface is feature-frozen and costs
~15-60 ms more to build). The domain code still speaks Python values (str, Decimal, sets) and
condition objects (`Key("pk").eq(...)`): the client carries the same request/response transforms the
resource installs on its own client (boto3.dynamodb.transform), and `table(name)` is a small view
with the resource Table's call shape. Behaviour is the resource's, without building the resource.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import boto3
from botocore.config import Config

from fleetreport import snapstart  # noqa: F401 (registers the SnapStart runtime hooks)

# Standard retry mode retries throttling and 5xx with exponential backoff and jitter.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=2,
    read_timeout=5,
    signature_version="s3v4",
)


def _speak_python_types(client: Any) -> Any:
    """Register on `client` what boto3's DynamoDB resource registers on its client: copy the caller's
    params, build condition expressions, serialize Python values in and deserialize them out."""
    from boto3.dynamodb.transform import TransformationInjector, copy_dynamodb_params

    injector = TransformationInjector()
    events = client.meta.events
    events.register(
        "provide-client-params.dynamodb", copy_dynamodb_params, unique_id="dynamodb-create-params-copy"
    )
    events.register(
        "before-parameter-build.dynamodb",
        injector.inject_condition_expressions,
        unique_id="dynamodb-condition-expression",
    )
    events.register(
        "before-parameter-build.dynamodb",
        injector.inject_attribute_value_input,
        unique_id="dynamodb-attr-value-input",
    )
    events.register(
        "after-call.dynamodb", injector.inject_attribute_value_output, unique_id="dynamodb-attr-value-output"
    )
    return client


class Table:
    """One table on the shared client, called like the resource's Table (TableName filled in)."""

    def __init__(self, name: str, client: Any) -> None:
        self.name = self.table_name = name
        self.meta = SimpleNamespace(client=client)

    def _call(self, operation: str, kwargs: dict[str, Any]) -> Any:
        return getattr(self.meta.client, operation)(TableName=self.name, **kwargs)

    def get_item(self, **kwargs: Any) -> Any:
        return self._call("get_item", kwargs)

    def put_item(self, **kwargs: Any) -> Any:
        return self._call("put_item", kwargs)

    def update_item(self, **kwargs: Any) -> Any:
        return self._call("update_item", kwargs)

    def delete_item(self, **kwargs: Any) -> Any:
        return self._call("delete_item", kwargs)

    def query(self, **kwargs: Any) -> Any:
        return self._call("query", kwargs)

    def scan(self, **kwargs: Any) -> Any:
        return self._call("scan", kwargs)

    def batch_writer(self, overwrite_by_pkeys: list[str] | None = None) -> Any:
        from boto3.dynamodb.table import BatchWriter

        return BatchWriter(self.name, self.meta.client, overwrite_by_pkeys=overwrite_by_pkeys)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and (other.name, other.meta.client) == (self.name, self.meta.client)

    def __hash__(self) -> int:
        return hash(self.name)


class DynamoDB:
    """What the code used of the service resource: `Table(name)`, `batch_get_item` and `meta.client`."""

    def __init__(self, client: Any) -> None:
        self.meta = SimpleNamespace(client=client)

    def Table(self, name: str) -> Table:  # the resource spelling: callers need not change
        return Table(name, self.meta.client)

    def batch_get_item(self, **kwargs: Any) -> Any:
        return self.meta.client.batch_get_item(**kwargs)

    def batch_write_item(self, **kwargs: Any) -> Any:
        return self.meta.client.batch_write_item(**kwargs)


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDB:
    """The container's one low-level DynamoDB client (speaking Python types), behind a resource-like view."""
    return DynamoDB(_speak_python_types(boto3.client("dynamodb", config=CLIENT_CONFIG)))


def table(name: str) -> Table:
    return dynamodb().Table(name)


@lru_cache(maxsize=1)
def s3() -> Any:
    return boto3.client("s3", config=CLIENT_CONFIG)


@lru_cache(maxsize=1)
def sqs() -> Any:
    return boto3.client("sqs", config=CLIENT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints between cases)."""
    dynamodb.cache_clear()
    s3.cache_clear()
    sqs.cache_clear()


def is_conditional_failure(error: Exception) -> bool:
    """A write refused by its ConditionExpression (billed, nothing written): the caller decides."""
    response = getattr(error, "response", None) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
