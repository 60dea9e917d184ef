"""Per-app group counts by status (RollupsTable `GC#{app_id}` / `STATUS`): their layout and their
reading. The groups list reads them for its `total`; the aggregates function (aggregates/counts.py)
keeps them from the groups table's stream, so the shared facts live here, in the lower room.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fleetreport.groups.models import STATUSES
from fleetreport.storage.aws import dynamodb
from fleetreport.storage.pages import batch_get

COUNTS_SK = "STATUS"
_BATCH_ATTEMPTS = 6


def counts_pk(app_id: str) -> str:
    return f"GC#{app_id}"


def read_counts(counts_table: str, app_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """Counts per status for each app (apps never counted have zeros): one BatchGetItem per 100 apps."""
    wanted = list(dict.fromkeys(app_ids))
    found: dict[str, dict[str, int]] = {app_id: dict.fromkeys(STATUSES, 0) for app_id in wanted}
    keys = [{"pk": counts_pk(app_id), "sk": COUNTS_SK} for app_id in wanted]
    for item in batch_get(_client(), counts_table, keys, attempts=_BATCH_ATTEMPTS):
        app_id = str(item["pk"]).removeprefix("GC#")
        found[app_id] = {s: max(0, int(item.get(s, 0))) for s in STATUSES}
    return found


def total_of(counts: Mapping[str, Mapping[str, int]], status: str = "all") -> int:
    """Groups in these apps' counts: every status (`all`) or one."""
    wanted = STATUSES if status == "all" else (status,)
    return sum(per_app.get(s, 0) for per_app in counts.values() for s in wanted)


def _client() -> Any:
    return dynamodb().meta.client
