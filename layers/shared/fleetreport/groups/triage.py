"""Triage (§3.4): PATCH status/tags/note, conditional mutes (§10), and DELETE of a group with its blobs.

A conditional mute stores when it ends: `mute_until` (an instant) and/or `mute_ends_at_count` (the
group's count when the mute was set plus N). Ingest never looks at them (its one write stays
condition-free of mutes); the alerts stream consumer reopens the group on the first report that
reaches either bound and fires `group.unmuted` (docs/alerts.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest, NotFound
from fleetreport.groups.answers import GroupDeleted, GroupUpdated
from fleetreport.groups.blobs import delete_blobs, location_of, newest_blobs
from fleetreport.groups.lookup import check_group_hash, visible_group
from fleetreport.groups.models import STATUSES, format_time, utc_now
from fleetreport.groups.query import _bound as parse_instant
from fleetreport.groups.store import delete_group_item, update_triage
from fleetreport.http import logger
from fleetreport.settings import get_settings

TAG = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
MAX_TAGS = 20
MAX_NOTE_BYTES = 2000
MAX_MUTE_COUNT = 1_000_000_000
MUTE_FIELDS = ("mute_until", "mute_ends_at_count", "muted_at")


@dataclass(frozen=True)
class GroupPatch:
    status: str | None = None
    tags: list[str] | None = None
    note: str | None = None
    mute_until: str | None = None  # stored form of the instant the mute ends
    mute_until_count: int | None = None  # N more reports

    @property
    def conditional_mute(self) -> bool:
        return self.mute_until is not None or self.mute_until_count is not None


def parse_patch(body: Any, now: datetime | None = None) -> GroupPatch:
    """Validate a PATCH body in the spec's order, then the mute bounds; `null` counts as absent."""
    if not isinstance(body, dict):
        raise BadRequest("invalid request body")
    status, tags, note = (body.get(name) for name in ("status", "tags", "note"))
    until, count = body.get("mute_until"), body.get("mute_until_count")
    if status is None and tags is None and note is None and until is None and count is None:
        raise BadRequest("no fields to update")
    if status is not None and status not in STATUSES:
        raise BadRequest("invalid status")
    if tags is not None and not _valid_tags(tags):
        raise BadRequest("invalid tags")
    if note is not None:
        if not isinstance(note, str):
            raise BadRequest("invalid note")
        if len(note.encode("utf-8")) > MAX_NOTE_BYTES:
            raise BadRequest("note too long")
    mute_until, mute_count = _parse_mute(status, until, count, now or utc_now())
    return GroupPatch(
        status=status,
        tags=list(dict.fromkeys(tags)) if tags is not None else None,
        note=note,
        mute_until=mute_until,
        mute_until_count=mute_count,
    )


def _parse_mute(status: Any, until: Any, count: Any, now: datetime) -> tuple[str | None, int | None]:
    """`mute_until` must be a future RFC 3339 instant, `mute_until_count` a whole number of reports
    (1..1e9); either only together with `status: muted`."""
    if until is None and count is None:
        return None, None
    if status != "muted":
        raise BadRequest("mute_until and mute_until_count need status muted")
    stored: str | None = None
    if until is not None:
        stored = (
            parse_instant(until, "invalid mute_until", round_up=False) if isinstance(until, str) else None
        )
        if stored is None or stored <= format_time(now):
            raise BadRequest("invalid mute_until")
    if count is not None and (
        isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_MUTE_COUNT
    ):
        raise BadRequest("invalid mute_until_count")
    return stored, count


def _valid_tags(tags: Any) -> bool:
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        return False
    return all(isinstance(tag, str) and TAG.fullmatch(tag) for tag in tags)


def patch_changes(
    patch: GroupPatch, principal: Principal, now: str, count: int = 0
) -> tuple[dict[str, Any], list[str]]:
    """Attributes to set and to remove: `resolved` records who and when, any other status clears
    that; an empty tag list or note removes the attribute. A status change replaces any earlier
    mute bounds (`count` is the group's count now: the mute ends N reports later)."""
    sets: dict[str, Any] = {"updated_at": now}
    removes: list[str] = []
    if patch.status is not None:
        sets["status"] = patch.status
        if patch.status == "resolved":
            sets.update(resolved_at=now, resolved_by=principal.sub)
        else:
            removes += ["resolved_at", "resolved_by"]
        removes += list(MUTE_FIELDS)
    if patch.conditional_mute:
        sets["muted_at"] = now
        if patch.mute_until is not None:
            sets["mute_until"] = patch.mute_until
        if patch.mute_until_count is not None:
            sets["mute_ends_at_count"] = count + patch.mute_until_count
        removes = [name for name in removes if name not in sets]
    if patch.tags is not None:
        if patch.tags:
            sets["tags"] = patch.tags
        else:
            removes.append("tags")
    if patch.note is not None:
        if patch.note:
            sets["note"] = patch.note
        else:
            removes.append("note")
    return sets, removes


def patch_group(
    principal: Principal, group_hash: str, body: Any, app_name: str | None = None
) -> GroupUpdated:
    check_group_hash(group_hash)
    patch = parse_patch(body)
    item = visible_group(principal, group_hash, app_name)
    if item is None:
        raise NotFound("report group not found")
    sets, removes = patch_changes(patch, principal, format_time(utc_now()), int(item.get("count", 0)))
    updated = update_triage(
        get_settings().groups_table,
        owner=principal.owner,
        app_id=item["app_id"],
        group_hash=group_hash,
        sets=sets,
        removes=removes,
    )
    if not updated:
        raise NotFound("report group not found")
    return GroupUpdated(group_hash=group_hash, updated=True)


def delete_group(principal: Principal, group_hash: str, app_name: str | None = None) -> GroupDeleted:
    """Blobs first (objects, then metadata), the group last: if anything fails half-way the group is
    still there, so deleting it again finishes the job."""
    item = visible_group(principal, check_group_hash(group_hash), app_name)
    if item is None:
        raise NotFound("report group not found")
    settings = get_settings()
    app_id = item["app_id"]
    blobs = newest_blobs(settings.blobs_table, app_id, group_hash)
    delete_blobs(settings.blobs_table, [location_of(blob, settings.blob_bucket) for blob in blobs])
    if not delete_group_item(
        settings.groups_table, owner=principal.owner, app_id=app_id, group_hash=group_hash
    ):
        raise NotFound("report group not found")
    logger.info("group deleted", extra={"app_id": app_id, "group_hash": group_hash, "blobs": len(blobs)})
    return GroupDeleted(group_hash=group_hash, deleted=True)
