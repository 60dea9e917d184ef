"""What the dashboard's e2e tests share: an API client for setup and oracles, and the data they create."""

from __future__ import annotations

import base64
import gzip
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

EVENT_TYPES = ["crash", "startup_failure", "update_failure", "install_failure", "rollback_failure"]
GROUPS_IN_APP = 25
WITH_DETAILS = (0, 8, 16, 24)  # report i carries a detail payload


@dataclass
class Api:
    """The running stack's API, for setting up data and for oracles the page is compared with."""

    base: str
    token: str

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        return status, json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body


@dataclass
class World:
    """Data these tests created, so they know exactly what the page must show."""

    app_name: str
    app_id: str
    owner_key: str
    consumers: list[str]
    payloads: dict[str, bytes] = field(default_factory=dict)  # reason -> the gzip bytes sent


def _ingest_groups(api: Api, app_name: str, report_key: str) -> dict[str, bytes]:
    payloads = {}
    for i in range(GROUPS_IN_APP):
        reason = f"reason-{i:02d}"
        body: dict[str, Any] = {
            "application": {"name": app_name, "version": "1.0.0", "channel": "stable"},
            "system": {"platform": "windows" if i % 2 else "linux", "arch": "amd64"},
            "event": {"type": EVENT_TYPES[i % len(EVENT_TYPES)], "reason": reason},
        }
        if i in WITH_DETAILS:
            payloads[reason] = gzip.compress(json.dumps({"trace": f"e2e {i}"}).encode())
            body["details"] = {
                "encoding": "gzip+base64",
                "content_type": "application/json",
                "payload": base64.b64encode(payloads[reason]).decode(),
            }
        headers = {"Authorization": f"Bearer {report_key}", "X-Device-ID": f"e2e-device-{i}"}
        status, answer = Api(api.base, report_key).call("POST", "/reports/ingest", body, headers)
        assert status == 202, (status, answer)
    return payloads


def _candlepin_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _compliance_events(owner_key: str, consumers: list[str]) -> list[dict[str, Any]]:
    """Three consumers created 5 days ago (valid, partial, invalid); the partial one valid 2 days ago."""
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=5)
    owner = {"key": owner_key, "displayName": f"E2E {owner_key}"}
    events = []

    def consumer(uuid_: str, at: datetime) -> dict[str, Any]:
        return {
            "uuid": uuid_,
            "name": f"host-{uuid_[:8]}",
            "owner": owner,
            "lastCheckin": _candlepin_time(at),
        }

    def envelope(target: str, timestamp: datetime, entity: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "type": "CREATED",
            "target": target,
            "timestamp": _candlepin_time(timestamp),
            "entity": entity,
        }

    for uuid_, status in zip(consumers, ["valid", "partial", "invalid"], strict=True):
        events.append(
            envelope("CONSUMER", start, {**consumer(uuid_, start), "created": _candlepin_time(start)})
        )
        snapshot = {"status": status, "date": _candlepin_time(start), "reasons": []}
        events.append(envelope("COMPLIANCE", start, {"consumer": consumer(uuid_, start), "status": snapshot}))
    later = today - timedelta(days=2)
    events.append(
        envelope(
            "COMPLIANCE",
            later,
            {
                "consumer": consumer(consumers[1], later),
                "status": {"status": "valid", "date": _candlepin_time(later), "reasons": []},
            },
        )
    )
    return events


def create_world(api: Api) -> World:
    """An app with 25 one-report groups (4 with details) and 3 consumers of one Candlepin owner."""
    suffix = uuid.uuid4().hex[:6]
    status, app = api.call("POST", "/apps", {"name": f"e2e-{suffix}", "reports": True})
    assert status == 201, (status, app)
    payloads = _ingest_groups(api, app["name"], app["report_key"])
    owner_key = f"e2e-owner-{suffix}"
    consumers = [str(uuid.uuid4()) for _ in range(3)]
    status, answer = api.call("POST", "/events", _compliance_events(owner_key, consumers))
    assert status in (200, 201, 202), (status, answer)
    return World(app["name"], app["id"], owner_key, consumers, payloads)
