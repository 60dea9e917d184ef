"""`fleetreport beacon`: the release health side of the CLI (SPEC §12).

Like `send`, it talks to the API with a report key, as a client app does on each update check (the
releases reads and the gate are `GET /apps/{app_id}/releases...` with a JWT: docs/releases.md).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from fleetreport_local.commands import CommandError, examples
from fleetreport_local.commands.groups import _answer, _api_arguments, _call

BEACON_FIELDS = (
    ("app", "application", "name"),
    ("version", "application", "version"),
    ("channel", "application", "channel"),
    ("platform", "system", "platform"),
    ("arch", "system", "arch"),
)


def register(subparsers: Any) -> None:
    taken = set(getattr(subparsers, "choices", {}) or {})
    if "beacon" not in taken:
        _add_beacon(subparsers)


def _add_beacon(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "beacon",
        # not in the top-level listing, which must fit a screen: `fleetreport beacon --help` shows it
        usage="fleetreport beacon --key KEY --app A --version V --channel C --platform P --arch A\n"
        "                          [--device ID] [--latest] [options]",
        description="Post a beacon to POST /reports/beacon as a client app does on an update check; "
        "its five fields (--app --version --channel --platform --arch) are all required.",
        epilog=examples(
            "fleetreport beacon --key $DESKTOP_CLIENT_KEY --app desktop-client --version 1.5.0 \\",
            "  --channel stable --platform windows --arch amd64 --device my-laptop",
        ),
    )
    parser.add_argument("--key", help="report key (rpk_...); or FLEETREPORT_REPORT_KEY")
    parser.add_argument("--device", default="cli-device", metavar="ID", help="X-Device-ID (cli-device)")
    for option, _, _ in BEACON_FIELDS:
        parser.add_argument(f"--{option}", help=argparse.SUPPRESS)
    parser.add_argument("--latest", action="store_true", help="send is_latest: true")
    _api_arguments(parser)
    parser.set_defaults(run=run_beacon)


def build_beacon(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"application": {}, "system": {}}
    for option, section, leaf in BEACON_FIELDS:
        body[section][leaf] = getattr(args, option)
    if args.latest:
        body["is_latest"] = True
    return body


def run_beacon(args: argparse.Namespace) -> int:
    key = args.key or os.environ.get("FLEETREPORT_REPORT_KEY")
    if not key:
        raise CommandError("--key (or FLEETREPORT_REPORT_KEY) is required")
    missing = [f"--{option}" for option, _, _ in BEACON_FIELDS if getattr(args, option) is None]
    if missing:
        raise CommandError(f"missing {', '.join(missing)}")
    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": args.device}
    status, body = _call(args, "POST", "/reports/beacon", build_beacon(args), headers=headers)
    return _answer((status, body if body != "" else {"status": status}))
