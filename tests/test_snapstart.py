"""SnapStart runtime hooks (SPEC §11): restored copies do not share random state; preloads happen
before the snapshot, not at import."""

from __future__ import annotations

import importlib
import random
import sys
import types
from collections.abc import Callable, Iterator

import pytest
from fleetreport import snapstart


def test_a_restored_copy_draws_other_jitter_than_the_snapshot_would() -> None:
    snapshot = random.getstate()
    as_in_the_snapshot = [random.random() for _ in range(4)]
    random.setstate(snapshot)
    snapstart.reseed_random()
    assert [random.random() for _ in range(4)] != as_in_the_snapshot


def test_preloaded_modules_are_imported_before_the_snapshot_not_when_named() -> None:
    name = "fleetreport.rollup.lag"
    sys.modules.pop(name, None)
    snapstart.preload(name)
    assert name not in sys.modules
    snapstart.import_preloaded_modules()
    assert name in sys.modules


def test_warmed_clients_are_built_before_the_snapshot_not_when_named() -> None:
    built = []
    snapstart.warm(lambda: built.append("s3"))
    assert built == []
    snapstart.import_preloaded_modules()
    assert built == ["s3"]


@pytest.fixture
def lambda_runtime() -> Iterator[dict[str, list[Callable[[], None]]]]:
    """The runtime's `snapshot_restore_py`, recording what registers with it."""
    hooks: dict[str, list[Callable[[], None]]] = {"before_snapshot": [], "after_restore": []}
    runtime = types.ModuleType("snapshot_restore_py")

    def recorder(kind: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def register(hook: Callable[[], None]) -> Callable[[], None]:
            hooks[kind].append(hook)
            return hook

        return register

    runtime.register_before_snapshot = recorder("before_snapshot")  # type: ignore[attr-defined]
    runtime.register_after_restore = recorder("after_restore")  # type: ignore[attr-defined]
    sys.modules["snapshot_restore_py"] = runtime
    try:
        yield hooks
    finally:
        del sys.modules["snapshot_restore_py"]
        importlib.reload(snapstart)


def test_on_lambda_the_hooks_register_with_the_runtime(lambda_runtime: dict[str, list]) -> None:
    module = importlib.reload(snapstart)
    assert [hook.__name__ for hook in lambda_runtime["before_snapshot"]] == ["import_preloaded_modules"]
    assert [hook.__name__ for hook in lambda_runtime["after_restore"]] == ["reseed_random"]
    assert module.reseed_random in lambda_runtime["after_restore"]


def test_every_client_module_registers_the_hooks() -> None:
    from fleetreport.storage import aws

    assert aws.snapstart is snapstart
