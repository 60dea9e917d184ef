"""The groups hitting most devices per release (SPEC §12 `top_groups`), kept from the groups stream.

One small ranking entry per (app, slice, version, group) in RollupsTable: `pk = TG#{app_id}#{slice}#
{version}`, `sk = {10^12 - devices, 12 digits}#{group_hash}`, so one Query of the partition reads the
groups by `stats.devices` descending, ties by group hash, and `Limit 10` reads 10 entries whatever
the number of groups. The aggregates function hands its batch here (after the release report counts):
per group, the entry of its first old image is deleted and the one of its last new image put. Both
writes are idempotent, so a retried batch changes nothing; a deleted or expired group's REMOVE
deletes its entries, so the next group moves up with no walk (docs/decisions.md ADR 24).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.conditions import Key

from fleetreport.releases.keys import slices_of
from fleetreport.storage.aws import table

TOP = 10
_SCALE = 10**12
Change = tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]


def ranking_pk(app_id: str, slice_: str, version: str) -> str:
    return f"TG#{app_id}#{slice_}#{version}"


def ranking_sk(devices: int, group_hash: str) -> str:
    """Sorts by devices descending, then group hash ascending."""
    return f"{_SCALE - devices:012d}#{group_hash}"


def _entries(image: Mapping[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    """The ranking entries a group image stands for (none without a device, or without dimensions)."""
    if not image or "group_hash" not in image or "app_version" not in image:
        return {}
    devices = int(image.get("devices", 0) or 0)
    if devices < 1:
        return {}
    app_id, version, group_hash = str(image["app_id"]), str(image["app_version"]), str(image["group_hash"])
    entries = {}
    for slice_ in slices_of(str(image.get("app_channel", "")), str(image.get("sys_platform", ""))):
        key = (ranking_pk(app_id, slice_, version), ranking_sk(devices, group_hash))
        entries[key] = {
            "pk": key[0],
            "sk": key[1],
            "app_id": app_id,
            "group_hash": group_hash,
            "devices": devices,
            "owner": str(image.get("owner", "")),
        }
    return entries


def rank_groups(rollups_table: str, changes: Iterable[Change]) -> int:
    """Move each changed group's ranking entries; returns the entries written or deleted."""
    first_old: dict[tuple[str, str], Mapping[str, Any] | None] = {}
    last_new: dict[tuple[str, str], Mapping[str, Any] | None] = {}
    for _, old, new in changes:
        image = new or old or {}
        if "group_hash" not in image or "app_id" not in image:
            continue
        group = (str(image["app_id"]), str(image["group_hash"]))
        first_old.setdefault(group, old)
        last_new[group] = new
    deletes: set[tuple[str, str]] = set()
    puts: dict[tuple[str, str], dict[str, Any]] = {}
    for group, old in first_old.items():
        before, after = _entries(old), _entries(last_new[group])
        deletes.update(key for key in before if key not in after)
        puts.update({key: entry for key, entry in after.items() if key not in before})
    if not deletes and not puts:
        return 0
    with table(rollups_table).batch_writer() as batch:
        for pk, sk in sorted(deletes):
            batch.delete_item(Key={"pk": pk, "sk": sk})
        for entry in puts.values():
            batch.put_item(Item=entry)
    return len(deletes) + len(puts)


def top_entries(rollups_table: str, app_id: str, slice_: str, version: str) -> list[dict[str, Any]]:
    """The (up to) 10 ranking entries of a release slice: one Query, `Limit 10`."""
    answer = table(rollups_table).query(
        KeyConditionExpression=Key("pk").eq(ranking_pk(app_id, slice_, version)), Limit=TOP
    )
    return list(answer.get("Items", []))
