"""Extra `fleetreport` subcommands, one module each, registered by `fleetreport_local.cli`.

A command module lives here (`fleetreport_local/commands/<name>.py`), is listed in `COMMAND_MODULES`,
and exposes:

    def register(subparsers: argparse._SubParsersAction) -> None:
        parser = subparsers.add_parser(
            "apps", help="create and list apps", epilog=examples("fleetreport apps list")
        )  # every --help fits a screen (24 lines) and shows an example (tests/test_cli.py)
        add_stack_arguments(parser)              # --endpoint-url, --tenant (defined below)
        parser.set_defaults(run=run_apps)        # run(args) -> exit status (int)

`run` returns the process exit status. It may raise `fleetreport_local.running.StackNotRunning` or
`CommandError` (both printed as one line, exit 1). Data commands reach the running stack through
`fleetreport_local.running.connect(args)`. A listed module that does not exist yet is skipped, so the
CLI keeps working while commands are being written.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

COMMAND_MODULES: tuple[str, ...] = (
    "apps",
    "keys",
    "send",
    "rollup",
    "groups",
    "compliance",
    "alerts",
    "releases",
)


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every data command takes to choose the stack it talks to (see `running.connect`)."""
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="storage (default: AWS_ENDPOINT_URL or the stack's)"
    )
    parser.add_argument("--tenant", metavar="ID", help="owner of minted tokens (the stack's tenant)")


def examples(*lines: str) -> str:
    """An `epilog=` for a command's --help: its examples, one per line, as typed at a shell."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


class CommandError(RuntimeError):
    """A user-facing failure of a command: printed as `fleetreport <command>: <message>`."""


def register_all(subparsers: Any, modules: tuple[str, ...] = COMMAND_MODULES) -> list[str]:
    """Import each listed command module that exists and let it add its subparser; returns the names."""
    registered = []
    for name in modules:
        module_name = f"{__name__}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
        registered.append(name)
    return registered


__all__ = ["COMMAND_MODULES", "CommandError", "add_stack_arguments", "examples", "register_all"]
