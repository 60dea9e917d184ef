"""One group and its detail blobs, within the requester's apps (§3.4).

A hash the requester cannot see is indistinguishable from an unknown one: 404 for the group,
an empty list for its blobs.
"""

from __future__ import annotations

import re
from typing import Any

from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest, NotFound
from fleetreport.groups.activity import group_activity
from fleetreport.groups.answers import Blob, Group
from fleetreport.groups.blobs import location_of, newest_blobs, presigned_url
from fleetreport.groups.models import utc_now
from fleetreport.groups.scope import app_ids_in_scope
from fleetreport.groups.store import find_group
from fleetreport.settings import get_settings

GROUP_HASH = re.compile(r"^[a-f0-9]{64}$")
MAX_BLOBS = 50


def check_group_hash(group_hash: str) -> str:
    if not GROUP_HASH.fullmatch(group_hash):
        raise BadRequest("invalid group hash")
    return group_hash


def visible_group(
    principal: Principal, group_hash: str, app_name: str | None = None
) -> dict[str, Any] | None:
    """The stored group item if the requester may see it (narrowed to the app called `app_name`)."""
    app_ids = app_ids_in_scope(principal, app_name or None)
    if not app_ids:
        return None
    return find_group(get_settings().groups_table, principal.owner, app_ids, group_hash)


def get_group(principal: Principal, group_hash: str, app_name: str | None = None) -> dict[str, Any]:
    item = visible_group(principal, check_group_hash(group_hash), app_name)
    if item is None:
        raise NotFound("report group not found")
    return Group.of(item, group_activity(item, utc_now())).to_json()


def parse_blob_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return MAX_BLOBS
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_BLOBS:
        raise BadRequest("invalid limit")
    return int(raw)


def list_group_blobs(
    principal: Principal, group_hash: str, limit: int, app_name: str | None = None
) -> list[Blob]:
    """Newest first, each with a 15-minute presigned GET URL; blobs that cannot be signed are skipped."""
    item = visible_group(principal, check_group_hash(group_hash), app_name)
    if item is None:
        return []
    settings = get_settings()
    blobs = []
    for blob in newest_blobs(settings.blobs_table, item["app_id"], group_hash, limit):
        url = presigned_url(location_of(blob, settings.blob_bucket))
        if url is not None:
            blobs.append(Blob.of(blob, url))
    return blobs
