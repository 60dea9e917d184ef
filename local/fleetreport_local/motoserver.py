"""The embedded moto server, with DynamoDB requests applied one at a time, and a table Query that
reads only its own partition.

Real DynamoDB applies each request atomically (that is what makes `count += 1` in one UpdateItem safe
under concurrency); moto's in-memory backend takes no lock, so two threads' UpdateItems can interleave
and lose a count. Serializing DynamoDB requests restores the service's guarantee - and no more: a
read-modify-write in our own code would still lose counts, as it would on AWS. Other services are left
concurrent so a long-polling SQS receive never stalls the rest.

It listens on 127.0.0.1, and on the same port of any `also_on` address (`fleetreport serve
--storage-host 172.17.0.1`): `sam local` containers on Linux reach the host through the Docker bridge,
never through its loopback. One app serves every address, so they share the data and the lock.

moto 5.2's `Table.query` finds a partition by sorting every item of the table (`all_items()`, with
DynamoType comparisons) and keeping those with the asked hash key: each Query costs the whole table.
The demo's rollup makes ~2,000 of them on a compliance table of ~1,000 items (16 change-log shards a
day for 120 days), which took 47 of a first `make run`'s 59 s. `one_partition_queries` hands moto's
own query only the asked partition's items, the only ones its hash-key filter keeps: same answers,
same order, same pages, at the cost of the partition. Index queries are left as they are. And moto
lists its own package directory (a listdir and ~160 stats) on every request to route it by host name;
`once_listed_modules` lists it once (the installed package does not change while the server runs).

A server that runs for days must not hold every request's history: moto's tracking of per-request
objects is turned off in this process (`moto_memory`), and `stream_backends` hands the stream poller
the backends it drops delivered records and used shard iterators from.
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto import backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodbstreams.models import dynamodbstreams_backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from fleetreport_local.moto_memory import forget_request_models

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def dynamodb_one_at_a_time(app: WsgiApp) -> WsgiApp:
    lock = threading.Lock()

    def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))  # the body is produced inside the lock too

    return serialized


class CannotListen(OSError):
    """An `also_on` address this machine cannot listen on (not one of its addresses, or busy)."""


_asked = threading.local()  # the partition a table Query of this thread is reading, while it runs


def one_partition_queries() -> None:
    """Patch moto's Table so a Query on the table itself (not an index) sorts only its partition
    (see the module docstring). Idempotent; moto is pinned, so the two methods' contract is known."""
    if getattr(Table.query, "one_partition", False):
        return
    moto_query, moto_all_items = Table.query, Table.all_items

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or not self.range_key_attr or hash_key is None:
            return moto_query(self, hash_key, *args, **kwargs)
        _asked.partition = (self, hash_key)
        try:
            return moto_query(self, hash_key, *args, **kwargs)
        finally:
            _asked.partition = None

    def all_items(self: Table) -> list[Any]:
        asked = getattr(_asked, "partition", None)
        if asked is None or asked[0] is not self:
            return moto_all_items(self)
        return sorted(self.items.get(asked[1], {}).values(), key=lambda item: item.range_key)

    query.one_partition = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def once_listed_modules() -> None:
    """moto's service modules, listed once per process instead of once per request."""
    if getattr(backends.list_of_moto_modules, "cache_info", None) is not None:
        return
    listed = functools.cache(lambda: tuple(moto_modules()))
    moto_modules = backends.list_of_moto_modules
    backends.list_of_moto_modules = listed


class EmbeddedMotoServer(ThreadedMotoServer):
    def __init__(self, also_on: tuple[str, ...] = ()) -> None:
        # 0.0.0.0 includes the loopback: then it is the one address (a second bind would collide)
        everywhere = "0.0.0.0" in also_on
        super().__init__(ip_address="0.0.0.0" if everywhere else "127.0.0.1", port=0, verbose=False)
        self._app = dynamodb_one_at_a_time(DomainDispatcherApplication(create_backend_app))
        self._also_on = () if everywhere else tuple(h for h in also_on if h != "127.0.0.1")
        self._extra: list[BaseWSGIServer] = []
        one_partition_queries()
        once_listed_modules()
        forget_request_models()

    @property
    def hosts(self) -> list[str]:
        """Every address it listens on (the loopback first)."""
        return [self._ip_address, *self._also_on]

    def start(self) -> None:
        """Start on 127.0.0.1 (a free port), then on that port of each `also_on` address; an address
        that cannot be bound raises CannotListen after the server is stopped again."""
        super().start()
        _, port = self.get_host_and_port()
        try:
            for host in self._also_on:
                _claim(host, port)  # werkzeug exits the process on a bind error: fail as OSError first
                server = make_server(host, port, self._app, threaded=True, request_handler=MotoRequestHandler)
                self._extra.append(server)
                threading.Thread(target=server.serve_forever, name=f"moto-{host}", daemon=True).start()
        except OSError as exc:
            self.stop()
            raise CannotListen(f"storage cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    def stop(self) -> None:
        for server in self._extra:
            server.shutdown()
            server.server_close()
        self._extra.clear()
        super().stop()

    def stream_backends(self, region: str) -> tuple[Any, Any]:
        """moto's DynamoDB and DynamoDB Streams backends of `region` (the local credentials' account)."""
        return dynamodb_backends[DEFAULT_ACCOUNT_ID][region], dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][
            region
        ]

    @property
    def endpoint(self) -> str:
        _, port = self.get_host_and_port()
        return f"http://127.0.0.1:{port}"

    def _server_entry(self) -> None:
        """ThreadedMotoServer's own entry point, with the DynamoDB lock around the WSGI app."""
        self._server = make_server(
            self._ip_address, self._port, self._app, threaded=True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def _claim(host: str, port: int) -> None:
    """Raise OSError when `host:port` cannot be bound (an address this machine does not have)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
