"""One scenario in its own process, so its peak RSS is the handler's and nobody else's.

The orchestrator (`bench.run`) holds the data in moto and starts `python -m bench.worker NAME` with
AWS_ENDPOINT_URL pointing at it, the functions' environment from template.yaml, and a JSON file of
parameters. The worker imports the real handlers through the local invoker (as a warm Lambda
container would hold them), counts every call with `bench.measure.CallLog`, and writes its answer as
JSON. It never imports moto.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# name -> "module:function" run in the worker; each takes (WorkerContext, params) and returns a dict.
WORKER_SCENARIOS = {
    "list_groups": "bench.scenarios.groups:measure_list",
    "group_trend": "bench.scenarios.groups:measure_group_trend",
    "list_groups_100k": "bench.scenarios.big_app:measure_big_list",
    "ingest": "bench.scenarios.ingest:measure_ingest",
    "compliance_reports": "bench.scenarios.compliance:measure_reports",
    "rollup": "bench.scenarios.compliance:measure_rollup",
}


class NotAvailable(Exception):
    """The feature a scenario measures has not landed (its route answers 501, its report is unknown)."""


class ScenarioError(Exception):
    """The system answered something a scenario cannot measure (a 4xx/5xx it did not expect)."""


@dataclass
class Measured:
    cost: Any  # bench.measure.Cost
    seconds: float
    baseline: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline if self.baseline else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"cost": self.cost.to_dict(), "seconds": self.seconds, "ratio": self.ratio}


@dataclass
class WorkerContext:
    invoker: Any  # fleetreport_local.invoker.Invoker
    calls: Any  # bench.measure.CallLog
    template: Any
    baseline: float = 0.0
    notes: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        """One API request through the real handler; a 501 (or an unknown report) means "not built yet"."""
        answer = self.invoker.http(method, path, **kwargs)
        if answer.status == 501 or (answer.status == 404 and b"displayMessage" in answer.body):
            raise NotAvailable(f"{method} {path} answered {answer.status}: {answer.text[:200]}")
        if answer.status != expect:
            raise ScenarioError(f"{method} {path} answered {answer.status}: {answer.text[:300]}")
        return answer

    def measure(self, operation: Callable[[], Any], repeat: int) -> Measured:
        """Warm once (imports, caches), then `repeat` timed warm runs, the first of them costed."""
        import statistics
        import time

        operation()
        samples = []
        for run in range(max(1, repeat)):
            started = time.perf_counter()
            if run == 0:
                with self.calls.window() as cost:
                    operation()
            else:
                operation()
            samples.append(time.perf_counter() - started)
        return Measured(cost, statistics.median(samples), self.baseline)


def _patient_clients() -> None:
    """The functions give up on a DynamoDB answer after 5 s (`CLIENT_CONFIG`), right for DynamoDB; moto
    walking a 100k-item table on a busy machine can take longer, and a timeout would become a 503.
    Only the timeout changes: retries and everything else stay as deployed."""
    from botocore.config import Config
    from fleetreport.storage import aws

    aws.CLIENT_CONFIG = aws.CLIENT_CONFIG.merge(Config(read_timeout=300))
    aws.reset_clients()


def _context() -> WorkerContext:
    import boto3
    from fleetreport_local.invoker import Invoker
    from fleetreport_local.template import load_template

    from bench.measure import CallLog, getitem_round_trip

    _patient_clients()

    template = load_template()
    names = {template.physical_name(t): t for t in template.resources("AWS::DynamoDB::Table")}
    calls = CallLog(names)
    boto3.setup_default_session()
    calls.install(boto3.DEFAULT_SESSION.events)  # type: ignore[attr-defined]
    baseline_client = boto3.Session().client("dynamodb")  # a separate session: never counted
    baseline = getitem_round_trip(baseline_client, template.physical_name("AppsTable"))
    return WorkerContext(Invoker(template), calls, template, baseline)


def main(argv: list[str]) -> int:
    name, params_path, out_path = argv
    params = json.loads(Path(params_path).read_text())
    try:
        module_name, function_name = WORKER_SCENARIOS[name].split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        context = _context()
        answer: dict[str, Any] = {"status": "ok", "baseline": context.baseline, **function(context, params)}
    except NotAvailable as exc:
        answer = {"status": "n/a", "reason": str(exc)}
    except Exception as exc:  # the orchestrator turns it into an ERROR row
        answer = {
            "status": "error",
            "reason": f"{type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(),
        }
    from bench.measure import peak_rss_mb

    answer["peak_rss_mb"] = peak_rss_mb()
    Path(out_path).write_text(json.dumps(answer, default=str))
    return 0


# ---------------------------------------------------------------------- orchestrator side
# Workers that walk moto's 100k-item indexes: moto answers each index Query by going through the
# whole table, so a walk of 100k entries in ~60 pages takes many minutes on a 2-core machine.
LONG_WORKERS = {"list_groups_100k": 3600.0}


def spawn(name: str, params: dict[str, Any], env: dict[str, str], timeout: float = 900) -> dict[str, Any]:
    """Run one scenario in a fresh worker process; its handler logs go to a file, not the console."""
    timeout = max(timeout, LONG_WORKERS.get(name, 0.0))
    started = time.perf_counter()
    try:
        return _spawn(name, params, env, timeout)
    finally:
        print(f"  worker {name}: {time.perf_counter() - started:.1f}s", file=sys.stderr)


def _spawn(name: str, params: dict[str, Any], env: dict[str, str], timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        params_path, out_path, log_path = (Path(scratch) / n for n in ("params.json", "out.json", "log.txt"))
        params_path.write_text(json.dumps(params))
        with log_path.open("w") as log:
            finished = subprocess.run(
                [sys.executable, "-m", "bench.worker", name, str(params_path), str(out_path)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if finished.returncode != 0 or not out_path.exists():
            tail = log_path.read_text(errors="replace")[-1500:]
            return {"status": "error", "reason": f"worker exited {finished.returncode}: {tail}"}
        return dict(json.loads(out_path.read_text()))


def worker_environment(
    template: Any, endpoint: str, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """This process's environment + every function's env from template.yaml, pointed at `endpoint`."""
    from fleetreport_local.invoker import function_environment
    from fleetreport_local.tokens import DEV_SECRET

    env = dict(os.environ)
    env.update(function_environment(template))
    env.update({"JWT_SECRET": DEV_SECRET, "AWS_ENDPOINT_URL": endpoint, "PYTHONPATH": str(ROOT)})
    env.update(overrides or {})
    return env


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
