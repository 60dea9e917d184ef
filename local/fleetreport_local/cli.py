"""The `fleetreport` command line: serve the local stack, mint tokens, invoke functions, seed data.

Built-in commands live here; the data commands (`apps`, `keys`, `send`, `rollup`) are modules of
`fleetreport_local.commands`, registered through its `COMMAND_MODULES` list. Every command's --help
fits a screen and ends with `epilog=examples(...)`; a usage error is one line (exit 2), a failure is
one line (exit 1) — `--debug` shows the traceback of an unexpected one.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from fleetreport_local.commands import CommandError, add_stack_arguments, examples, register_all
from fleetreport_local.logs import configure_logging

ROLES = ("admin", "team", "ingest")


TOP_EXAMPLES = examples(
    "make run                    # = fleetreport serve: the API on :3000 with demo data",
    "fleetreport token --role team --allowed-apps APP_ID",
    "fleetreport COMMAND --help  # each command's options and examples",
)


class HelpLayout(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal as usual; the examples epilog kept exactly as written."""

    def add_argument(self, action: argparse.Action) -> None:
        """argparse measures subcommand names one indent shallower than it prints them, so a long one
        (`send-event`) wraps onto a line of its own: measure them where they are printed."""
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction) and action.help is not argparse.SUPPRESS:
            names = [len(self._format_action_invocation(sub)) for sub in action._get_subactions()]
            deepest = max(names, default=0) + self._current_indent + self._indent_increment
            self._action_max_length = max(self._action_max_length, deepest)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class CliParser(argparse.ArgumentParser):
    """argparse, with examples kept as written and a usage error reduced to one line on stderr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpLayout)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="fleetreport",
        epilog=TOP_EXAMPLES,
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    serve = subparsers.add_parser(
        "serve",
        help="serve the whole API locally on an embedded moto server",
        description="Serve every route of template.yaml on 127.0.0.1 with in-memory AWS (moto), demo data "
        "seeded before the port opens. Quiet: one progress line, then a banner.",
        epilog=examples(
            "fleetreport serve --port 3077", "LOG_LEVEL=DEBUG fleetreport serve   # handler logs"
        ),
    )
    serve.add_argument("--port", type=int, help="default: PORT from the environment, else 3000")
    serve.add_argument("--host", default="127.0.0.1", metavar="IP", help="loopback address (127.0.0.1)")
    serve.add_argument("--no-seed", dest="seed", action="store_false", help="start empty (no demo data)")
    serve.add_argument("-v", "--verbose", action="store_true", help="log one line per request on stderr")
    serve.add_argument(
        "--storage-host",
        metavar="IP",
        default=os.environ.get("STORAGE_HOST") or None,
        help="moto also listens on IP, e.g. 172.17.0.1 for `sam local` on Linux (default: STORAGE_HOST)",
    )
    serve.set_defaults(run=run_serve)

    token = subparsers.add_parser(
        "token",
        help="mint a development JWT (printed alone on stdout)",
        description="Mint a JWT signed with the local stack's secret (FLEETREPORT_DEV_SECRET).",
        epilog=examples(
            "export TOKEN=$(fleetreport token)            # admin of tenant demo",
            "fleetreport token --role team --allowed-apps APP_ID \\",
            """  --permissions '{"apps": {"download": true}, "reports": {"read": true}}'""",
            "fleetreport token --role ingest --owner acme   # may only POST /events",
        ),
    )
    token.add_argument("--role", choices=ROLES, default="admin", metavar="ROLE", help="admin|team|ingest")
    token.add_argument("--owner", default="demo", metavar="ID", help="tenant, the `owner` claim (demo)")
    token.add_argument("--sub", help="subject (default: a random id per role)")
    token.add_argument("--permissions", metavar="JSON", help="team users' permissions (default: all)")
    token.add_argument("--allowed-apps", default="", metavar="IDS", help="comma-separated app ids (team)")
    token.add_argument("--ttl", type=int, default=3600, metavar="SECONDS", help="lifetime (3600)")
    token.set_defaults(run=run_token)

    invoke = subparsers.add_parser(
        "invoke",
        help="run one function on an event file (sam local invoke)",
        description="Run a function's real handler in-process, with the template's env for it, against "
        "the running stack; prints the handler's response. {{ADMIN_TOKEN}} in the event is filled in.",
        epilog=examples(
            "fleetreport invoke groups -e events/groups_list.json",
            "fleetreport invoke IngestFunction -e events/ingest_report.json \\",
            "  --report-key $DESKTOP_CLIENT_KEY",
        ),
    )
    invoke.add_argument("function", help="folder name (ingest) or logical id (IngestFunction)")
    invoke.add_argument("-e", "--event", required=True, metavar="FILE", help="event JSON file")
    invoke.add_argument(
        "--report-key",
        default=os.environ.get("FLEETREPORT_REPORT_KEY"),
        metavar="KEY",
        help="fills {{REPORT_KEY}} (default: FLEETREPORT_REPORT_KEY)",
    )
    add_stack_arguments(invoke)
    invoke.set_defaults(run=run_invoke)

    seed = subparsers.add_parser(
        "seed",
        help="load the demo data into the running stack",
        description="Load the demo data (docs/demo.md) into the running stack, e.g. one started with "
        "--no-seed. Seeding twice adds nothing.",
        epilog=examples("fleetreport serve --no-seed &", "fleetreport seed"),
    )
    add_stack_arguments(seed)
    seed.set_defaults(run=run_seed)

    register_all(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    from fleetreport_local.running import StackNotRunning

    try:
        return int(args.run(args) or 0)
    except (StackNotRunning, CommandError) as exc:
        print(f"fleetreport {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for the user; the traceback with --debug
        if args.debug:
            raise
        print(f"fleetreport {args.command}: {_one_line(exc)} (--debug shows the traceback)", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text[:300]}"


# ---------------------------------------------------------------------- built-in commands
def run_serve(args: argparse.Namespace) -> int:
    from fleetreport_local.stack import serve

    port = args.port
    if port is None:
        try:
            port = int(os.environ.get("PORT") or 3000)
        except ValueError:
            return _usage_error("serve", f"PORT must be a port number (got {os.environ['PORT']!r})")
    storage_hosts: tuple[str, ...] = ()
    if args.storage_host:
        try:
            storage_hosts = (str(ipaddress.IPv4Address(args.storage_host)),)
        except ValueError:
            return _usage_error(
                "serve", f"--storage-host must be an IPv4 address (got {args.storage_host!r})"
            )
    status = serve(
        host=args.host, port=port, seed=args.seed, verbose=args.verbose, storage_hosts=storage_hosts
    )
    # Everything is closed by now; tearing down the interpreter (moto imports a lot) takes seconds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def run_token(args: argparse.Namespace) -> int:
    from fleetreport_local.environment import jwt_secret
    from fleetreport_local.tokens import mint_token

    permissions: dict[str, Any] | None = None
    if args.permissions is not None:
        try:
            permissions = json.loads(args.permissions)
        except ValueError as exc:
            return _usage_error("token", f"--permissions is not valid JSON ({exc})")
        if not isinstance(permissions, dict):
            return _usage_error("token", "--permissions must be a JSON object")
    allowed_apps = [a.strip() for a in args.allowed_apps.split(",") if a.strip()]
    token = mint_token(
        role=args.role,
        owner=args.owner,
        sub=args.sub,
        permissions=permissions,
        allowed_apps=allowed_apps,
        ttl=args.ttl,
        secret=jwt_secret(os.environ),
    )
    print(token)
    return 0


def run_invoke(args: argparse.Namespace) -> int:
    from fleetreport_local.invoker import Invoker
    from fleetreport_local.running import connect
    from fleetreport_local.sample_events import ADMIN_TOKEN, REPORT_KEY, render

    stack = connect(args)
    invoker = Invoker(stack.template)
    try:
        function = invoker.function(args.function)
    except KeyError:
        names = ", ".join(sorted(f.name for f in stack.template.functions().values()))
        raise CommandError(f"no function {args.function!r} in template.yaml (one of: {names})") from None
    try:
        text = Path(args.event).read_text()
    except OSError as exc:
        raise CommandError(f"cannot read {args.event}: {exc.strerror}") from None
    values = {ADMIN_TOKEN: stack.admin_token()}
    if REPORT_KEY in text:
        if not args.report_key:
            raise CommandError(
                f"{args.event} uses {REPORT_KEY}: pass --report-key or set FLEETREPORT_REPORT_KEY"
            )
        values[REPORT_KEY] = args.report_key
    try:
        event, _ = render(text, values)
    except ValueError as exc:
        raise CommandError(f"{args.event} is not a JSON object event ({exc})") from None
    stack.use_in_process(function.logical_id)
    configure_logging()
    out, sys.stdout = sys.stdout, sys.stderr  # the handler's own output (logs) goes to stderr
    try:
        response = invoker.invoke(function.logical_id, event)
    finally:
        sys.stdout = out
    print(json.dumps(response, indent=2, default=str))
    return 0


def run_seed(args: argparse.Namespace) -> int:
    from fleetreport_local.logs import ServeLogging
    from fleetreport_local.running import connect
    from fleetreport_local.seed import run_seeders

    stack = connect(args)
    quiet = ServeLogging.choose(verbose=False, environ=os.environ)
    stack.use_in_process()
    os.environ["POWERTOOLS_LOG_LEVEL"] = quiet.handler_level  # the domain code seeds in this process
    configure_logging(logging.WARNING)
    out, sys.stdout = sys.stdout, sys.stderr  # Powertools logs to stdout; stdout is for the lines below
    try:
        lines = run_seeders(stack.seed_context())
    finally:
        sys.stdout = out
    print(f"export TOKEN={stack.admin_token(ttl=24 * 3600)}")
    for line in lines:
        print(line)
    return 0


def _usage_error(command: str, message: str) -> int:
    print(f"fleetreport {command}: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
