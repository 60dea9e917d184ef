"""Cold start and package size of the built functions (`make build` output in .aws-sam/build).

A cold start is measured as Lambda pays it: a fresh interpreter imports the handler module from the
function's build directory with the built layer on `sys.path` (boto3 comes from the runtime: here,
the venv's site-packages), clients created at import included. `python -I -S` keeps the venv's own
path hooks (the editable install of the source tree) out. The floor is the same interpreter doing
only what any such handler must: `import boto3`, Powertools' `APIGatewayHttpResolver(
enable_validation=True)` and one boto3 client. Runs are interleaved (floor, fn1, fn2, ..., floor,
...) so a slow moment of the machine hits every target alike; medians are compared.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from fleetreport_local.environment import single_function_environment
from fleetreport_local.template import ROOT, load_template

from bench.report import Row, unavailable
from bench.scenarios import Sizes

BUILD = ROOT / ".aws-sam" / "build"
LAYER = BUILD / "SharedLayer" / "python"
CRYPTO_LAYER = BUILD / "CryptoLayer"
COLD_BUDGET_RATIO = 1.15
PACKAGE_BUDGET_MB = 20.0
COLD_BUDGET = f"≤ {COLD_BUDGET_RATIO}x the floor"
PACKAGE_BUDGET = f"function + layer ≤ {PACKAGE_BUDGET_MB:.0f} MB unzipped"

_HANDLER = """
import sys, time
started = time.perf_counter()
sys.path[:0] = sys.argv[1:4]
import app
print(time.perf_counter() - started)
"""
_FLOOR = """
import sys, time
started = time.perf_counter()
sys.path[:0] = sys.argv[2:4]
import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
APIGatewayHttpResolver(enable_validation=True)
boto3.client("dynamodb")
print(time.perf_counter() - started)
"""
# The floor as SPEC §8 wants a client: standard retries with backoff and short timeouts (the config
# of fleetreport.storage.aws), and through the resource API the handlers use. Reported next to the
# SPEC's floor to show what of a handler's ratio is that, not its own code.
_CONFIGURED_FLOOR = _FLOOR.replace(
    'boto3.client("dynamodb")',
    "from botocore.config import Config\n"
    'boto3.resource("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 4}, '
    'connect_timeout=2, read_timeout=5, signature_version="s3v4"))',
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


def _import_seconds(script: str, function_dir: Path, env: dict[str, str]) -> float:
    finished = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, str(function_dir), str(LAYER), _site_packages()],
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
    samples: dict[str, list[float]] = {"floor": [], "configured": [], **{name: [] for name in functions}}
    for _ in range(max(1, sizes.cold_runs)):
        samples["floor"].append(_import_seconds(_FLOOR, BUILD / first.logical_id, _environment(first)))
        samples["configured"].append(
            _import_seconds(_CONFIGURED_FLOOR, BUILD / first.logical_id, _environment(first))
        )
        for logical_id, function in functions.items():
            samples[logical_id].append(_import_seconds(_HANDLER, BUILD / logical_id, _environment(function)))
    floor = statistics.median(samples["floor"])
    rows = [
        Row(
            "cold_start",
            "cold start floor: boto3 + APIGatewayHttpResolver + 1 client",
            "(the baseline)",
            measured=f"{floor * 1000:.0f} ms (median of {len(samples['floor'])})",
            wall="1.00",
        )
    ]
    configured = statistics.median(samples["configured"])
    rows.append(
        Row(
            "cold_start",
            "cold start floor with the SPEC §8 client: retry/timeout config, DynamoDB resource API",
            "(for reference)",
            measured=f"{configured / floor:.2f}x the floor ({configured * 1000:.0f} ms)",
            wall=f"{configured / floor:.2f}",
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
                measured=f"{ratio:.2f}x the floor ({median * 1000:.0f} ms{spread}; "
                f"{median / configured:.2f}x the configured floor)",
                wall=f"{ratio:.2f}",
                checks=[(COLD_BUDGET, not over)],
                note=(
                    "besides the floor's work this handler imports the JWT verifier, its domain and "
                    "its routes' request models, and builds its DynamoDB client the way SPEC §8 needs "
                    "(standard retries, timeouts) through the resource API: see its ratio to the "
                    "configured floor, and the spread of single runs for the machine's share"
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
