"""Demo data: runs the per-area seeders (apps, groups, compliance, rollups) in dependency order.

Each seeder is `fleetreport_local.seed_<area>.seed(ctx) -> list[str]` and returns lines worth printing
(curl examples, ids). A seeder that is not written yet is skipped with a log line; one that fails is
logged (in one line; with its traceback when verbose) and the others still run, so a broken seeder never
takes the stack down.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from fleetreport_local.seeding import SeedContext

log = logging.getLogger("fleetreport.local.seed")

SEEDERS = ("seed_apps", "seed_groups", "seed_releases", "seed_compliance", "seed_rollups")
# What the progress line says while each seeder runs.
LABELS = {
    "seed_apps": "demo apps",
    "seed_groups": "report groups (35 days of history)",
    "seed_releases": "release beacons (15 days)",
    "seed_compliance": "compliance snapshots (120 days)",
    "seed_rollups": "daily rollups",
}


def run_seeders(
    ctx: SeedContext,
    seeders: tuple[str, ...] = SEEDERS,
    on_step: Callable[[str], None] | None = None,
) -> list[str]:
    """Run every available seeder in order; returns the lines they asked to print. `on_step` hears
    each seeder's label as it starts (the progress line of `fleetreport serve`)."""
    lines: list[str] = []
    for name in seeders:
        if on_step is not None:
            on_step(f"seeding {LABELS.get(name, name)}")
        module_name = f"fleetreport_local.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            log.warning("seed: %s is not there yet; skipping it", module_name)
            continue
        log.info("seed: running %s", module_name)
        try:
            lines += [str(line) for line in module.seed(ctx) or []]
        except Exception as exc:  # one broken seeder must not stop the stack or the other seeders
            # One line by default; the traceback with --verbose (or LOG_LEVEL=INFO/DEBUG).
            log.error(
                "seed: %s failed: %s: %s",
                name,
                type(exc).__name__,
                exc,
                exc_info=log.isEnabledFor(logging.INFO),
            )
    return lines
