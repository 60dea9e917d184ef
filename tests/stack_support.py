"""The in-process stack: moto resources built from template.yaml, handlers invoked as API Gateway would.

A plain module (not conftest) so test modules and support modules can import it by name: a second
conftest.py (tests/e2e) would otherwise shadow `conftest` in sys.modules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "fleetreport",
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

from fleetreport.settings import get_settings
from fleetreport.storage.aws import reset_clients
from fleetreport_local.invoker import Invoker, function_environment
from fleetreport_local.template import Template, create_resources, load_template
from fleetreport_local.tokens import DEV_SECRET, mint_token
from stream_support import stream_pump


class Stack:
    """The whole system in-process on moto: its resources, its handlers and a way to mint tokens."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.invoker = Invoker(template)
        self.invoke = self.invoker.invoke
        self.streams = stream_pump(template)

    def drain(self) -> int:
        """Deliver every pending stream record to its functions (tests/stream_support.py)."""
        return self.streams.pump(self.invoke)

    def http(self, *args: Any, **kwargs: Any) -> Any:
        """A request through API Gateway, after the streams have caught up (as they do within
        a second on AWS): a read sees the aggregates of every earlier change."""
        self.drain()
        return self.invoker.http(*args, **kwargs)

    def name(self, logical_id: str) -> str:
        """Physical name of a resource (`GroupsTable` -> its local table name)."""
        return self.template.physical_name(logical_id)

    def table(self, logical_id: str) -> Any:
        return boto3.resource("dynamodb").Table(self.name(logical_id))

    def token(self, **claims: Any) -> str:
        return mint_token(**claims)

    def auth(self, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(**claims)}"}


def apply_settings(env: dict[str, str]) -> None:
    os.environ.update(env)
    get_settings.cache_clear()
    reset_clients()


def fresh_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with mock_aws():
        template = load_template()
        create_resources(template, boto3.Session(), endpoint=None)  # type: ignore[arg-type]
        env = function_environment(template)
        env["JWT_SECRET"] = DEV_SECRET
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        apply_settings({})
        yield Stack(template)
    get_settings.cache_clear()
    reset_clients()
