"""Where release counts live (RollupsTable, docs/data-model.md): one item per (app, slice, version).

`pk = RH#{app_id}#{slice}` holds every version of the app in that slice, `sk` is the version in an
order that sorts as versions do (numbers padded), so "newest first" is one Query, read backwards.
Slices are the views the reads filter by: every device (`all`), by channel, by platform, by both.
"""

from __future__ import annotations

import re

SLICE_ALL = "all"
_PART = re.compile(r"[0-9]+|[^0-9]+")


def slice_name(channel: str | None = None, platform: str | None = None) -> str:
    """The slice a read asks for (None or "" = not filtered on that dimension)."""
    parts = []
    if channel:
        parts.append(f"ch={channel}")
    if platform:
        parts.append(f"pl={platform}")
    return "|".join(parts) or SLICE_ALL


def slices_of(channel: str, platform: str) -> list[str]:
    """Every slice a device on (channel, platform) counts in. Empty values are their own slice only
    through `all` (a filter never asks for an empty channel)."""
    names = [SLICE_ALL]
    if channel:
        names.append(slice_name(channel=channel))
    if platform:
        names.append(slice_name(platform=platform))
    if channel and platform:
        names.append(slice_name(channel, platform))
    return names


def version_sort_key(version: str) -> str:
    """`1.10.0` after `1.9.2`: every run of digits padded to 12, then the version itself (unique)."""
    padded = "".join(part.zfill(12) if part.isdigit() else part for part in _PART.findall(version))
    return f"{padded}#{version}"


def counts_pk(app_id: str, slice_: str) -> str:
    return f"RH#{app_id}#{slice_}"


def counts_key(app_id: str, slice_: str, version: str) -> tuple[str, str]:
    return counts_pk(app_id, slice_), version_sort_key(version)
