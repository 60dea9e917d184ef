"""Group rollups: a closed UTC day's per-hour report counts of every app (RollupsTable `GT#{app_id}`).

Ingest counts each report into its group's `h{yyyymmddHH}` attribute (UTC hour). Rolling day D reads
the tenant's groups seen since D began and writes, per app, that day's rows
`[type, version, channel, platform, arch, reason, {HH: n}]` (gzip JSON) as attribute `d{dd}` of the
app's month item `M#{yyyy-mm}` — so a year of group_trend reads about 13 items. A day too big to sit
inline goes to part items `D#{day}#{n}`, announced by `p{dd}` = n on the month item. Then — only
once the items are written and the run state says so — removes the day's `h…` attributes from the
groups. A day at or before the run state's `groups_day` is final and never recomputed, so a crash
anywhere (before, during or after the removal) leaves a rerun exact.
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
from fleetreport.storage.pages import batch_get, query_items

BY_OWNER_INDEX = "ByOwnerLastSeen"
BY_APP_INDEX = "ByAppLastSeen"
DIMENSIONS = ("event_type", "app_version", "app_channel", "sys_platform", "sys_arch", "event_reason")
HOUR_ATTRIBUTE = re.compile(r"^h(\d{4})(\d{2})(\d{2})(\d{2})$")
# An item holds 400 KB: a month item holds up to 31 inline days of at most this many bytes each;
# a bigger day goes to part items of at most MAX_PART_BYTES.
MAX_INLINE_DAY_BYTES = 12_000
MAX_PART_BYTES = 300_000
DAY_ATTRIBUTE = re.compile(r"^([dp])(\d{2})$")
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
        match = HOUR_ATTRIBUTE.fullmatch(name)
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
    entries = query_items(groups_table, request)
    group_keys = [{"app_id": item["app_id"], "group_hash": item["group_hash"]} for item in entries]
    items = batch_get(groups_table.meta.client, groups_table.name, group_keys, consistent=True)
    return [counters_from_item(item) for item in items]


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


def encode_rows(rows: list[Row]) -> bytes:
    return gzip.compress(json.dumps(rows, separators=(",", ":")).encode(), mtime=0)


def encode_parts(rows: list[Row]) -> list[bytes]:
    """gzip JSON of the rows, split in halves until every part fits an item comfortably."""
    encoded = encode_rows(rows)
    if len(encoded) <= MAX_PART_BYTES or len(rows) < 2:
        return [encoded]
    middle = len(rows) // 2
    return encode_parts(rows[:middle]) + encode_parts(rows[middle:])


def decode_rows(value: Any) -> list[Row]:
    raw = bytes(value.value) if hasattr(value, "value") else bytes(value)
    rows: list[Row] = json.loads(gzip.decompress(raw))
    return rows


@dataclass(frozen=True)
class DayWrite:
    """What rolling one app's day writes: attributes SET on its month item, and the part items of a
    day too big to sit inline (put before the month item's `p{dd}` marker makes them visible)."""

    month_key: dict[str, str]
    attributes: dict[str, Any]  # one: `d{dd}` (the rows) or `p{dd}` (the number of parts)
    parts: list[dict[str, Any]]


def day_write(app_id: str, day: str, rows: list[Row]) -> DayWrite:
    month_key = {"pk": keys.group_pk(app_id), "sk": keys.group_month_sk(day)}
    whole = encode_rows(rows)
    if len(whole) <= MAX_INLINE_DAY_BYTES:
        return DayWrite(month_key, {keys.day_attribute(day): whole}, [])
    parts = [
        {"pk": keys.group_pk(app_id), "sk": keys.group_part_sk(day, index), "rows": blob}
        for index, blob in enumerate(encode_parts(rows))
    ]
    return DayWrite(month_key, {keys.parts_attribute(day): len(parts)}, parts)


def write_day(rollups: Any, app_id: str, day: str, rows: list[Row]) -> int:
    """Write the app's rows for `day` (idempotent: the same rows write the same bytes); returns the
    number of items written."""
    write = day_write(app_id, day, rows)
    for part in write.parts:
        rollups.put_item(Item=part)
    ((name, value),) = write.attributes.items()
    rollups.update_item(
        Key=write.month_key,
        UpdateExpression="SET #day = :value",
        ExpressionAttributeNames={"#day": name},
        ExpressionAttributeValues={":value": value},
    )
    return len(write.parts) + 1


def month_days(item: dict[str, Any]) -> Iterator[tuple[str, Any, int]]:
    """A month item's days: (day, inline rows or None, number of part items), in day order."""
    month = item["sk"][len(keys.MONTH_PREFIX) :]
    for name in sorted(item):
        match = DAY_ATTRIBUTE.fullmatch(name)
        if match:
            kind, mday = match.groups()
            day = f"{month}-{mday}"
            yield (day, item[name], 0) if kind == "d" else (day, None, int(item[name]))


def read_parts(rollups: Any, app_id: str, day: str) -> list[Row]:
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.group_pk(app_id))
        & Key("sk").begins_with(keys.group_parts_prefix(day)),
        **projection("rows"),
    }
    return [row for item in query_items(rollups, request) for row in decode_rows(item["rows"])]


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
