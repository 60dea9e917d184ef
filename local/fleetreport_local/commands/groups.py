"""`fleetreport send`, `apps create|list` and `keys list|regenerate`: the report-group side of the CLI.

They talk to the API (never to storage), like a client SDK or an operator's script would: the running
stack's URL from `.fleetreport/stack.json`, or `--api URL` for any other deployment. Admin calls use
`--token` or a development admin token minted for the stack's tenant.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from fleetreport_local.commands import CommandError, add_stack_arguments, examples

DIMENSIONS = (
    ("app", "application", "name"),
    ("version", "application", "version"),
    ("channel", "application", "channel"),
    ("platform", "system", "platform"),
    ("arch", "system", "arch"),
    ("type", "event", "type"),
    ("reason", "event", "reason"),
)


def register(subparsers: Any) -> None:
    taken = set(getattr(subparsers, "choices", {}) or {})
    for name, add in (("send", _add_send), ("apps", _add_apps), ("keys", _add_keys)):
        if name not in taken:  # another module may already provide it
            add(subparsers)


# ---------------------------------------------------------------------- parsers
def _api_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("--api", metavar="URL", help="API base URL (default: the running stack's)")
    parser.add_argument("--token", metavar="JWT", help="for admin calls (default: a dev admin token)")


def _add_send(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "send",
        help="post a health report (or, with --event, a compliance event)",
        usage="fleetreport send --key KEY --app A --version V --channel C --platform P\n"
        "                        --arch A --type T --reason R [--details FILE] [options]",
        description="Post a report to POST /reports/ingest as a client app would; its seven dimensions "
        "(--app --version --channel --platform --arch --type --reason) are all required.",
        epilog=examples(
            "fleetreport send --key $DESKTOP_CLIENT_KEY --app desktop-client --version 1.4.2 \\",
            "  --channel stable --platform linux --arch amd64 --type crash --reason boom \\",
            "  --device my-laptop --details debug.json",
            "fleetreport send --event events/events_post_compliance.json",
        ),
    )
    parser.add_argument("--key", help="report key (rpk_...); or FLEETREPORT_REPORT_KEY")
    parser.add_argument("--device", default="cli-device", metavar="ID", help="X-Device-ID (cli-device)")
    for option, _, _ in DIMENSIONS:
        parser.add_argument(f"--{option}", help=argparse.SUPPRESS)
    parser.add_argument("--details", type=Path, metavar="FILE", help="JSON sent as gzip+base64 details")
    parser.add_argument("--event", type=Path, metavar="FILE", help="post this JSON to POST /events instead")
    _api_arguments(parser)
    parser.set_defaults(run=run_send)


def _add_apps(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "apps",
        help="create and list apps",
        epilog=examples("fleetreport apps create my-app", "fleetreport apps list"),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create an app (prints its report key once)",
        epilog=examples("fleetreport apps create my-app", "fleetreport apps create my-app --no-reports"),
    )
    create.add_argument("name")
    create.add_argument("--no-reports", dest="reports", action="store_false", help="no report key")
    actions.add_parser("list", help="list the tenant's apps", epilog=examples("fleetreport apps list"))
    for sub in actions.choices.values():
        _api_arguments(sub)
        sub.set_defaults(run=run_apps)


def _add_keys(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="list or regenerate report keys",
        epilog=examples("fleetreport keys list", "fleetreport keys regenerate APP_ID"),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    regenerate = actions.add_parser(
        "regenerate",
        help="issue a new key for an app (the old one stops working)",
        epilog=examples("fleetreport keys regenerate APP_ID     # the ids: fleetreport apps list"),
    )
    regenerate.add_argument("app_id")
    actions.add_parser("list", help="list key prefixes", epilog=examples("fleetreport keys list"))
    for sub in actions.choices.values():
        _api_arguments(sub)
        sub.set_defaults(run=run_keys)


# ---------------------------------------------------------------------- commands
def run_send(args: argparse.Namespace) -> int:
    if args.event is not None:
        return _answer(_call(args, "POST", "/events", _read_json(args.event), admin=True))
    key = args.key or os.environ.get("FLEETREPORT_REPORT_KEY")
    if not key:
        raise CommandError("--key (or FLEETREPORT_REPORT_KEY) is required")
    missing = [f"--{option}" for option, _, _ in DIMENSIONS if getattr(args, option) is None]
    if missing:
        raise CommandError(f"missing {', '.join(missing)}")
    body = build_report(args)
    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": args.device}
    return _answer(_call(args, "POST", "/reports/ingest", body, headers=headers))


def build_report(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"application": {}, "system": {}, "event": {}}
    for option, section, leaf in DIMENSIONS:
        body[section][leaf] = getattr(args, option)
    if args.details is not None:
        body["details"] = details_from_file(args.details)
    return body


def details_from_file(path: Path) -> dict[str, str]:
    """The file's bytes gzipped and base64-encoded, as a client SDK sends them."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    return {
        "encoding": "gzip+base64",
        "content_type": "application/json",
        "payload": base64.b64encode(gzip.compress(raw)).decode(),
    }


def run_apps(args: argparse.Namespace) -> int:
    if args.action == "create":
        return _answer(_call(args, "POST", "/apps", {"name": args.name, "reports": args.reports}, admin=True))
    return _answer(_call(args, "GET", "/apps", admin=True))


def run_keys(args: argparse.Namespace) -> int:
    if args.action == "regenerate":
        return _answer(_call(args, "POST", "/report-keys/regenerate", {"app_id": args.app_id}, admin=True))
    return _answer(_call(args, "GET", "/report-keys/list", admin=True))


# ---------------------------------------------------------------------- HTTP
def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise CommandError(f"{path} is not JSON ({exc})") from None


def _target(args: argparse.Namespace) -> tuple[str, str]:
    """(API base URL, tenant) from --api/--tenant or the running stack."""
    from fleetreport_local.running import DEFAULT_TENANT, live_stack_info

    info = live_stack_info()
    api = args.api or info.get("api")
    if not api:
        raise CommandError(
            "no running stack (.fleetreport/stack.json): start `fleetreport serve` or pass --api"
        )
    return str(api).rstrip("/"), args.tenant or info.get("tenant") or DEFAULT_TENANT


def _call(
    args: argparse.Namespace,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    admin: bool = False,
) -> tuple[int, Any]:
    api, tenant = _target(args)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if admin:
        sent["Authorization"] = f"Bearer {args.token or _dev_admin_token(tenant)}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{api}{path}", data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, _decode(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, _decode(error.read())
    except (urllib.error.URLError, OSError) as error:
        raise CommandError(f"cannot reach {api}: {getattr(error, 'reason', error)}") from None


def _dev_admin_token(tenant: str) -> str:
    from fleetreport_local.environment import jwt_secret
    from fleetreport_local.tokens import mint_token

    return mint_token(role="admin", owner=tenant, secret=jwt_secret(os.environ))


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _answer(result: tuple[int, Any]) -> int:
    """Print the response body (JSON) on stdout; a non-2xx status also goes to stderr and fails."""
    status, body = result
    print(json.dumps(body, indent=2) if not isinstance(body, str) else body)
    if not 200 <= status < 300:
        print(f"HTTP {status}", file=sys.stderr)
        return 1
    return 0
