"""The embedded moto server, with DynamoDB requests applied one at a time.

Real DynamoDB applies each request atomically (that is what makes `count += 1` in one UpdateItem safe
under concurrency); moto's in-memory backend takes no lock, so two threads' UpdateItems can interleave
and lose a count. Serializing DynamoDB requests restores the service's guarantee - and no more: a
read-modify-write in our own code would still lose counts, as it would on AWS. Other services are left
concurrent so a long-polling SQS receive never stalls the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def dynamodb_one_at_a_time(app: WsgiApp) -> WsgiApp:
    lock = threading.Lock()

    def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))  # the body is produced inside the lock too

    return serialized


class EmbeddedMotoServer(ThreadedMotoServer):
    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def _server_entry(self) -> None:
        """ThreadedMotoServer's own entry point, with the DynamoDB lock around the WSGI app."""
        app = dynamodb_one_at_a_time(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
