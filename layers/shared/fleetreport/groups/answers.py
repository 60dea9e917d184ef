"""What the triage routes answer (faynoSync's contract): one pydantic model per response shape.

The model that serializes an answer is also its OpenAPI schema (Powertools derives it from the
routes' `responses`), so the document cannot drift from the wire. Field order is the wire's key order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from typing_extensions import TypedDict

GROUP_HASH_PATTERN = r"^[a-f0-9]{64}$"


class _Answer(BaseModel):
    # Schemas are built on a model's first use, not at import: each route builds only its own
    # answer (docs/performance.md, cold start).
    model_config = ConfigDict(frozen=True, defer_build=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


class GroupUpdated(_Answer):
    """`PATCH /reports/groups/{group_hash}`: the group's triage fields were changed."""

    group_hash: str = Field(pattern=GROUP_HASH_PATTERN)
    updated: Literal[True]


class GroupDeleted(_Answer):
    """`DELETE /reports/groups/{group_hash}`: the group and its detail blobs are gone."""

    group_hash: str = Field(pattern=GROUP_HASH_PATTERN)
    deleted: Literal[True]


# A page of groups is validated once, as one GroupList (pydantic-core builds it in Rust: about twice as
# fast as `model_construct` per group); the nested parts are TypedDicts so a group is one model, and
# `exclude_unset` keeps absent optionals off the wire. Blobs (at most 10) are built unvalidated.
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
GroupHash = Annotated[str, Field(pattern=GROUP_HASH_PATTERN)]


class Application(TypedDict):
    name: str
    version: str
    channel: str


class System(TypedDict):
    platform: str
    arch: str


class Event(TypedDict):
    type: str
    reason: str


class Stats(TypedDict):
    count: int
    first_seen: Time
    last_seen: Time
    details_stored: int
    details_rejected: int
    devices: Annotated[
        int,
        Field(description="distinct devices that reported the group since it was first seen (SPEC §12)"),
    ]


class HourCount(TypedDict):
    hour: Time
    count: int


class DayCount(TypedDict):
    day: str
    count: int
    devices: Annotated[int, Field(description="distinct devices that reported the group that UTC day")]


class Activity(TypedDict, total=False):
    """Reports per UTC hour over the last 24 h (list: with activity=hourly) and, on the group itself,
    per UTC day over the last 30 days; oldest first."""

    hourly: list[HourCount]
    daily: list[DayCount]


class Storage(TypedDict):
    key: str
    compressed_size: int
    decompressed_size: int
    content_type: str
    encoding: Annotated[Literal["gzip"], Field(description="the stored object's")]


_OPTIONAL_TRIAGE = ("tags", "note", "resolved_at", "resolved_by", "mute_until", "mute_ends_at_count")
# Every attribute a list item is made of besides the index keys (`Group.fields_of` plus the owner
# check): the group indexes project exactly these (template.yaml, tests/test_template.py), so a page
# is served from the index alone (SPEC §9: ≤ limit + 10 items read). Hour counters are not among
# them (their names change every hour): `activity=hourly` reads the page's items whole.
LISTED_ATTRIBUTES = (
    "owner",
    "id",
    "app_name",
    "app_version",
    "app_channel",
    "sys_platform",
    "sys_arch",
    "event_type",
    "event_reason",
    "status",
    "count",
    "first_seen",
    "details_stored",
    "details_rejected",
    "devices",
    "created_at",
    "updated_at",
    *_OPTIONAL_TRIAGE,
)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, Decimal)) else 0


class _Sparse(_Answer):
    """An answer whose optional keys are absent (not null) when they have no value."""

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class Group(_Sparse):
    """A report group (faynoSync's shape): nested dimensions, `stats`, the triage fields it has."""

    id: str
    group_hash: GroupHash
    app_id: str
    application: Application
    system: System
    event: Event
    stats: Stats
    status: Literal["open", "resolved", "muted"]
    tags: list[str] | None = None
    note: str | None = None
    resolved_at: Time | None = None
    resolved_by: str | None = None
    mute_until: Time | None = Field(None, description="a conditional mute ends at this instant (next report)")
    mute_ends_at_count: int | None = Field(
        None, description="a conditional mute ends when count reaches this"
    )
    created_at: Time
    updated_at: Time
    activity: Activity | None = None

    @classmethod
    def of(cls, item: dict[str, Any], activity: dict[str, Any] | None = None) -> Group:
        return cls.model_validate(cls.fields_of(item, activity))

    @staticmethod
    def fields_of(item: dict[str, Any], activity: dict[str, Any] | None = None) -> dict[str, Any]:
        """The wire fields of a stored group item; storage-only attributes (owner, index keys, hourly
        counters, TTLs) are not fields, so they never leave."""
        fields: dict[str, Any] = {
            "id": item.get("id", ""),
            "group_hash": item["group_hash"],
            "app_id": item["app_id"],
            "application": {
                "name": item.get("app_name", ""),
                "version": item.get("app_version", ""),
                "channel": item.get("app_channel", ""),
            },
            "system": {"platform": item.get("sys_platform", ""), "arch": item.get("sys_arch", "")},
            "event": {"type": item.get("event_type", ""), "reason": item.get("event_reason", "")},
            "stats": {
                "count": _int(item.get("count")),
                "first_seen": item.get("first_seen", ""),
                "last_seen": item.get("last_seen", ""),
                "details_stored": _int(item.get("details_stored")),
                "details_rejected": _int(item.get("details_rejected")),
                "devices": _int(item.get("devices")),
            },
            "status": item.get("status", "open"),
            "created_at": item.get("created_at", ""),
            "updated_at": item.get("updated_at", ""),
        }
        for name in _OPTIONAL_TRIAGE:
            value = item.get(name)
            if value:
                fields[name] = (
                    list(value) if name == "tags" else _int(value) if name.endswith("count") else value
                )
        if activity is not None:
            fields["activity"] = activity
        return fields


class GroupList(_Sparse):
    """`GET /reports/groups`: one page of groups, newest last_seen first."""

    items: list[Group]
    total: int = Field(description="groups matching the filters (every page)")
    page: int
    limit: int
    next_cursor: str | None = Field(
        None, description="opaque; pass it as `cursor` for the next page (absent on the last page)"
    )


class Blob(_Answer):
    """One stored detail blob of a group, with a presigned URL to fetch it."""

    id: str
    group_hash: GroupHash
    app_id: str
    application: Application
    system: System
    event: Event
    created_at: Time
    expires_at: Time
    storage: Storage
    url: str = Field(description="presigned GET URL, valid 15 minutes")

    @classmethod
    def of(cls, item: dict[str, Any], url: str) -> Blob:
        storage = item.get("storage") or {}
        return cls.model_construct(
            id=item["id"],
            group_hash=item["group_hash"],
            app_id=item["app_id"],
            application=item.get("application", {}),
            system=item.get("system", {}),
            event=item.get("event", {}),
            created_at=item["created_at"],
            expires_at=item.get("expires_at", ""),
            storage={
                "key": storage.get("key", ""),
                "compressed_size": _int(storage.get("compressed_size")),
                "decompressed_size": _int(storage.get("decompressed_size")),
                "content_type": storage.get("content_type", ""),
                "encoding": _stored_encoding(storage.get("encoding")),
            },
            url=url,
        )


class BlobList(_Answer):
    """`GET /reports/groups/{group_hash}/blobs`: newest first (empty for an unknown group)."""

    items: list[Blob]


def _stored_encoding(value: Any) -> str:
    """The stored object's encoding, always `gzip` (SPEC §3.3). Items written before it was described
    so said `gzip+base64`, the wire's encoding: their objects are the same gzip bytes."""
    return "gzip" if value in (None, "", "gzip+base64") else str(value)
