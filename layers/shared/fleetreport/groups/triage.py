"""Triage (§3.4): PATCH status/tags/note, and DELETE of a group with its blobs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest, NotFound
from fleetreport.groups.blobs import delete_blobs, location_of, newest_blobs
from fleetreport.groups.lookup import check_group_hash, visible_group
from fleetreport.groups.models import STATUSES, format_time, utc_now
from fleetreport.groups.store import delete_group_item, update_triage
from fleetreport.http import logger
from fleetreport.settings import get_settings

TAG = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
MAX_TAGS = 20
MAX_NOTE_BYTES = 2000


@dataclass(frozen=True)
class GroupPatch:
    status: str | None = None
    tags: list[str] | None = None
    note: str | None = None


def parse_patch(body: Any) -> GroupPatch:
    """Validate a PATCH body in the spec's order; `null` counts as absent."""
    if not isinstance(body, dict):
        raise BadRequest("invalid request body")
    status, tags, note = (body.get(name) for name in ("status", "tags", "note"))
    if status is None and tags is None and note is None:
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
    return GroupPatch(status=status, tags=list(dict.fromkeys(tags)) if tags is not None else None, note=note)


def _valid_tags(tags: Any) -> bool:
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        return False
    return all(isinstance(tag, str) and TAG.match(tag) for tag in tags)


def patch_changes(patch: GroupPatch, principal: Principal, now: str) -> tuple[dict[str, Any], list[str]]:
    """Attributes to set and to remove: `resolved` records who and when, any other status clears
    that; an empty tag list or note removes the attribute."""
    sets: dict[str, Any] = {"updated_at": now}
    removes: list[str] = []
    if patch.status is not None:
        sets["status"] = patch.status
        if patch.status == "resolved":
            sets.update(resolved_at=now, resolved_by=principal.sub)
        else:
            removes += ["resolved_at", "resolved_by"]
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
) -> dict[str, Any]:
    check_group_hash(group_hash)
    patch = parse_patch(body)
    item = visible_group(principal, group_hash, app_name)
    if item is None:
        raise NotFound("report group not found")
    sets, removes = patch_changes(patch, principal, format_time(utc_now()))
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
    return {"group_hash": group_hash, "updated": True}


def delete_group(principal: Principal, group_hash: str, app_name: str | None = None) -> dict[str, Any]:
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
    return {"group_hash": group_hash, "deleted": True}
