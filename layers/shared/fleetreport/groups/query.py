"""`GET /reports/groups` (§3.4, §7, §9): filters, paging by page number or cursor, and totals.

Cost: only the requester's index partitions are read; they project every listed attribute
(`LISTED_ATTRIBUTES`), so a page is served from the index alone (the dashboard's `activity=hourly`
also BatchGets the page's items for their hour counters). Views without dimension filters or
`from`/`to` bounds read a page lazily from ByAppLastSeen / ByAppStatus / ByOwnerLastSeen (≤ limit + 3
entries from a cursor, plus what skipping to `page` N costs) and take `total` from the counts the
aggregates function maintains. Dimension-filtered and bounded views walk the apps' light partitions (their
`total` is a count of the matches). docs/data-model.md lists every pattern with its reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetreport.apps.store import list_apps
from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest
from fleetreport.groups.activity import hourly_activity
from fleetreport.groups.answers import Group, GroupList
from fleetreport.groups.counts import read_counts, total_of
from fleetreport.groups.listing import Bounds, Cursor, Partition, cursor_of, fingerprint, read_page, walk
from fleetreport.groups.models import format_time, utc_now
from fleetreport.groups.scope import WHOLE_OWNER, apps_in_scope
from fleetreport.groups.store import app_status, batch_get_groups
from fleetreport.settings import get_settings

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_PAGE_DEPTH = 10_000  # SPEC §9: `page` x `limit` beyond this: 400; deeper pages take the cursor
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
    cursor: str | None = None  # opaque position from a previous answer's next_cursor

    @property
    def filters(self) -> str:
        """What a cursor is bound to: the filters, not the page or the limit."""
        return fingerprint(self.app, self.dimensions, self.since, self.until, self.status)

    @property
    def counted(self) -> bool:
        """Views whose total is a maintained count and whose page is read lazily."""
        return not self.dimensions and self.since is None and self.until is None

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
    page = _integer(given.get("page"), 1, None, "invalid page")
    limit = _integer(given.get("limit"), DEFAULT_LIMIT, MAX_LIMIT, "invalid limit")
    cursor = given.get("cursor")
    if cursor is None and page * limit > MAX_PAGE_DEPTH:
        # page N reads the (N-1) x limit entries it skips; with a cursor `page` only echoes
        raise BadRequest("use cursor for deep pages")
    return GroupQuery(
        app=given.get("app"),
        dimensions=tuple((attr, given[name]) for name, attr in DIMENSION_FILTERS.items() if name in given),
        since=since,
        until=until,
        status=status,
        page=page,
        limit=limit,
        cursor=cursor,
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
    found = _RFC3339.fullmatch(raw)
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


def list_groups(principal: Principal, query: GroupQuery, with_activity: bool = False) -> dict[str, Any]:
    """One page of the requester's groups, newest `last_seen` first (ties by group hash), the total,
    and `next_cursor` when more follow. With a cursor the page starts after it (`page` then only
    echoes); without one, page N skips (N-1) x limit entries on the light index."""
    after = Cursor.decode(query.cursor, query.filters) if query.cursor is not None else None
    offset = 0 if after is not None else (query.page - 1) * query.limit
    bounds = Bounds(query.since, query.until)
    scope = apps_in_scope(principal, query.app)
    empty = scope == [] or (query.since is not None and query.until is not None and query.since > query.until)
    if empty:
        entries, more, total = [], False, 0
    elif query.counted:
        app_ids = _owner_apps(principal) if scope is WHOLE_OWNER else scope
        partitions = _partitions(principal, scope, app_ids, query.status)
        entries, more = read_page(partitions, bounds, after=after, offset=offset, limit=query.limit)
        total = total_of(read_counts(get_settings().rollups_table, app_ids), query.status)
    else:
        entries, more, total = _walked_page(principal, scope, query, after, offset)
    if with_activity or not query.counted:  # hour counters live on the items only; a walk is light
        keys = [(entry["app_id"], entry["group_hash"]) for entry in entries]
        items = batch_get_groups(get_settings().groups_table, keys)
    else:
        items = entries  # the index projects every listed attribute (template.yaml)
    visible = [item for item in items if item.get("owner") == principal.owner]
    # the dashboard's sparklines (SPEC §10); opt-in, so faynoSync clients don't pay for them
    activity = hourly_activity(visible, utc_now()) if with_activity else {}
    groups = [Group.fields_of(item, activity.get((item["app_id"], item["group_hash"]))) for item in visible]
    fields: dict[str, Any] = {"items": groups, "total": total, "page": query.page, "limit": query.limit}
    if more and entries:
        fields["next_cursor"] = cursor_of(entries[-1], query.filters, None if query.counted else total)
    return GroupList.model_validate(fields).to_json()


_WALKED = ("owner", "status", *DIMENSION_FILTERS.values())  # what a filtered walk reads of an entry


def _walked_page(
    principal: Principal, scope: list[str] | None, query: GroupQuery, after: Cursor | None, offset: int
) -> tuple[list[dict[str, Any]], bool, int]:
    """A dimension-filtered or bounded view: page 1 (or `page` N) walks the partitions to count the
    matches; a cursor page continues the walk after the cursor, only as far as its page, and keeps
    the total the first page counted (SPEC §9: never walks again from the start)."""
    partitions = _partitions(principal, scope, scope or [], "all")
    bounds = Bounds(query.since, query.until)
    if after is not None and after.total is not None:
        entries, more = read_page(
            partitions,
            bounds,
            after=after,
            offset=0,
            limit=query.limit,
            matches=query.matches,
            attributes=_WALKED,
        )
        return entries, more, after.total
    matching = [entry for entry in walk(partitions, bounds, _WALKED) if query.matches(entry)]
    later = [entry for entry in matching if after is None or after.is_before(entry)]
    return later[offset : offset + query.limit], len(later) > offset + query.limit, len(matching)


def _partitions(
    principal: Principal, scope: list[str] | None, app_ids: list[str], status: str
) -> list[Partition]:
    """The index partitions a view reads: the owner's index for an admin's every-status view without an
    app filter; otherwise one partition per app, ByAppLastSeen (every status) or ByAppStatus (one)."""
    if scope is WHOLE_OWNER and status == "all":
        return [Partition("ByOwnerLastSeen", "owner", principal.owner)]
    if status == "all":
        return [Partition("ByAppLastSeen", "app_id", app_id) for app_id in app_ids]
    return [Partition("ByAppStatus", "app_status", app_status(app_id, status)) for app_id in app_ids]


def _owner_apps(principal: Principal) -> list[str]:
    return [app.app_id for app in list_apps(principal.owner)]
