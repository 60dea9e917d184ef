"""`fleetreport send-event FILE`: post Candlepin compliance events to the running stack's `POST /events`.

FILE holds one event envelope, a JSON array of them, or a sample HTTP event from `events/` (its body
is sent); `-` reads stdin. The request carries an `ingest` token minted for the stack's tenant (or
`--tenant`). Prints the answer's body; exits 0 on a 2xx answer, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

from fleetreport_local.commands import CommandError, add_stack_arguments, examples
from fleetreport_local.environment import jwt_secret
from fleetreport_local.running import StackNotRunning, connect, is_loopback
from fleetreport_local.tokens import mint_token


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "send-event",
        help="post Candlepin events (a JSON object or array) to POST /events",
        description="Post Candlepin compliance events to the running stack's POST /events with an "
        "ingest token of its tenant; prints the answer.",
        epilog=examples(
            "fleetreport send-event events/events_post_batch.json",
            "cat event.json | fleetreport send-event -",
        ),
    )
    parser.add_argument(
        "file", help="JSON file: one event, an array of events, or an events/ sample; - for stdin"
    )
    add_stack_arguments(parser)
    parser.set_defaults(run=run_send_event)


def run_send_event(args: argparse.Namespace) -> int:
    stack = connect(args)
    if stack.api is None:
        raise StackNotRunning("send-event needs the running stack's API: start `fleetreport serve`")
    if not is_loopback(stack.api):
        raise CommandError(f"refusing to mint a development token for {stack.api}")
    body = event_body(read_text(args.file))
    token = mint_token(role="ingest", owner=stack.tenant, secret=jwt_secret(os.environ))
    status, answer = post_json(f"{stack.api.rstrip('/')}/events", body, token)
    print(answer)
    return 0 if 200 <= status < 300 else 1


def read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None


def event_body(text: str) -> str:
    """The JSON to post: the file itself, or the `body` of an API Gateway sample event."""
    try:
        document = json.loads(text)
    except ValueError:
        raise CommandError("the file is not JSON") from None
    if isinstance(document, dict) and document.get("version") == "2.0" and "body" in document:
        return str(document["body"])
    return json.dumps(document)


def post_json(url: str, body: str, token: str) -> tuple[int, str]:
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except urllib.error.URLError as error:
        raise StackNotRunning(f"cannot reach {url}: {error.reason}") from None
