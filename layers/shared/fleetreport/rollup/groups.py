"""Group rollups: a closed UTC day's per-hour report counts of every app (RollupsTable `GT#{app_id}`).

Ingest counts each report into its group's `h{yyyymmddHH}` attribute (UTC hour). Rolling day D reads
the tenant's groups seen since D began, writes one item per app with that day's rows
`[type, version, channel, platform, arch, reason, {HH: n}]` (gzip JSON, split into parts only when a
day outgrows an item), then — only once the items are written and the run state says so — removes
the day's `h…` attributes from the groups. A day at or before the run state's `groups_day` is final
and never recomputed, so a crash anywhere (before, during or after the removal) leaves a rerun exact.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from fleetreport.rollup import keys
from fleetreport.rollup.days import day_start
from fleetreport.rollup.names import projection

BY_OWNER_INDEX = "ByOwnerLastSeen"
BY_APP_INDEX = "ByAppLastSeen"
DIMENSIONS = ("event_type", "app_version", "app_channel", "sys_platform", "sys_arch", "event_reason")
HOUR_ATTRIBUTE = re.compile(r"^h(\d{4})(\d{2})(\d{2})(\d{2})$")
BATCH_GET_LIMIT = 100
# An item holds 400 KB; a day's rows are split into parts well below that.
MAX_PART_BYTES = 300_000
Row = list[Any]  # [type, version, channel, platform, arch, reason, {HH: n}]


@dataclass
class GroupCounters:
    """A group's identity, its dimensions and the hour counters still on its item."""

    app_id: str
    group_hash: str
    dims: tuple[str, ...]  # in DIMENSIONS order
    hours: dict[str, dict[str, int]] = field(default_factory=dict)  # day → {HH: n}

    def attributes_through(self, day: str) -> list[str]:
        """Names of the hour attributes of days up to `day` (what a cleanup removes)."""
        return [
            f"h{counted.replace('-', '')}{hour}"
            for counted, per_hour in sorted(self.hours.items())
            if counted <= day
            for hour in sorted(per_hour)
        ]


def hour_attribute(day: str, hour: str) -> str:
    return f"h{day.replace('-', '')}{hour}"


def counters_from_item(item: dict[str, Any]) -> GroupCounters:
    group = GroupCounters(
        app_id=item["app_id"],
        group_hash=item["group_hash"],
        dims=tuple(str(item.get(name, "")) for name in DIMENSIONS),
    )
    for name, value in item.items():
        match = HOUR_ATTRIBUTE.match(name)
        if match:
            year, month, mday, hour = match.groups()
            group.hours.setdefault(f"{year}-{month}-{mday}", {})[hour] = int(value)
    return group


def groups_seen_since(
    groups_table: Any, index: str, partition: tuple[str, str], day: str | None
) -> list[GroupCounters]:
    """Groups whose `last_seen` is at or after `day`'s start (every group with `day` None), read whole:
    the light index gives their keys, a BatchGet their hour counters."""
    name, value = partition
    condition: Any = Key(name).eq(value)
    if day is not None:
        condition &= Key("last_seen").gte(day_start(day))
    request: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition,
        **projection("app_id", "group_hash"),
    }
    group_keys = [
        {"app_id": item["app_id"], "group_hash": item["group_hash"]} for item in _pages(groups_table, request)
    ]
    return [counters_from_item(item) for item in _batch_get(groups_table, group_keys)]


def rows_by_app(groups: list[GroupCounters], day: str) -> dict[str, list[Row]]:
    """Each app's rows for `day`, sorted (so the same counters always make the same bytes)."""
    result: dict[str, list[Row]] = {}
    for group in groups:
        per_hour = group.hours.get(day)
        if per_hour:
            result.setdefault(group.app_id, []).append([*group.dims, dict(sorted(per_hour.items()))])
    for rows in result.values():
        rows.sort(key=lambda row: json.dumps(row, sort_keys=True))
    return result


def encode_parts(rows: list[Row]) -> list[bytes]:
    """gzip JSON of the rows, split in halves until every part fits an item comfortably."""
    encoded = gzip.compress(json.dumps(rows, separators=(",", ":")).encode(), mtime=0)
    if len(encoded) <= MAX_PART_BYTES or len(rows) < 2:
        return [encoded]
    middle = len(rows) // 2
    return encode_parts(rows[:middle]) + encode_parts(rows[middle:])


def decode_rows(value: Any) -> list[Row]:
    raw = bytes(value.value) if hasattr(value, "value") else bytes(value)
    rows: list[Row] = json.loads(gzip.decompress(raw))
    return rows


def write_day(rollups: Any, app_id: str, day: str, rows: list[Row]) -> int:
    """PutItem the app's items for `day`; returns how many parts were written."""
    parts = encode_parts(rows)
    for index, blob in enumerate(parts):
        reports = None if len(parts) > 1 else sum(sum(row[-1].values()) for row in rows)
        item: dict[str, Any] = {"pk": keys.group_pk(app_id), "sk": keys.group_sk(day, index), "rows": blob}
        item["parts"] = len(parts)
        if reports is not None:
            item["reports"] = reports
        rollups.put_item(Item=item)
    return len(parts)


def remove_counters(groups_table: Any, group: GroupCounters, through: str) -> bool:
    """REMOVE the group's hour attributes of days up to `through`; a deleted group is left alone."""
    names = group.attributes_through(through)
    if not names:
        return False
    placeholders = {f"#h{index}": name for index, name in enumerate(names)}
    try:
        groups_table.update_item(
            Key={"app_id": group.app_id, "group_hash": group.group_hash},
            UpdateExpression="REMOVE " + ", ".join(placeholders),
            ConditionExpression="attribute_exists(group_hash)",
            ExpressionAttributeNames=placeholders,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    for day in [day for day in group.hours if day <= through]:
        del group.hours[day]
    return True


def _pages(table: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    while True:
        answer = table.query(**request)
        yield from answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return
        request = {**request, "ExclusiveStartKey": answer["LastEvaluatedKey"]}


def _batch_get(table: Any, group_keys: list[dict[str, str]]) -> Iterator[dict[str, Any]]:
    for start in range(0, len(group_keys), BATCH_GET_LIMIT):
        pending: dict[str, Any] = {
            table.name: {"Keys": group_keys[start : start + BATCH_GET_LIMIT], "ConsistentRead": True}
        }
        while pending:
            answer = table.meta.client.batch_get_item(RequestItems=pending)
            yield from answer.get("Responses", {}).get(table.name, [])
            pending = answer.get("UnprocessedKeys") or {}
