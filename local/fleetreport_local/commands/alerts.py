"""`fleetreport alerts tail`: print the running stack's alert signals as they happen (SPEC §10).

Reads the local tail queue that `fleetreport serve` subscribes to the alerts bus; one line per signal
(`--json` for the whole EventBridge event). Runs until interrupted, or for `--seconds`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from fleetreport.alerts.models import summary_text

from fleetreport_local.alerts_tail import TAIL_QUEUE
from fleetreport_local.commands import CommandError, add_stack_arguments, examples
from fleetreport_local.running import connect


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "alerts",
        help="watch alert signals (alerts tail)",
        description="Print the running stack's alert signals (group.new, group.regressed, group.spike, "
        "group.unmuted) as they happen.",
        epilog=examples("fleetreport alerts tail", "fleetreport alerts tail --json --seconds 60"),
    )
    parser.add_argument("action", choices=["tail"], help="tail: follow signals as they happen")
    parser.add_argument("--json", action="store_true", help="print each EventBridge event as one JSON line")
    parser.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds (default: never)")
    add_stack_arguments(parser)
    parser.set_defaults(run=run_alerts)


def run_alerts(args: argparse.Namespace) -> int:
    stack = connect(args)
    sqs = stack.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=TAIL_QUEUE)["QueueUrl"]
    except Exception as error:  # the stack predates alerts, or this is not a local stack
        raise CommandError(f"no alerts tail queue at {stack.aws_endpoint} ({type(error).__name__})") from None
    tail(sqs, url, sys.stdout, as_json=args.json, seconds=args.seconds)
    return 0


def tail(sqs: Any, url: str, out: TextIO, as_json: bool = False, seconds: float | None = None) -> int:
    """Print and delete signals until `seconds` pass (forever when None); returns how many."""
    deadline = None if seconds is None else time.monotonic() + seconds
    printed = 0
    while deadline is None or time.monotonic() < deadline:
        wait = 1 if deadline is None else max(0, min(1, int(deadline - time.monotonic())))
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        for message in messages.get("Messages", []):
            event = json.loads(message["Body"])
            print(json.dumps(event, separators=(",", ":")) if as_json else line(event), file=out, flush=True)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            printed += 1
    return printed


def line(event: dict[str, Any]) -> str:
    detail = event.get("detail", {})
    return (
        f"{detail.get('occurred_at', event.get('time', ''))}  {detail.get('signal', '?'):<15}  "
        + summary_text(detail).removeprefix("[fleetreport] ")
    )
