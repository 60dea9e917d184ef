"""Webhook delivery of one alert event (SPEC §10): the app's rules decide, a throttle per group and
signal limits, a conditional claim on the signal id dedupes, the body is signed, failures raise.

Order: rules → already sent? → claim (conditional write on `SENT#{id}`: only one delivery of a
signal can hold it) → throttle (conditional write per app+group+signal, `min_interval_minutes`) →
POST → mark sent. A failed POST releases the claim and raises; SQS brings the message back later
(with backoff) and, after its last attempt, moves it to the dead-letter queue.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from fleetreport.alerts.models import summary_text
from fleetreport.alerts.rules import read_rules, valid_webhook_url
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

CLAIM_LEASE_SECONDS = 120
SENT_RETENTION_SECONDS = 30 * 86400
SIGNATURE_HEADER = "X-Fleetreport-Signature"
Post = Callable[[str, bytes, dict[str, str]], int]


class DeliveryFailed(Exception):
    """The receiver did not take the alert (network error or a non-2xx answer)."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(envelope: dict[str, Any]) -> bytes:
    """Slack-compatible: `text` for humans, `event` (the EventBridge event) for machines."""
    detail = envelope["detail"]
    event = {
        "id": envelope.get("id", ""),
        "source": envelope.get("source", "fleetreport"),
        "detail-type": envelope.get("detail-type", detail.get("signal")),
        "time": envelope.get("time", ""),
        "detail": detail,
    }
    return json.dumps({"text": summary_text(detail), "event": event}, separators=(",", ":")).encode()


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float = 5.0) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - https or loopback only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DeliveryFailed(f"webhook unreachable: {type(error).__name__}") from None


def deliver(envelope: dict[str, Any], post: Post = http_post, now: float | None = None) -> str:
    """Deliver one event; returns what happened (`sent`, `duplicate`, `throttled`, `not_wanted`,
    `no_rules`). Raises DeliveryFailed when the receiver did not take it."""
    detail = envelope["detail"]
    now = time.time() if now is None else now
    found = read_rules(str(detail["tenant"]), str(detail["app"]["id"]))
    if found is None:
        return "no_rules"
    rules, secret = found
    event_type = str(detail.get("group", {}).get("event", {}).get("type", ""))  # "" for release signals
    settings = get_settings()
    url = rules.webhook_url
    if not url or not rules.wants(str(detail["signal"]), event_type):
        return "not_wanted"
    if not valid_webhook_url(url, settings.alerts_allow_http_loopback):
        return "not_wanted"  # e.g. a loopback URL stored locally, read by a stricter deployment
    signal_id = str(detail["id"])
    if not _claim(signal_id, now):
        return "duplicate"
    try:
        if not _throttle(detail, rules.min_interval_minutes, now):
            _mark_sent(signal_id, now, "throttled")
            return "throttled"
        body = webhook_body(envelope)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "fleetreport-alerts/1",
            SIGNATURE_HEADER: sign(secret, body),
            "X-Fleetreport-Event": str(detail["signal"]),
            "X-Fleetreport-Delivery": signal_id,
        }
        status = post(url, body, headers)
        if not 200 <= status < 300:
            raise DeliveryFailed(f"webhook answered {status}")
    except Exception:
        _release(signal_id)
        raise
    _mark_sent(signal_id, now, "sent")
    return "sent"


# ---------------------------------------------------------------------- conditional writes
def _alerts() -> Any:
    return table(get_settings().alerts_table)


def _claim(signal_id: str, now: float) -> bool:
    """Only one delivery of a signal at a time, and none after it was sent (or throttled)."""
    try:
        _alerts().put_item(
            Item={
                "pk": f"SENT#{signal_id}",
                "sk": "-",
                "state": "sending",
                "lease_until": int(now) + CLAIM_LEASE_SECONDS,
                "ttl": int(now) + SENT_RETENTION_SECONDS,
            },
            ConditionExpression="attribute_not_exists(pk) OR (#state = :sending AND lease_until < :now)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sending": "sending", ":now": int(now)},
        )
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False


def _release(signal_id: str) -> None:
    try:
        _alerts().delete_item(
            Key={"pk": f"SENT#{signal_id}", "sk": "-"},
            ConditionExpression="#state = :sending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sending": "sending"},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def _mark_sent(signal_id: str, now: float, state: str) -> None:
    _alerts().update_item(
        Key={"pk": f"SENT#{signal_id}", "sk": "-"},
        UpdateExpression="SET #state = :state, done_at = :now",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":state": state, ":now": int(now)},
    )


def _throttle(detail: dict[str, Any], minutes: int, now: float) -> bool:
    """At most one alert per app, group and signal per `minutes` (0: no limit). The window starts at
    the first attempt: a signal whose receiver is down still holds it."""
    if minutes <= 0:
        return True
    about = detail["group"]["hash"] if "group" in detail else f"release:{detail['release']['version']}"
    key = f"THROTTLE#{detail['app']['id']}#{about}#{detail['signal']}"
    try:
        _alerts().put_item(
            Item={
                "pk": key,
                "sk": "-",
                "until": int(now) + minutes * 60,
                "signal_id": detail["id"],
                "ttl": int(now) + minutes * 60 + 86400,
            },
            # a retry of the very signal that holds the window may go on
            ConditionExpression="attribute_not_exists(pk) OR #until <= :now OR signal_id = :id",
            ExpressionAttributeNames={"#until": "until"},
            ExpressionAttributeValues={":now": int(now), ":id": detail["id"]},
        )
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
