"""The local stack's HTTP front door: a threaded HTTP/1.1 server (loopback only) around the Gateway."""

from __future__ import annotations

import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fleetreport_local.gateway import (
    BAD_REQUEST,
    MAX_REQUEST_BYTES,
    TOO_LARGE,
    Gateway,
    Reply,
    gateway_message,
)

log = logging.getLogger("fleetreport.local.access")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_DRAIN_LIMIT = 64 * 1024 * 1024  # read and drop an oversized body up to this, so the client sees the 413
_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    pass


class BadBody(Exception):
    pass


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True  # a kept-alive client connection never blocks shutdown
    block_on_close = False
    request_queue_size = 128

    def __init__(self, host: str, port: int, gateway: Gateway, listen: bool = True) -> None:
        """Bind the port now (a busy one fails here); with `listen=False` connections are refused
        until `listen()` — the stack binds first and listens once its demo data is in place."""
        if host not in LOOPBACK_HOSTS and not host.startswith("127."):
            raise ValueError(f"--host {host}: the local stack only listens on loopback (127.0.0.1)")
        self.gateway = gateway
        super().__init__((host, port), RequestHandler, bind_and_activate=False)
        try:
            self.server_bind()
        except OSError:
            self.server_close()
            raise
        if listen:
            self.listen()

    def listen(self) -> None:
        self.server_activate()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ApiServer

    def serve_request(self) -> None:
        started = time.perf_counter()
        try:
            body = self.read_body()
        except BodyTooLarge:
            reply = gateway_message(*TOO_LARGE)
        except BadBody:
            reply = gateway_message(*BAD_REQUEST)
            self.close_connection = True
        else:
            reply = self.server.gateway.handle(
                self.command,
                self.path,
                self.headers.items(),
                body,
                client=(self.client_address[0], self.client_address[1]),
                server_port=self.server.port,
            )
        self.write_reply(reply)
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.0fms", self.command, self.path, reply.status, elapsed)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = serve_request

    def read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return None
        try:
            length = int(raw_length)
        except ValueError:
            raise BadBody from None
        if length < 0:
            raise BadBody
        if length > MAX_REQUEST_BYTES:
            self._drain(length)
            raise BodyTooLarge
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadBody from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            total += size
            if total > MAX_REQUEST_BYTES:
                self.close_connection = True
                raise BodyTooLarge
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after each chunk
        return b"".join(parts)

    def _drain(self, length: int) -> None:
        if length > _DRAIN_LIMIT:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK))
            if not chunk:
                break
            length -= len(chunk)

    def write_reply(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Replaced by the one access line `serve_request` writes (with the time taken)."""

    def log_message(self, format: str, *args: object) -> None:
        log.warning(format, *args)
