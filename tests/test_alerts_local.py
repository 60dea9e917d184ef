"""Alerts on the local stack (SPEC §10): `fleetreport serve` wires the stream, the bus, the delivery
queue and a real webhook; `fleetreport alerts tail` prints the signals. Every signal that HTTP alone
can cause in real time (new, regressed, unmuted) goes end to end here; spikes need earlier hours (a
rolled-up baseline): tests/test_alerts_signals.py drives one through HTTP ingest on the in-process
stack with a test clock."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from alerts_support import Receiver
from test_local_stack import (
    FLEETREPORT,
    Served,
    bearer,
    call,
    child_env,
    free_port,
    launch,
    stop,
    wait_until_up,
)

LIMITS_OFF = {
    "REPORTS_RATE_LIMIT_PER_GROUP_PER_MINUTE": "0",
    "REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE": "0",
    "REPORTS_RATE_LIMIT_PER_DEVICE_PER_GROUP_PER_HOUR": "0",
}
REPORT = {
    "application": {"name": "alerting", "version": "2.0.0", "channel": "beta"},
    "system": {"platform": "linux", "arch": "arm64"},
    "event": {"type": "crash", "reason": "sigsegv"},
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    stack = wait_until_up(launch(tmp_path_factory.mktemp("alerts"), "--port", str(free_port()), **LIMITS_OFF))
    yield stack
    stop(stack)


def api(
    served: Served, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    sent = {"Content-Type": "application/json", **(headers or bearer(role="admin", owner="demo"))}
    status, _, raw = call(
        method, served.api + path, sent, None if body is None else json.dumps(body).encode()
    )
    return status, json.loads(raw) if raw else None


def wait_for(receiver: Receiver, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while len(receiver.requests) < count and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.mark.stack
def test_signals_reach_a_real_webhook_and_alerts_tail(served: Served) -> None:
    receiver = Receiver()
    try:
        status, app = api(served, "POST", "/apps", {"name": "alerting", "reports": True})
        assert status == 201, app
        rules = {"webhook_url": receiver.url, "min_interval_minutes": 0}
        status, answer = api(served, "PUT", f"/apps/{app['id']}/alerts", rules)
        assert status == 200, answer
        secret = answer["webhook_secret"]
        ingest = {"Authorization": f"Bearer {app['report_key']}", "X-Device-ID": "d1"}
        status, counted = api(served, "POST", "/reports/ingest", REPORT, ingest)
        assert status == 202, counted
        group = counted["group_hash"]
        wait_for(receiver, 1)
        assert api(served, "PATCH", f"/reports/groups/{group}", {"status": "resolved"})[0] == 200
        api(served, "POST", "/reports/ingest", REPORT, ingest)
        wait_for(receiver, 2)
        assert (
            api(served, "PATCH", f"/reports/groups/{group}", {"status": "muted", "mute_until_count": 2})[0]
            == 200
        )
        api(served, "POST", "/reports/ingest", REPORT, ingest)
        api(served, "POST", "/reports/ingest", REPORT, ingest)
        wait_for(receiver, 3)
        kinds = [json.loads(body)["event"]["detail-type"] for _, body in receiver.requests]
        assert kinds == ["group.new", "group.regressed", "group.unmuted"]
        for headers, body in receiver.requests:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert headers["x-fleetreport-signature"] == expected
        link = json.loads(receiver.requests[0][1])["event"]["detail"]["link"]
        assert link == f"{served.api}/#/groups/{group}?app=alerting"
        status, got = api(served, "GET", f"/reports/groups/{group}")
        assert got["status"] == "open" and got["stats"]["count"] == 4
        status, alerts = api(served, "GET", "/alerts?app=alerting")
        assert [a["signal"] for a in alerts["items"]] == ["group.unmuted", "group.regressed", "group.new"]
    finally:
        receiver.close()
    tail = subprocess.run(
        [str(FLEETREPORT), "alerts", "tail", "--json", "--seconds", "3"],
        env=child_env(served.state_dir),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert tail.returncode == 0, tail.stderr.decode()
    events = [json.loads(line) for line in tail.stdout.decode().splitlines()]
    assert [e["detail-type"] for e in events] == ["group.new", "group.regressed", "group.unmuted"]
