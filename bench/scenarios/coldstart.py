"""Cold start and package size of the built functions (`make build` output in .aws-sam/build).

A cold start is measured as Lambda pays it: a fresh interpreter imports the handler module from the
function's build directory with the built layer on `sys.path` (boto3 comes from the runtime: here,
the venv's site-packages), clients created at import included. `python -I -S` keeps the venv's own
path hooks (the editable install of the source tree) out. The floor is SPEC §7's: the same
interpreter doing only what any such handler must — `import boto3`, Powertools'
`APIGatewayHttpResolver(enable_validation=True)` and one low-level DynamoDB client with the SPEC §8
config (standard retries, timeouts). Runs are interleaved (floor, fn1, fn2, ..., floor, ...) so a
slow moment of the machine hits every target alike; medians are compared.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
from functools import lru_cache
from pathlib import Path
from typing import Any

from fleetreport_local.environment import single_function_environment
from fleetreport_local.hostarch import host_overlay
from fleetreport_local.template import ROOT, load_template

from bench.report import Row, unavailable
from bench.scenarios import Sizes

BUILD = ROOT / ".aws-sam" / "build"
LAYER = BUILD / "SharedLayer" / "python"
CRYPTO_LAYER = BUILD / "CryptoLayer"
COLD_BUDGET_RATIO = 1.10
PACKAGE_BUDGET_MB = 20.0
COLD_BUDGET = f"≤ {COLD_BUDGET_RATIO}x the floor"
PACKAGE_BUDGET = f"function + layer ≤ {PACKAGE_BUDGET_MB:.0f} MB unzipped"

# What a handler loads at import and what it defers, decided with SnapStart in mind (SPEC §7, §11).
SNAPSTART_NOTE = (
    "On AWS the API functions run with SnapStart: init runs once per published version and every "
    "container restores its snapshot, so what a handler imports at init is nearly free there and "
    "what it defers is paid again by each restored container on first use. Handlers therefore "
    "import at init everything most of their requests need (resolver, request models, JWT "
    "verifier, domain, clients: this row's budget measures that, for the runs without SnapStart: "
    "sam local, the first requests while a version is published); they defer only what few "
    "requests or configurations need: cryptography and the JWKS client (RS256/ES256 only), the "
    "Secrets Manager client (JWT_SECRET_ARN only, once per container), the idempotency layer of "
    "the events function, CSV output, S3 in the groups function (blob lists and deletes), the alert "
    "rules and alert log in the admin function (3 seldom-called routes; preloaded before the SnapStart "
    "snapshot), and the pydantic schemas of the apps and groups answers (`defer_build`: each is built "
    "on its route's first answer, so the ingest function, which imports them only for the OpenAPI "
    "document, never builds them)"
)
_HANDLER = """
import sys, time
started = time.perf_counter()
sys.path[:0] = [path for path in sys.argv[1:5] if path]
import app
print(time.perf_counter() - started)
"""
_FLOOR = """
import sys, time
started = time.perf_counter()
sys.path[:0] = [path for path in sys.argv[2:5] if path]
import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
APIGatewayHttpResolver(enable_validation=True)
from botocore.config import Config
config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5,
                signature_version="s3v4")
boto3.client("dynamodb", config=config)
print(time.perf_counter() - started)
"""
# For reference: the same floor building boto3's DynamoDB resource instead of the client (what the
# handlers did before they moved to the low-level client), to show what that interface costs.
_RESOURCE_FLOOR = _FLOOR.replace(
    'boto3.client("dynamodb", config=config)', 'boto3.resource("dynamodb", config=config)'
)


def _site_packages() -> str:
    return sysconfig.get_paths()["purelib"]


def _environment(function: Any) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTHON"))}
    env.update(single_function_environment(function, {}))
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # clients are created, never called
        }
    )
    return env


@lru_cache(maxsize=1)
def _host_overlay() -> str:
    """The layer is built for arm64: on another machine its native modules come from the venv."""
    overlay = host_overlay(LAYER, Path(_site_packages()), BUILD.parent / "host-overlay")
    return str(overlay) if overlay else ""


def _import_seconds(script: str, function_dir: Path, env: dict[str, str]) -> float:
    paths = [str(function_dir), _host_overlay(), str(LAYER), _site_packages()]
    finished = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, *paths],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"import of {function_dir.name} failed: {finished.stderr.strip()[-600:]}")
    return float(finished.stdout.strip().splitlines()[-1])


def _built_functions() -> dict[str, Any]:
    functions = load_template().functions()
    return {
        logical_id: fn
        for logical_id, fn in sorted(functions.items())
        if (BUILD / logical_id / "app.py").exists()
    }


def cold_start_rows(sizes: Sizes) -> list[Row]:
    if not LAYER.exists():
        return [unavailable("cold_start", "cold start", COLD_BUDGET, "no .aws-sam/build: run `make build`")]
    functions = _built_functions()
    first = next(iter(functions.values()))
    samples: dict[str, list[float]] = {"floor": [], "resource": [], **{name: [] for name in functions}}
    for _ in range(max(1, sizes.cold_runs)):
        samples["floor"].append(_import_seconds(_FLOOR, BUILD / first.logical_id, _environment(first)))
        samples["resource"].append(
            _import_seconds(_RESOURCE_FLOOR, BUILD / first.logical_id, _environment(first))
        )
        for logical_id, function in functions.items():
            samples[logical_id].append(_import_seconds(_HANDLER, BUILD / logical_id, _environment(function)))
    floor = statistics.median(samples["floor"])
    rows = [
        Row(
            "cold_start",
            "cold start floor: boto3 + APIGatewayHttpResolver + 1 low-level DynamoDB client (§8 config)",
            "(the baseline)",
            measured=f"{floor * 1000:.0f} ms (median of {len(samples['floor'])})",
            wall="1.00",
            note=SNAPSTART_NOTE,
        )
    ]
    resource = statistics.median(samples["resource"])
    rows.append(
        Row(
            "cold_start",
            "cold start floor with boto3's DynamoDB resource instead of the client",
            "(for reference)",
            measured=f"{resource / floor:.2f}x the floor ({resource * 1000:.0f} ms)",
            wall=f"{resource / floor:.2f}",
        )
    )
    for logical_id in functions:
        median = statistics.median(samples[logical_id])
        ratio = median / floor
        spread = ""
        if len(samples[logical_id]) >= 4:
            low, _, high = statistics.quantiles(samples[logical_id], n=4)
            spread = f"; middle half of runs {low / floor:.2f}-{high / floor:.2f}x"
        over = ratio > COLD_BUDGET_RATIO
        rows.append(
            Row(
                "cold_start",
                f"cold start: {logical_id}",
                COLD_BUDGET,
                measured=f"{ratio:.2f}x the floor ({median * 1000:.0f} ms{spread})",
                wall=f"{ratio:.2f}",
                checks=[(COLD_BUDGET, not over)],
                note=(
                    "besides the floor's work this handler imports the JWT verifier, its domain and "
                    "its routes' request models: see the spread of single runs for the machine's share"
                    if over
                    else ""
                ),
            )
        )
    return rows


def _megabytes(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1_000_000


def package_rows() -> list[Row]:
    if not LAYER.exists():
        return [
            unavailable("package_size", "package size", PACKAGE_BUDGET, "no .aws-sam/build: run `make build`")
        ]
    layer = _megabytes(BUILD / "SharedLayer")
    rows = []
    for logical_id in _built_functions():
        size = _megabytes(BUILD / logical_id) + layer
        rows.append(
            Row(
                "package_size",
                f"package: {logical_id} + SharedLayer",
                PACKAGE_BUDGET,
                measured=f"{size:.2f} MB (layer {layer:.2f} MB)",
                checks=[(PACKAGE_BUDGET, size <= PACKAGE_BUDGET_MB)],
            )
        )
    if CRYPTO_LAYER.exists():
        rows.append(
            Row(
                "package_size",
                "package: CryptoLayer (optional, only with a JWKS URL)",
                "reported apart (not in the budget)",
                measured=f"{_megabytes(CRYPTO_LAYER):.2f} MB",
            )
        )
    return rows
