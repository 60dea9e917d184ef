"""`fleetreport beacon` (SPEC §12) talks to the API like a client app would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fleetreport_local.cli import main


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Recorder.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
        )
        if self.path.startswith("/reports/beacon"):
            self.send_response(204)
            self.end_headers()
            return
        payload = json.dumps({"verdict": "proceed"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _record

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    Recorder.seen = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_beacon_posts_the_faynosync_fields_with_the_key_and_device(api: str) -> None:
    code = main(
        [
            "beacon",
            "--api",
            api,
            "--key",
            "rpk_" + "a" * 64,
            "--app",
            "desktop-client",
            "--version",
            "1.5.0",
            "--channel",
            "stable",
            "--platform",
            "windows",
            "--arch",
            "amd64",
            "--device",
            "laptop-1",
            "--latest",
        ]
    )
    assert code == 0
    [sent] = Recorder.seen
    assert (sent["method"], sent["path"]) == ("POST", "/reports/beacon")
    assert sent["headers"]["authorization"] == "Bearer rpk_" + "a" * 64
    assert sent["headers"]["x-device-id"] == "laptop-1"
    assert json.loads(sent["body"]) == {
        "application": {"name": "desktop-client", "version": "1.5.0", "channel": "stable"},
        "system": {"platform": "windows", "arch": "amd64"},
        "is_latest": True,
    }
