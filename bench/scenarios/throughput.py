"""Throughput through the local HTTP stack: 8 concurrent clients posting reports into one group.

`fleetreport serve --no-seed` runs as a subprocess with the rate limits switched off (0) and its own
state directory; each client keeps one HTTP/1.1 connection and its own device id. Afterwards the
group's `count` must equal the reports sent (SPEC §8: nothing lost under concurrency).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from fleetreport_local.template import ROOT, load_template
from fleetreport_local.tokens import DEV_SECRET, mint_token

from bench.measure import getitem_round_trip
from bench.report import Row
from bench.scenarios import Sizes

CLIENTS = 8
LOCAL_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}
TENANT = "bench-throughput"
APP_NAME = "Throughput"
BUDGET = "group count == reports sent (SPEC §8); rate reported"
NO_LIMITS = {
    "REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE": "0",
    "REPORTS_RATE_LIMIT_PER_DEVICE_PER_GROUP_PER_HOUR": "0",
    "REPORTS_RATE_LIMIT_PER_GROUP_PER_MINUTE": "0",
}
# Seen while building the bench: 8 threads x 100 `ADD n :one` UpdateItems on one item straight against
# moto's ThreadedMotoServer (no fleetreport code) ended with n = 796. moto applies an update as
# read-modify-write without a lock, so concurrent requests can lose one.
LOST_UPDATES = (
    "Counts lost with every report accepted: the local stack's moto (ThreadedMotoServer) applies "
    "concurrent UpdateItems without a lock, so two ADDs on one item can lose one (reproduced without "
    "fleetreport code: 8 threads x 100 ADDs on one item ended at 796). DynamoDB's UpdateItem is atomic."
)
REPORT = {
    "application": {"name": APP_NAME, "version": "1.0.0", "channel": "stable"},
    "system": {"platform": "linux", "arch": "amd64"},
    "event": {"type": "crash", "reason": "segfault"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalStack:
    """`fleetreport serve` in a subprocess we started (and stop, by its pid)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
        env.update(NO_LIMITS, FLEETREPORT_STATE_DIR=str(state_dir), JWT_SECRET=DEV_SECRET)
        self.log = (state_dir / "serve.log").open("w")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "fleetreport"),
                "serve",
                "--port",
                str(self.port),
                "--no-seed",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        stack_file = self.state_dir / "stack.json"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fleetreport serve exited {self.process.returncode}: {self.log_tail()}")
            if stack_file.exists():
                info = json.loads(stack_file.read_text())
                if info.get("pid") == self.process.pid:
                    return dict(info)
            time.sleep(0.2)
        raise RuntimeError(f"fleetreport serve not ready after {timeout:.0f}s: {self.log_tail()}")

    def peak_rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def log_tail(self) -> str:
        self.log.flush()
        return (self.state_dir / "serve.log").read_text(errors="replace")[-800:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def _request(port: int, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        connection.close()


def _client(
    port: int, key: str, number: int, count: int, statuses: list[int], latencies: list[float]
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {
        "Authorization": f"Bearer {key}",
        "X-Device-ID": f"bench-client-{number}",
        "Content-Type": "application/json",
    }
    payload = json.dumps(REPORT)
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection.request("POST", "/reports/ingest", body=payload, headers=headers)
            answer = connection.getresponse()
            answer.read()
            latencies.append(time.perf_counter() - started)
            statuses.append(answer.status)
    finally:
        connection.close()


def run(sizes: Sizes) -> list[Row]:
    figure = (
        f"throughput: {CLIENTS} clients x {sizes.throughput_reports} reports into one group (local stack)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as scratch:
        stack = LocalStack(Path(scratch))
        try:
            info = stack.wait_ready()
            return [_measure(stack, info, sizes, figure)]
        finally:
            stack.stop()


def _measure(stack: LocalStack, info: dict[str, Any], sizes: Sizes, figure: str) -> Row:
    import boto3

    admin = {"Authorization": f"Bearer {mint_token(role='admin', owner=TENANT, secret=DEV_SECRET)}"}
    status, app = _request(
        stack.port,
        "POST",
        "/apps",
        {**admin, "Content-Type": "application/json"},
        {"name": APP_NAME, "reports": True},
    )
    if status != 201:
        raise RuntimeError(f"POST /apps answered {status}: {app}")
    statuses: list[int] = []
    latencies: list[float] = []
    threads = [
        threading.Thread(
            target=_client,
            args=(stack.port, app["report_key"], n, sizes.throughput_reports, statuses, latencies),
        )
        for n in range(CLIENTS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    sent = CLIENTS * sizes.throughput_reports
    accepted = statuses.count(202)
    group_hash = _group_hash()
    status, group = _request(stack.port, "GET", f"/reports/groups/{group_hash}", admin)
    counted = group["stats"]["count"] if status == 200 else None
    client = boto3.Session(**LOCAL_CREDENTIALS)
    baseline = getitem_round_trip(
        client.client("dynamodb", endpoint_url=info["aws_endpoint"]),
        load_template().physical_name("AppsTable"),
    )
    latency = statistics.median(latencies)
    rss = stack.peak_rss_mb()
    return Row(
        "throughput",
        figure,
        BUDGET,
        measured=f"{sent / elapsed:.0f} reports/s; {accepted}/{sent} accepted, group count {counted}",
        wall=f"{latency / baseline:.1f} (median latency {latency * 1000:.0f} ms)",
        rss=f"{rss:.0f}" if rss else "",
        checks=[
            ("every report accepted (202)", accepted == sent),
            ("group count == reports sent", counted == sent),
        ],
        note=" ".join(
            part
            for part in (
                "RSS is the whole local stack's (moto and every function in one process), not one Lambda's.",
                LOST_UPDATES if counted is not None and accepted == sent and counted < sent else "",
            )
            if part
        ),
    )


def _group_hash() -> str:
    from fleetreport.groups.models import Dimensions

    return Dimensions(
        APP_NAME, "1.0.0", "stable", "linux", "amd64", REPORT["event"]["type"], REPORT["event"]["reason"]
    ).group_hash
