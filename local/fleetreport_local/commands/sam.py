"""`fleetreport sam-env`: the `sam local --env-vars` JSON that runs the functions under `sam local`
(Docker) against the running local stack's storage (fleetreport_local.samenv, docs/local.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fleetreport_local.commands import CommandError, add_stack_arguments, examples
from fleetreport_local.running import QUICK, StackNotRunning, connect, live_stack_info


def register(subparsers: Any) -> None:
    env = subparsers.add_parser(
        "sam-env",
        help="the `sam local --env-vars` JSON for the running stack",
        description="Print the --env-vars file of `sam local` (Docker): every function of template.yaml "
        "with its variables set to the running stack's tables, bucket, queues and bus, and "
        "AWS_ENDPOINT_URL at its storage as a container reaches it.",
        epilog=examples(
            "fleetreport sam-env > env.json   # make run first",
            "sam local start-api --env-vars env.json --region us-east-1",
            "fleetreport sam-env --host 172.17.0.1 -o env.json   # Linux (its default)",
        ),
    )
    env.add_argument(
        "--host",
        metavar="HOST",
        help="the stack's host as containers see it (macOS/Windows: host.docker.internal; Linux: 172.17.0.1)",
    )
    env.add_argument("-o", "--output", metavar="FILE", help="write FILE instead of printing")
    add_stack_arguments(env)
    env.set_defaults(run=run_sam_env)


def run_sam_env(args: argparse.Namespace) -> int:
    from fleetreport_local.samenv import (
        default_container_host,
        sam_env_vars,
        undeclared_endpoint,
        unreachable_warning,
    )

    stack = connect(args)
    check_storage(stack)
    missing = undeclared_endpoint(stack.template)
    if missing:
        raise CommandError(f"template.yaml: {', '.join(missing)} do not declare AWS_ENDPOINT_URL")
    host = args.host or default_container_host()
    info = live_stack_info()
    port = _port(stack.aws_endpoint)
    warning = unreachable_warning(host, list(info.get("storage_hosts") or ["127.0.0.1"]), port)
    if warning:
        print(f"fleetreport sam-env: warning: {warning}", file=sys.stderr)
    values = sam_env_vars(stack.template, stack.aws_endpoint, host, api=stack.api)
    text = json.dumps(values, indent=2, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def check_storage(stack: Any) -> None:
    """The stack's storage answers and holds the template's tables (not another stack's or nothing)."""
    try:
        tables = set(stack.session.client("dynamodb", endpoint_url=stack.aws_endpoint, config=QUICK)
                     .list_tables()["TableNames"])  # fmt: skip
    except Exception as exc:
        raise StackNotRunning(
            f"no storage answers at {stack.aws_endpoint} ({type(exc).__name__}): start `make run`"
        ) from None
    expected = {stack.template.physical_name(t) for t in stack.template.resources("AWS::DynamoDB::Table")}
    if not expected <= tables:
        absent = ", ".join(sorted(expected - tables))
        raise CommandError(
            f"the storage at {stack.aws_endpoint} has no table {absent}: not a fleetreport stack"
        )


def _port(url: str) -> int | None:
    return urlsplit(url).port
