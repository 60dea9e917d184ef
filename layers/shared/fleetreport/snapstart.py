"""Lambda SnapStart runtime hooks (SPEC §11): what a restored copy must not share with its siblings.

SnapStart snapshots a function once its init is done and starts every new container from that
snapshot, so anything the init derived from randomness is identical in all of them. `random`'s
state is the one such thing here: the jittered backoff (`clock.backoff`, retry loops on conflicts)
would make every restored container retry in lockstep, which is what jitter exists to prevent.
`secrets`, `uuid.uuid4` and the S3 key suffixes read the kernel's entropy on every call, so they
need nothing. Clients keep their configuration; connections are opened on first use, after restore.

Preloading: a handler may defer a module or a client only some of its routes need (cheap cold
starts without SnapStart, e.g. `sam local` or a first deploy). `preload(...)` names such modules and
`warm(...)` such client factories; on SnapStart they run before the snapshot is taken, so a
restored container never pays for them.

`snapshot_restore_py` ships with the Lambda Python runtime (3.12+) only: elsewhere the hooks are
registered nowhere and these functions are plain callables (the tests call them directly).
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable

_preloads: list[str] = []
_warmers: list[Callable[[], object]] = []


def _noop_register(hook: Callable[[], None]) -> Callable[[], None]:
    return hook


try:  # the Lambda runtime provides it; locally and in tests it is absent
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:
    register_after_restore = register_before_snapshot = _noop_register


def preload(*modules: str) -> None:
    """Import `modules` before the SnapStart snapshot (not now: without SnapStart they stay lazy)."""
    _preloads.extend(module for module in modules if module not in _preloads)


def warm(*factories: Callable[[], object]) -> None:
    """Call `factories` (cached client builders) before the SnapStart snapshot, not now."""
    _warmers.extend(factory for factory in factories if factory not in _warmers)


@register_before_snapshot
def import_preloaded_modules() -> None:
    for module in _preloads:
        importlib.import_module(module)
    for factory in _warmers:
        factory()


@register_after_restore
def reseed_random() -> None:
    """Each restored copy draws its own jitter (the seed comes from os.urandom)."""
    random.seed()
