"""The built artifacts work on their own (SPEC §6): every handler in `.aws-sam/build` imports from the
built function and layer only (plus what the Lambda runtime provides) and answers a sample event.

Each function runs in its own clean interpreter (`python -I -S`): no site-packages, no editable
install of the source tree, just `<Fn>/`, `SharedLayer/python/` and the runtime's boto3 stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from fleetreport_local.apigw import http_api_event
from fleetreport_local.environment import stack_environment
from fleetreport_local.hostarch import host_overlay
from fleetreport_local.template import load_template
from fleetreport_local.tokens import DEV_SECRET, mint_token

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".aws-sam" / "build"
LAYER = BUILD / "SharedLayer" / "python"
# What the python3.12 Lambda runtime ships besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six.py", "jmespath")
UNREACHABLE = "http://127.0.0.1:9"  # a handler that reached for storage gets a fast connection error

CHILD = r"""
import json, sys
function_dir, overlay_dir, layer_dir, runtime_dir, build_dir, event = sys.argv[1:7]
sys.path[:0] = [path for path in (function_dir, overlay_dir, layer_dir, runtime_dir) if path]

class Context:
    function_name = "packaging"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:packaging"
    aws_request_id = "packaging-test"
    def get_remaining_time_in_millis(self):
        return 29000

import app
import fleetreport
origin = {"fleetreport": fleetreport.__file__, "app": app.__file__}
assert all(path.startswith(build_dir) for path in origin.values()), origin
assert "fleetreport_local" not in sys.modules
answer = {"origin": origin}
if event != "null":
    response = app.lambda_handler(json.loads(event), Context())
    answer["status"] = response.get("statusCode") if isinstance(response, dict) else None
else:
    answer["status"] = None if callable(app.lambda_handler) else "not callable"
print(json.dumps(answer))
"""

# One request per function that needs no data: no credentials (401), or the public dashboard page.
SAMPLE_REQUESTS = {
    "IngestFunction": ("POST", "/reports/ingest"),
    "GroupsFunction": ("GET", "/reports/groups"),
    "CatalogFunction": ("GET", "/reports"),
    "RunReportFunction": ("GET", "/reports/consumer_status/run"),
    "EventsFunction": ("POST", "/events"),
    "AdminFunction": ("GET", "/apps"),
    "UiFunction": ("GET", "/"),
}
# The exact answer each one gives: 401 without credentials; the catalogue, asked with a valid admin
# token (PyJWT and the report declarations from the layer, no storage), and the dashboard page 200.
EXPECTED_STATUS = {logical_id: 401 for logical_id in SAMPLE_REQUESTS} | {
    "CatalogFunction": 200,
    "UiFunction": 200,
}
AUTHORIZED = {"CatalogFunction"}


def require_build() -> None:
    if BUILD.is_dir() and LAYER.is_dir():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{BUILD} is missing: `make test` runs `sam build` first")
    pytest.skip(f"{BUILD} is missing: run `make build` (under CI this fails)")


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only the runtime's own packages, linked from this venv (never fleetreport or the layer's deps)."""
    site = Path(sysconfig.get_paths()["purelib"])
    target = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_PACKAGES:
        (target / name).symlink_to(site / name)
    return target


def host_native_modules(runtime: Path) -> str:
    """The layer is built for arm64 (Lambda's machine): on another one its native modules
    (pydantic-core) come from this venv, the same pinned versions (fleetreport_local.hostarch)."""
    site = Path(sysconfig.get_paths()["purelib"])
    overlay = host_overlay(LAYER, site, runtime.parent / f"{runtime.name}-host-overlay")
    return str(overlay) if overlay else ""


def function_env() -> dict[str, str]:
    template = load_template()
    env = stack_environment(template, {})
    env.update(
        {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "JWT_SECRET": DEV_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": UNREACHABLE,
            "AWS_MAX_ATTEMPTS": "1",
        }
    )
    return env


def launch(logical_id: str, runtime: Path, event: dict[str, Any] | None) -> subprocess.Popen[str]:
    service = load_template().functions()[logical_id].env.get("POWERTOOLS_SERVICE_NAME", logical_id)
    return subprocess.Popen(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            CHILD,
            str(BUILD / logical_id),
            host_native_modules(runtime),
            str(LAYER),
            str(runtime),
            str(BUILD),
            json.dumps(event),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**function_env(), "POWERTOOLS_SERVICE_NAME": service},
        cwd=runtime,
    )


def test_every_function_of_the_template_is_built() -> None:
    require_build()
    missing = [fn for fn in load_template().functions() if not (BUILD / fn / "app.py").exists()]
    assert missing == [], f"not in {BUILD}: {missing} (stale build? run `make build`)"


def test_every_built_handler_imports_from_the_artifacts_and_answers(runtime_dir: Path) -> None:
    require_build()
    functions = [fn for fn in load_template().functions() if (BUILD / fn / "app.py").exists()]
    assert functions
    children = {}
    for logical_id in functions:
        request = SAMPLE_REQUESTS.get(logical_id)
        headers = (
            {"Authorization": f"Bearer {mint_token(secret=DEV_SECRET)}"} if logical_id in AUTHORIZED else None
        )
        event = http_api_event(*request, route_key=" ".join(request), headers=headers) if request else None
        if request == ("GET", "/reports/consumer_status/run"):
            event = http_api_event(
                *request,
                route_key="GET /reports/{report_key}/run",
                path_parameters={"report_key": "consumer_status"},
            )
        children[logical_id] = launch(logical_id, runtime_dir, event)
    answers = {logical_id: answer(child) for logical_id, child in children.items()}
    problems = {fn: a for fn, a in answers.items() if a.get("status", "error") != EXPECTED_STATUS.get(fn)}
    assert problems == {}, f"answers: {answers}"


def answer(child: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = child.communicate(timeout=120)
    if child.returncode != 0:
        return {"error": err.strip().splitlines()[-3:]}
    return dict(json.loads(out.strip().splitlines()[-1]))
