"""The bench's AWS: one in-process moto account, loaded in bulk here and served to the scenario
processes over HTTP on 127.0.0.1 (so each scenario's memory is its own, not moto's).

moto's Query walks and sorts every item of the table before it looks at the partition key, so on a
100k-item table each Query costs what a Scan would. DynamoDB reads one partition. `partition_queries`
makes moto's base-table Query look only at the requested partition, which changes neither the items
returned nor `ScannedCount` (moto filters by that same key), only moto's own time; index queries are
left as moto does them (moto keeps no index structure to read from) and show in the wall-time
figures, which RESULTS.md says.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
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
    """Patch moto (in this process only) so a base-table Query reads one partition, as DynamoDB does."""
    if getattr(Table, "_bench_patched", False):
        return
    original_query = Table.query
    original_all_items = Table.all_items

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        _QUERY_SCOPE.partition = hash_key if index_name is None and hash_key is not None else None
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _QUERY_SCOPE.partition = None

    def all_items(self: Table) -> list[Any]:
        partition = getattr(_QUERY_SCOPE, "partition", None)
        if partition is None:
            return original_all_items(self)
        found = self.items.get(partition)
        if found is None:
            return []
        return list(found.values()) if self.range_key_attr else [found]

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table._bench_patched = True  # type: ignore[attr-defined]


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


@contextmanager
def bench_store() -> Iterator[BenchStore]:
    """Start moto in-process (bulk loads go straight to it) and serve the same state on 127.0.0.1."""
    os.environ.update(FAKE_CREDENTIALS)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    partition_queries()
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
