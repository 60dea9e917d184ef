"""The bench's AWS: one in-process moto account, loaded in bulk here (straight into moto's tables) and
served to the scenario processes over HTTP on 127.0.0.1 (so each scenario's memory is its own).

moto's Query walks and sorts every item of the table before it looks at the partition key, so on a
100k-item table each Query costs what a Scan would; DynamoDB reads one partition. `partition_queries`
makes moto's base-table Query look only at the requested partition and its index Query skip the
sort, which changes neither the items returned nor `ScannedCount` (moto filters by those same keys),
only moto's own time. An index Query still walks the table in moto, which shows in the wall-time
figures (RESULTS.md says so). `no_item_size_check`, `single_conversion_projection` and
`plain_json_reads` remove more of moto's own slow paths (the 400 KB item check, projection, answer
serialization). None of this runs in the tests, only in the bench's own process.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer
from fleetreport_local.template import Template, create_resources, load_template
from moto import mock_aws
from moto.dynamodb.models.table import Table
from moto.server import ThreadedMotoServer

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_QUERY_SCOPE = threading.local()


def partition_queries() -> None:
    """Patch moto (in this process only) so a Query costs what DynamoDB's does, not a sorted Scan.

    A base-table Query looks only at its partition. An index Query still walks every item (moto keeps
    no index structure) but no longer sorts the whole table first: moto sorts the matches itself.
    Neither changes the items returned nor `ScannedCount`.
    """
    if getattr(Table, "_bench_patched", False):
        return
    original_query = Table.query
    original_all_items = Table.all_items

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        _QUERY_SCOPE.scope = ("index", None) if index_name is not None else ("partition", hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _QUERY_SCOPE.scope = None

    def all_items(self: Table) -> list[Any]:
        scope = getattr(_QUERY_SCOPE, "scope", None)
        if scope is None:
            return original_all_items(self)
        kind, partition = scope
        if kind == "index":
            if not self.range_key_attr:
                return list(self.items.values())
            return [item for items in self.items.values() for item in items.values()]
        found = self.items.get(partition)
        if found is None:
            return []
        return list(found.values()) if self.range_key_attr else [found]

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table._bench_patched = True  # type: ignore[attr-defined]


def no_item_size_check() -> None:
    """Patch out moto's 400 KB item check, which re-measures the whole item at every attribute it
    stores (quadratic: most of the time of loading an item, or of copying one into an answer).

    The bench measures reads and writes, not item sizes; the tests keep the check (unpatched moto).
    """
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment]


def single_conversion_projection() -> None:
    """Patch moto's `Item.project` to convert the item to plain JSON once, not once per attribute.

    An index with INCLUDE projection (ByAppLastSeen: 11 attributes) made moto convert every matching
    item 11 times: seconds for one Query of 1k entries. Only top-level attribute names take the fast
    path, with moto's own conversion functions; nested paths go to the original.
    """
    from moto.dynamodb.models.dynamo_type import Item, serializer

    if getattr(Item, "_bench_patched", False):
        return
    original = Item.project

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        if any(len(path) != 1 or "[" in path[0] for path in projection_expressions):
            return original(self, projection_expressions)
        plain = self.to_regular_json()
        kept = {path[0]: plain[path[0]] for path in projection_expressions if path[0] in plain}
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=serializer.serialize(kept)["M"])

    Item.project = project  # type: ignore[method-assign]
    Item._bench_patched = True  # type: ignore[attr-defined]


_FAST_ACTIONS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
_CHECKED_RESPONSES = 5


def _json_default(value: Any) -> str:
    if isinstance(value, bytes):  # binary attributes travel base64-encoded
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


def plain_json_reads() -> None:
    """Patch moto (in this process) to answer DynamoDB reads with `json.dumps` of what it computed.

    moto 5.2 serializes every answer by walking botocore's output shape, which costs milliseconds
    per item with nested maps (a year of status rollups: seconds per Query). DynamoDB's JSON protocol
    is the result as it stands, so reads skip the walk. The first answers are serialized both ways
    and compared, so a moto upgrade that changes the shape of a result stops the bench instead of
    feeding it wrong answers.
    """
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_bench_patched", False):
        return
    original = DynamoHandler.serialized
    checked = [0]

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if self._get_action() not in _FAST_ACTIONS or not isinstance(result, dict):
            return original(self, action_result)
        body = json.dumps(result, default=_json_default)
        if checked[0] < _CHECKED_RESPONSES:
            checked[0] += 1
            expected = json.loads(original(self, action_result)[2])
            if json.loads(body) != expected:
                raise RuntimeError(
                    f"bench: moto's {self._get_action()} answer changed shape; drop plain_json_reads"
                )
        headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
        return 200, headers, body

    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    DynamoHandler._bench_patched = True  # type: ignore[attr-defined]


@dataclass
class BenchStore:
    """moto with every table/bucket/queue of template.yaml; `endpoint` for the scenario processes."""

    template: Template
    endpoint: str
    session: Any

    def table_name(self, logical_id: str) -> str:
        return self.template.physical_name(logical_id)

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def table(self, logical_id: str) -> Any:
        return self.session.resource("dynamodb").Table(self.table_name(logical_id))

    def load(self, logical_id: str, items: Iterable[dict[str, Any]]) -> int:
        """Put items straight into moto's table, as its BatchWriteItem handler does for each request.

        Going through boto3 (BatchWriteItem, 25 at a time) costs twice as long: serializing and
        validating every request and moto parsing it back. Returns the number of items written.
        """
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][FAKE_CREDENTIALS["AWS_DEFAULT_REGION"]]
        name = self.table_name(logical_id)
        serialize = TypeSerializer().serialize
        written = 0
        # A bulk load is a restore, not traffic: it leaves no stream records (100k of them would be
        # hundreds of MB in moto); the aggregates it would have produced are loaded with it.
        moto_table = backend.get_table(name)
        shard, moto_table.stream_shard = moto_table.stream_shard, None
        try:
            for item in items:
                backend.put_item(name, {key: serialize(value) for key, value in item.items()})
                written += 1
        finally:
            moto_table.stream_shard = shard
        return written


@contextmanager
def bench_store() -> Iterator[BenchStore]:
    """Start moto in-process (bulk loads go straight to it) and serve the same state on 127.0.0.1."""
    os.environ.update(FAKE_CREDENTIALS)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    partition_queries()
    no_item_size_check()
    single_conversion_projection()
    plain_json_reads()
    with mock_aws():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            template = load_template()
            session = boto3.Session()
            create_resources(template, session, endpoint=None)  # type: ignore[arg-type]
            yield BenchStore(template, f"http://{host}:{port}", session)
        finally:
            server.stop()
