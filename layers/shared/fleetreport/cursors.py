"""Opaque paging cursors: one codec for every `cursor` / `next_cursor` of the API.

A cursor is base64url JSON of one pydantic model per kind (strict types, no other fields, each field
matching the format the code writes and bounded in size). A client can send anything back, and a
cursor's fields become key conditions (DynamoDB refuses a sort-key value over 1,024 bytes with a 500
that would be ours), so decoding validates every field: whatever is not a cursor this code issued —
bad base64, not JSON, JSON nested a thousand levels, a field of another type, format or size, another
view's cursor — is 400 `invalid cursor`, never another error.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from fleetreport.errors import BadRequest

INVALID = "invalid cursor"
# Longer than any cursor issued (the largest, a group list's, is ~230 characters): refused unread.
MAX_CURSOR_CHARS = 1024

# The formats the code writes (groups/models.format_time, sha256 hex digests, uuid app ids).
Instant = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
AppId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
SignalKey = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{32}$")
]


class CursorModel(BaseModel):
    """The base of every cursor kind: strict (no coercion), closed (no other field), immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def encode(cursor: CursorModel) -> str:
    """The cursor as clients see it: base64url of its compact JSON, without padding."""
    raw = cursor.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode[C: CursorModel](kind: type[C], text: str) -> C:
    """The `kind` cursor `text` encodes; BadRequest `invalid cursor` for anything else."""
    if not text or len(text) > MAX_CURSOR_CHARS:
        raise BadRequest(INVALID)
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        return kind.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError, RecursionError):
        raise BadRequest(INVALID) from None
