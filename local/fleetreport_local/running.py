"""How CLI commands reach the running local stack (or another endpoint).

The API URL, the moto endpoint and the tenant come from `.fleetreport/stack.json`, written by
`fleetreport serve`; `--endpoint-url` (or `AWS_ENDPOINT_URL`) points the storage side elsewhere.
Commands in `fleetreport_local.commands` use it like this:

    def register(subparsers):
        parser = subparsers.add_parser("apps", help="...")
        add_stack_arguments(parser)      # from fleetreport_local.commands
        parser.set_defaults(run=run)

    def run(args) -> int:
        stack = connect(args)            # raises StackNotRunning (cli prints it as one line)
        stack.use_in_process()           # domain code in this process now talks to that stack
        ...  stack.api, stack.admin_token(), stack.client("dynamodb"), stack.template ...
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from fleetreport_local.commands import add_stack_arguments
from fleetreport_local.environment import (
    apply_environment,
    jwt_secret,
    local_session,
    point_boto3_at,
    single_function_environment,
    stack_environment,
)
from fleetreport_local.seeding import SeedContext
from fleetreport_local.stackfile import read_stack_file, stack_file
from fleetreport_local.template import Template, load_template
from fleetreport_local.tokens import mint_token

DEFAULT_TENANT = "demo"
# Looking things up on a stack that may not be there: fail fast instead of retrying for a minute.
QUICK = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "max_attempts": 1})


class StackNotRunning(RuntimeError):
    """No stack to talk to; the message says how to get one."""


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass
class RunningStack:
    api: str | None  # None when only an endpoint was given and no stack is running
    aws_endpoint: str
    tenant: str
    template: Template
    session: Any

    def admin_token(self, ttl: int = 3600) -> str:
        return mint_token(role="admin", owner=self.tenant, ttl=ttl, secret=jwt_secret(os.environ))

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.aws_endpoint)

    def use_in_process(self, function: str | None = None) -> None:
        """Point this process's boto3 and settings at the stack, with the functions' env vars.

        With `function` (logical id) only that function's env from the template; else all of them.
        """
        if is_loopback(self.aws_endpoint):
            point_boto3_at(self.aws_endpoint)
        else:
            apply_environment({"AWS_ENDPOINT_URL": self.aws_endpoint})
        if function is None:
            env = stack_environment(self.template, os.environ)
        else:
            env = single_function_environment(
                self.template.functions(self.aws_endpoint)[function], os.environ
            )
        env.pop("POWERTOOLS_SERVICE_NAME", None)
        apply_environment(env)

    def seed_context(self) -> SeedContext:
        if self.api is None:
            raise StackNotRunning("seeding needs the running stack's API: start `fleetreport serve`")
        return SeedContext(
            api=self.api,
            aws_endpoint=self.aws_endpoint,
            tenant=self.tenant,
            admin_token=self.admin_token(),
            template=self.template,
            session=self.session,
        )


def connect(args: argparse.Namespace) -> RunningStack:
    """The stack named by the arguments, the environment, or `.fleetreport/stack.json` (in that order)."""
    info = live_stack_info()
    endpoint = (
        getattr(args, "endpoint_url", None) or os.environ.get("AWS_ENDPOINT_URL") or info.get("aws_endpoint")
    )
    if not endpoint:
        raise StackNotRunning(
            f"no running stack ({stack_file()} not found): start `fleetreport serve` or pass --endpoint-url"
        )
    session = local_session() if is_loopback(endpoint) else boto3.Session()
    template = load_template()
    attach_queues(template, session, endpoint)
    return RunningStack(
        api=info.get("api"),
        aws_endpoint=endpoint,
        tenant=getattr(args, "tenant", None) or info.get("tenant") or DEFAULT_TENANT,
        template=template,
        session=session,
    )


def live_stack_info() -> dict[str, Any]:
    """stack.json's content, or {} when it is missing or left behind by a stack that is gone."""
    info = read_stack_file() or {}
    pid = info.get("pid")
    if isinstance(pid, int) and not pid_alive(pid):
        return {}
    return info


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def attach_queues(template: Template, session: Any, endpoint: str) -> None:
    """Learn the queue URLs the server gave the template's queues (their names are deterministic)."""
    sqs = session.client("sqs", endpoint_url=endpoint, config=QUICK)
    for logical_id in template.resources("AWS::SQS::Queue"):
        try:
            url = sqs.get_queue_url(QueueName=template.physical_name(logical_id))["QueueUrl"]
        except Exception:  # noqa: S112 - not created there: keep the computed URL
            continue
        template.created[logical_id] = url


__all__ = ["RunningStack", "StackNotRunning", "add_stack_arguments", "connect"]
