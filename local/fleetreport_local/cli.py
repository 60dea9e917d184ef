"""The `fleetreport` command line: serve the local stack, mint tokens, invoke functions, seed data.

Built-in commands live here; the data commands (`apps`, `keys`, `send`, `rollup`) are modules of
`fleetreport_local.commands`, registered through its `COMMAND_MODULES` list.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from fleetreport_local.commands import CommandError, add_stack_arguments, register_all
from fleetreport_local.logs import configure_logging

ROLES = ("admin", "team", "ingest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleetreport", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = subparsers.add_parser("serve", help="serve the whole API locally against an embedded moto server")
    serve.add_argument("--port", type=int, help="default: PORT from the environment, else 3000")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    serve.add_argument("--no-seed", dest="seed", action="store_false", help="start empty (no demo data)")
    serve.add_argument("-v", "--verbose", action="store_true", help="log one line per request on stderr")
    serve.set_defaults(run=run_serve)

    token = subparsers.add_parser("token", help="mint a development JWT (printed alone on stdout)")
    token.add_argument("--role", choices=ROLES, default="admin")
    token.add_argument("--owner", default="demo", help="tenant (the `owner` claim)")
    token.add_argument("--sub", help="subject (default: a random id per role)")
    token.add_argument(
        "--permissions", help='JSON, e.g. \'{"apps": {"download": true}, "reports": {"read": true}}\''
    )
    token.add_argument("--allowed-apps", default="", help="comma-separated app ids (team users)")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.set_defaults(run=run_token)

    invoke = subparsers.add_parser("invoke", help="run one function on an event file (sam local invoke)")
    invoke.add_argument("function", help="folder name (ingest) or logical id (IngestFunction)")
    invoke.add_argument("-e", "--event", required=True, help="event JSON file, e.g. events/groups_list.json")
    invoke.add_argument(
        "--report-key", default=os.environ.get("FLEETREPORT_REPORT_KEY"), help="fills {{REPORT_KEY}}"
    )
    add_stack_arguments(invoke)
    invoke.set_defaults(run=run_invoke)

    seed = subparsers.add_parser("seed", help="load demo data into the running stack")
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


# ---------------------------------------------------------------------- built-in commands
def run_serve(args: argparse.Namespace) -> int:
    from fleetreport_local.stack import serve

    port = args.port
    if port is None:
        try:
            port = int(os.environ.get("PORT") or 3000)
        except ValueError:
            return _usage_error("serve", f"PORT must be a port number (got {os.environ['PORT']!r})")
    status = serve(host=args.host, port=port, seed=args.seed, verbose=args.verbose)
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
    from fleetreport_local.running import connect
    from fleetreport_local.seed import run_seeders

    stack = connect(args)
    stack.use_in_process()
    configure_logging()
    for line in run_seeders(stack.seed_context()):
        print(line)
    return 0


def _usage_error(command: str, message: str) -> int:
    print(f"fleetreport {command}: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
