"""Shared fixtures: moto resources built from template.yaml, handlers invoked as API Gateway would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dynamodb_limits
import pytest
from fleetreport.settings import get_settings
from groups_support import ingest, make_app, no_rate_limits, report
from stack_support import Stack, fresh_stack


def pytest_configure(config: pytest.Config) -> None:
    """moto as strict as DynamoDB on its limits, for every DynamoDB call of the run (installed before
    collection, so before any botocore session exists)."""
    dynamodb_limits.install()


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """A fresh moto account with every table, bucket and queue of template.yaml, and the handlers."""
    yield from fresh_stack(monkeypatch)


@pytest.fixture(scope="module")
def module_stack() -> Iterator[Stack]:
    """One stack for a whole module whose tests keep out of each other's way (e.g. one tenant each):
    spares many cheap checks the table creation and handler cold starts of a fresh stack."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from fresh_stack(monkeypatch)


@pytest.fixture
def settings_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Change settings for one test: `settings_env(REPORTS_MAX_BLOBS_PER_GROUP="2")`."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    return apply


@pytest.fixture
def admin(stack: Stack) -> dict[str, str]:
    """Headers of tenant t1's admin, alice (modules that need another admin define their own)."""
    return stack.auth(role="admin", owner="t1", sub="alice")


@pytest.fixture
def group(stack: Stack, settings_env: Any) -> tuple[str, str, str]:
    """(app_id, report key, group hash) of one ingested group, rate limits off."""
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    return app_id, key, ingest(stack, key, report()).json()["group_hash"]
