"""The alert log (AlertsTable `LOG#{tenant}`): every signal of a tenant, newest first, kept 30 days.

The log is also the signal's dedupe point: it is written with `attribute_not_exists`, keyed by the
signal's stable id, before the event is published; a redelivered stream record finds it and only
re-publishes if the first attempt never got that far.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from fleetreport import cursors
from fleetreport.alerts.models import SIGNALS, Signal
from fleetreport.auth.principal import Principal
from fleetreport.cursors import CursorModel, SignalKey
from fleetreport.errors import BadRequest
from fleetreport.groups.scope import app_ids_in_scope
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def log_pk(tenant: str) -> str:
    return f"LOG#{tenant}"


def record_signal(signal: Signal, detail: dict[str, Any], retention_days: int) -> bool:
    """Write the signal to the log once; True when it still has to be published (new, or an
    earlier attempt stopped before publishing)."""
    alerts = table(get_settings().alerts_table)
    key = {"pk": log_pk(signal.tenant), "sk": f"{signal.occurred_at}#{signal.id}"}
    item = {
        **key,
        "app_id": signal.app_id,
        "group_hash": signal.group_hash,
        "signal": signal.name,
        "detail": json.dumps(detail, separators=(",", ":"), default=str),
        "published": False,
        "ttl": int(time.time()) + retention_days * 86400,
    }
    try:
        alerts.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    found = alerts.get_item(Key=key, ConsistentRead=True).get("Item") or {}
    return not found.get("published", False)


def mark_published(signal: Signal) -> None:
    table(get_settings().alerts_table).update_item(
        Key={"pk": log_pk(signal.tenant), "sk": f"{signal.occurred_at}#{signal.id}"},
        UpdateExpression="SET published = :yes",
        ExpressionAttributeValues={":yes": True},
    )


# ---------------------------------------------------------------------- GET /alerts
def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"invalid limit: a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


class LogCursor(CursorModel):
    """A position in the alert log: the last returned signal's sort key (a key condition)."""

    sk: SignalKey


def encode_cursor(sk: str) -> str:
    return cursors.encode(LogCursor(sk=sk))


def decode_cursor(raw: str) -> str:
    return cursors.decode(LogCursor, raw).sk


def list_alerts(
    principal: Principal,
    app: str | None = None,
    signal: str | None = None,
    limit: str | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The requester's signals newest first, only of apps they may see; `app` is a name or an id."""
    principal.require("apps", "download")
    if signal and signal not in SIGNALS:
        raise BadRequest(f"invalid signal: one of {', '.join(SIGNALS)}")
    size = parse_limit(limit)
    start = decode_cursor(cursor) if cursor else None
    apps = _apps(principal, app or None)
    if not apps:
        return {"items": []}
    items, last = _read(principal.owner, apps, signal or None, size, start)
    return {"items": items, **({"next_cursor": encode_cursor(last)} if last else {})}


def _apps(principal: Principal, app: str | None) -> list[str]:
    """App ids in scope: by name through the groups' scope rules, else by id if the requester sees it."""
    ids = app_ids_in_scope(principal, app)
    if not ids and app and principal.sees_app(app):
        ids = [app]
    return ids


def _read(
    tenant: str, apps: list[str], signal: str | None, size: int, start: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Query the tenant's log backwards (filtered by DynamoDB) until a page is full; a full page's
    last key is the cursor (the next page may turn out empty)."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(log_pk(tenant)),
        "ScanIndexForward": False,
        "Limit": max(size * 2, 20),
    }
    condition = _filter(apps, signal)
    if condition is not None:
        request["FilterExpression"] = condition
    if start:
        request["ExclusiveStartKey"] = {"pk": log_pk(tenant), "sk": start}
    wanted = set(apps)
    found: list[dict[str, Any]] = []
    alerts = table(get_settings().alerts_table)
    while True:
        answer = alerts.query(**request)
        for item in answer.get("Items", []):
            if item.get("app_id") not in wanted:
                continue
            found.append(json.loads(item["detail"]))
            if len(found) == size:
                return found, item["sk"]
        if "LastEvaluatedKey" not in answer:
            return found, None
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _filter(apps: list[str], signal: str | None) -> Any:
    """DynamoDB's IN takes at most 100 values; more apps are filtered here instead."""
    condition: Any = Attr("app_id").is_in(apps) if len(apps) <= 100 else None
    if signal:
        signal_is = Attr("signal").eq(signal)
        condition = signal_is if condition is None else condition & signal_is
    return condition
