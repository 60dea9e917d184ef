"""The e2e harness: the local stack as a subprocess, its own demo data, and headless Debian Chromium.

Chromium comes from `make browsers` (apt), never from `playwright install` (it downloads browsers).
Without /usr/bin/chromium or the playwright package every test here is skipped, with the reason.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dashboard_support import Api, World, create_world

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
FLEETREPORT = Path(sys.executable).parent / "fleetreport"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_SECONDS = 180


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip (with the reason) rather than fail where no browser can run."""
    reason = None
    if not CHROMIUM.exists():
        reason = "e2e: /usr/bin/chromium is missing (run `make browsers`, as root)"
    elif importlib.util.find_spec("playwright") is None:
        reason = "e2e: the playwright package is not installed (make venv)"
    if reason:
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


# ---------------------------------------------------------------------- the local stack
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_stack(process: subprocess.Popen[bytes], state_dir: Path, logs: Path) -> dict[str, Any]:
    """stack.json appears once the stack answers and demo data is seeded."""
    deadline = time.monotonic() + STARTUP_SECONDS
    stack_file = state_dir / "stack.json"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"fleetreport serve exited with {process.returncode}:\n{_tail(logs)}")
        if stack_file.exists():
            try:
                return dict(json.loads(stack_file.read_text()))
            except ValueError:
                pass  # being written
        time.sleep(0.25)
    pytest.fail(f"fleetreport serve did not start in {STARTUP_SECONDS}s:\n{_tail(logs)}")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """`fleetreport serve --no-seed --port <free>` and an admin token for its tenant."""
    state_dir = tmp_path_factory.mktemp("stack-state")
    logs = state_dir / "serve.log"
    env = {**os.environ, "FLEETREPORT_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    with logs.open("wb") as log:
        process = subprocess.Popen(
            # The tests make their own data (dashboard_support): the demo seed would only cost time.
            [str(FLEETREPORT), "serve", "--no-seed", "--port", str(_free_port())],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        info = _wait_for_stack(process, state_dir, logs)
        token = subprocess.run(
            [str(FLEETREPORT), "token", "--role", "admin", "--owner", info["tenant"], "--sub", "e2e-admin"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        yield Api(info["api"], token)
    finally:
        _stop(process)


# ---------------------------------------------------------------------- the tests' own data
@pytest.fixture(scope="session")
def world(api: Api) -> World:
    return create_world(api)


# ---------------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class Console:
    """What the page complained about: uncaught errors and CSP refusals fail the test."""

    problems: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        text = message.text
        # A 4xx answer is logged by Chromium as a failed resource; the tests provoke some on purpose.
        if message.type == "error" and "Failed to load resource" not in text:
            self.problems.append(f"console: {text}")

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"page error: {error}")


@pytest.fixture
def page(browser: Any, api: Api) -> Iterator[Any]:
    """A fresh tab (own sessionStorage) at 1280 px, failing the test on script errors or CSP refusals."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, base_url=api.base
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    console = Console()
    tab.on("console", console.on_console)
    tab.on("pageerror", console.on_page_error)
    yield tab
    context.close()
    assert not console.problems, console.problems


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
