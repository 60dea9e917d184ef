"""What the triage routes answer (faynoSync's contract): one pydantic model per response shape.

The model that serializes an answer is also its OpenAPI schema (Powertools derives it from the
routes' `responses`), so the document cannot drift from the wire. Field order is the wire's key order.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

GROUP_HASH_PATTERN = r"^[a-f0-9]{64}$"


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)

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
