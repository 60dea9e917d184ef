"""A newcomer's first minutes (issue 15): `make run` as a subprocess, as the README tells people to run it.

It prints one progress line per start-up step and then ONE banner, with no JSON log line at the default
level; the port refuses connections until the demo data is in place, so the very first request that
gets through already sees the report groups with their weeks of history.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleetreport_local.tokens import mint_token

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 300  # seeding 35 days of groups and 120 days of snapshots on a busy 2-core box
BANNER_FIRST = "fleetreport is running:"
BANNER_LAST = "Ctrl-C stops the stack"
ACCESS_LINE = re.compile(r"^\d\d:\d\d:\d\d (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S* \d{3} \d+ms$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Output:
    """The merged stdout/stderr of the child, collected line by line by a thread."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for raw in iter(stream.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def wait_for(self, text: str, process: subprocess.Popen[bytes], deadline: float) -> None:
        while not any(text in line for line in self.lines):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no {text!r} in the output of make run:\n" + "\n".join(self.lines[-40:]))
            time.sleep(0.1)


@pytest.fixture(scope="module")
def make_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[bytes], Output, int]]:
    if shutil.which("make") is None:
        pytest.fail("make is not installed")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "JWT_", "REPORTS_", "LOG_LEVEL"))}
    env.pop("POWERTOOLS_LOG_LEVEL", None)
    env.pop("FLEETREPORT_DEV_SECRET", None)
    env.pop("MAKEFLAGS", None)
    env.update(
        {
            "PORT": str(port),
            "FLEETREPORT_STATE_DIR": str(tmp_path_factory.mktemp("state")),
            "PYTHONUNBUFFERED": "1",
        }
    )
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # make and the server in a group of their own, stopped together
    )
    assert process.stdout is not None
    output = Output(process.stdout)
    yield process, output, port
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for_port(process: subprocess.Popen[bytes], output: Output, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited {process.returncode}:\n" + "\n".join(output.lines[-40:]))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"port {port} never opened:\n" + "\n".join(output.lines[-40:]))


def get(port: int, path: str) -> Any:
    token = mint_token(role="admin", owner="demo")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        return json.loads(answer.read())


@pytest.mark.stack
def test_the_first_request_after_the_port_opens_sees_groups_with_weeks_of_history(
    make_run: tuple[subprocess.Popen[bytes], Output, int],
) -> None:
    process, output, port = make_run
    wait_for_port(process, output, port)
    page = get(port, "/reports/groups?app=desktop-client&limit=100")
    first_days = {group["stats"]["first_seen"][:10] for group in page["items"]}
    assert page["total"] >= 8
    assert len(first_days) > 1  # groups appeared on different days
    spans = [(group["stats"]["first_seen"][:10], group["stats"]["last_seen"][:10]) for group in page["items"]]
    assert any(first < last for first, last in spans)  # a group reported over more than one day
    statuses = {group["status"] for group in page["items"]}
    assert {"open", "resolved", "muted"} <= statuses
    trend = get(port, "/reports/group_trend/run?app=desktop-client")
    days_with_reports = [day for day, counts in trend.items() if counts]
    assert len(days_with_reports) >= 30
    assert max(sum(counts.values()) for counts in trend.values()) >= 50  # the bad release's spike


@pytest.mark.stack
def test_the_demo_story_has_raised_new_spike_and_regressed_alerts_by_the_first_request(
    make_run: tuple[subprocess.Popen[bytes], Output, int],
) -> None:
    process, output, port = make_run
    wait_for_port(process, output, port)
    signals = Counter(alert["signal"] for alert in get(port, "/alerts?limit=100")["items"])
    assert signals["group.new"] >= 12  # every demo group's first report
    assert signals["group.spike"] >= 1  # desktop-client 1.5.0, the hour after its first report
    assert signals["group.regressed"] == 1  # the resolved 1.5.0 crash group, reported again
    assert signals["group.unmuted"] == 1  # `signature`, muted for 3 more reports 15 days ago


@pytest.mark.stack
def test_the_first_run_shows_a_release_whose_gate_halts_and_one_whose_gate_proceeds(
    make_run: tuple[subprocess.Popen[bytes], Output, int],
) -> None:
    process, output, port = make_run
    wait_for_port(process, output, port)
    apps = get(port, "/apps")
    items = apps["items"] if isinstance(apps, dict) else apps
    app_id = next(app["id"] for app in items if app["name"] == "desktop-client")
    verdicts = {
        version: get(port, f"/apps/{app_id}/releases/{version}/gate")["verdict"]
        for version in ("1.5.0", "1.5.1")
    }
    assert verdicts == {"1.5.0": "halt", "1.5.1": "proceed"}
    versions = [item["version"] for item in get(port, f"/apps/{app_id}/releases")["items"]]
    assert {"1.4.2", "1.5.0", "1.5.1"} <= set(versions)
    unhealthy = get(port, "/alerts?signal=release.unhealthy&limit=100")["items"]
    assert unhealthy and all('"1.5.0"' in json.dumps(alert) for alert in unhealthy)  # the bad release only


@pytest.mark.stack
def test_make_run_prints_progress_then_one_banner_and_no_json_logs(
    make_run: tuple[subprocess.Popen[bytes], Output, int],
) -> None:
    process, output, port = make_run
    output.wait_for(BANNER_LAST, process, time.monotonic() + START_TIMEOUT)
    lines = list(output.lines)
    first = next(n for n, line in enumerate(lines) if line.startswith(BANNER_FIRST))
    before, banner = lines[:first], lines[first:]
    assert before, "no progress line before the banner"
    assert all(line.startswith("starting: [") for line in before), before
    assert not [line for line in lines if line.lstrip().startswith("{")]  # no JSON log line at all
    assert sum(line.startswith(BANNER_FIRST) for line in lines) == 1
    exports = [line for line in banner if line.strip().startswith("export TOKEN=")]
    assert len(exports) == 1
    assert sum("eyJ" in line for line in banner) == 1  # the token appears once; curl lines use $TOKEN
    assert any('"Authorization: Bearer $TOKEN"' in line for line in banner)
    assert f"http://127.0.0.1:{port}/swagger" in "\n".join(banner)
    assert "fleetreport token --help" in "\n".join(banner)
    assert len([line for line in banner if "_CLIENT_KEY=rpk_" in line]) == 2  # the demo apps' keys
    assert not [line for line in lines if ACCESS_LINE.match(line)]  # requests were made: none logged


@pytest.mark.stack
def test_verbose_serve_logs_one_compact_line_per_request(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "JWT_", "REPORTS_", "LOG_LEVEL"))}
    env.update({"FLEETREPORT_STATE_DIR": str(tmp_path / "state"), "PYTHONUNBUFFERED": "1"})
    with log.open("wb") as err:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "fleetreport"),
                "serve",
                "--no-seed",
                "--verbose",
                "--port",
                str(port),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (tmp_path / "state" / "stack.json").exists():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/apps?page=1", timeout=30)  # no token: 401
        while not [line for line in log.read_text().splitlines() if ACCESS_LINE.match(line)]:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # shutting down is test_local_stack's business, not this one's
            process.kill()
            process.wait(timeout=10)
    requests = [line for line in log.read_text().splitlines() if ACCESS_LINE.match(line)]
    assert len(requests) == 1
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET /apps\?page=1 401 \d+ms", requests[0])
    assert not [line for line in log.read_text().splitlines() if line.startswith("{")]
