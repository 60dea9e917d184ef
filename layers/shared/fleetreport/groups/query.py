"""`GET /reports/groups` (§3.4): filters, paging and totals read from the light indexes.

Cost (§7): only the requester's index partitions are read (ByOwnerLastSeen for an admin without an
app filter, ByAppLastSeen per app otherwise), on a keys-and-dimensions projection; the `from`/`to`
bounds are key conditions; the dimension and status filters run on the projected attributes; then
only the page's full items are fetched with BatchGetItem. Data outside those partitions is never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest
from fleetreport.groups.models import format_time
from fleetreport.groups.scope import WHOLE_OWNER, apps_in_scope
from fleetreport.groups.serialize import group_json
from fleetreport.groups.store import batch_get_groups
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table
from fleetreport.storage.pages import query_items

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
STATUS_FILTERS = ("open", "resolved", "muted", "all")
# query parameter -> projected index attribute (exact match)
DIMENSION_FILTERS = {
    "version": "app_version",
    "channel": "app_channel",
    "platform": "sys_platform",
    "arch": "sys_arch",
    "type": "event_type",
    "reason": "event_reason",
}
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class GroupQuery:
    app: str | None = None
    dimensions: tuple[tuple[str, str], ...] = ()  # (index attribute, wanted value)
    since: str | None = None  # inclusive bounds on last_seen, in the stored format
    until: str | None = None
    status: str = "all"
    page: int = 1
    limit: int = DEFAULT_LIMIT

    def matches(self, entry: Mapping[str, Any]) -> bool:
        if self.status != "all" and entry.get("status", "open") != self.status:
            return False
        return all(entry.get(attribute) == wanted for attribute, wanted in self.dimensions)


def parse_group_query(params: Mapping[str, str]) -> GroupQuery:
    """Validate the query string; empty values count as absent, unknown parameters are ignored."""
    given = {name: value for name, value in params.items() if value != ""}
    status = given.get("status", "all")
    since = _bound(given.get("from"), "invalid from", round_up=True)
    until = _bound(given.get("to"), "invalid to", round_up=False)
    if status not in STATUS_FILTERS:
        raise BadRequest("invalid status")
    return GroupQuery(
        app=given.get("app"),
        dimensions=tuple((attr, given[name]) for name, attr in DIMENSION_FILTERS.items() if name in given),
        since=since,
        until=until,
        status=status,
        page=_integer(given.get("page"), 1, None, "invalid page"),
        limit=_integer(given.get("limit"), DEFAULT_LIMIT, MAX_LIMIT, "invalid limit"),
    )


def _integer(raw: str | None, default: int, maximum: int | None, message: str) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadRequest(message)
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        raise BadRequest(message)
    return value


def _bound(raw: str | None, message: str, *, round_up: bool) -> str | None:
    """An RFC 3339 instant as a stored timestamp (ms precision, rounded so the bound stays inclusive)."""
    if raw is None:
        return None
    found = _RFC3339.match(raw)
    if not found:
        raise BadRequest(message)
    day, clock, fraction, zone = found.groups()
    digits = (fraction or "").ljust(9, "0")
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in ('Z', 'z') else zone}")
        moment += timedelta(milliseconds=int(digits[:3]) + (1 if round_up and int(digits[3:]) else 0))
        return format_time(moment.astimezone(UTC))
    except (ValueError, OverflowError):
        raise BadRequest(message) from None


def list_groups(principal: Principal, query: GroupQuery) -> dict[str, Any]:
    """One page of the requester's groups, newest `last_seen` first (ties by group hash), and the total."""
    entries = [entry for entry in index_entries(principal, query) if query.matches(entry)]
    entries.sort(key=lambda entry: (entry["group_hash"], entry["app_id"]))
    entries.sort(key=lambda entry: entry["last_seen"], reverse=True)
    start = (query.page - 1) * query.limit
    page = entries[start : start + query.limit]
    items = batch_get_groups(get_settings().groups_table, [(e["app_id"], e["group_hash"]) for e in page])
    visible = [item for item in items if item.get("owner") == principal.owner]
    return {
        "items": [group_json(item) for item in visible],
        "total": len(entries),
        "page": query.page,
        "limit": query.limit,
    }


def index_entries(principal: Principal, query: GroupQuery) -> list[dict[str, Any]]:
    """The light index entries of every group in scope whose last_seen is within the bounds."""
    if query.since and query.until and query.since > query.until:
        return []
    scope = apps_in_scope(principal, query.app)
    if scope is WHOLE_OWNER:
        return _query_index("ByOwnerLastSeen", "owner", principal.owner, query)
    entries: list[dict[str, Any]] = []
    for app_id in scope:
        entries.extend(_query_index("ByAppLastSeen", "app_id", app_id, query))
    return entries


def _query_index(index: str, partition: str, value: str, query: GroupQuery) -> list[dict[str, Any]]:
    condition: Any = Key(partition).eq(value)
    if query.since and query.until:
        condition &= Key("last_seen").between(query.since, query.until)
    elif query.since:
        condition &= Key("last_seen").gte(query.since)
    elif query.until:
        condition &= Key("last_seen").lte(query.until)
    request: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": condition}
    groups = table(get_settings().groups_table)
    return list(query_items(groups, request))
