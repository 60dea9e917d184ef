"""Detail payloads (§3.3): gzip+base64 checked in the spec's order, inflated in bounded steps.

A small gzip can inflate to gigabytes (a zip bomb), so the payload is never inflated in one call:
`zlib.decompressobj().decompress(data, max_length)` hands out at most one chunk at a time, the chunks
are counted and dropped, and inflation stops as soon as the count passes the limit.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from typing import Any

from fleetreport.errors import BadRequest, PayloadTooLarge

ENCODING = "gzip+base64"
CONTENT_TYPE = "application/json"
_GZIP_ONLY = 16 + zlib.MAX_WBITS  # gzip header and trailer (CRC, size) required, no raw/zlib streams
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Details:
    """A valid detail payload: the client's gzip bytes, kept unchanged, and their inflated size."""

    gzip_bytes: bytes
    decompressed_size: int

    @property
    def compressed_size(self) -> int:
        return len(self.gzip_bytes)


def base64_length_limit(max_bytes: int) -> int:
    """The longest base64 text that can decode to at most `max_bytes` bytes (padded encoding)."""
    return 4 * ((max_bytes + 2) // 3)


def parse_details(raw: Any, max_compressed: int, max_decompressed: int) -> Details | None:
    """Validate `details` (None when absent); raises the spec's 400/413 errors in the spec's order."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("encoding") != ENCODING:
        raise BadRequest("unsupported details encoding")
    if raw.get("content_type") != CONTENT_TYPE:
        raise BadRequest("unsupported details content_type")
    payload = raw.get("payload")
    if not isinstance(payload, str):
        raise BadRequest("invalid details payload encoding")
    if len(payload) > base64_length_limit(max_compressed):
        raise PayloadTooLarge("compressed details too large")
    try:
        gzip_bytes = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("invalid details payload encoding") from None
    if len(gzip_bytes) > max_compressed:
        raise PayloadTooLarge("compressed details too large")
    return Details(gzip_bytes, inflated_size(gzip_bytes, max_decompressed))


def inflated_size(gzip_bytes: bytes, limit: int) -> int:
    """Size of the gzip data once inflated, never producing more than limit + 1 bytes in total.

    Concatenated gzip members (what `cat a.gz b.gz` makes) are one stream, as for `gzip -d`.
    Raises 400 `invalid details payload` for anything that is not complete gzip data.
    """
    if not gzip_bytes:
        raise BadRequest("invalid details payload")
    total = 0
    pending = gzip_bytes
    while pending:
        inflater = zlib.decompressobj(_GZIP_ONLY)
        total = _inflate_member(inflater, pending, total, limit)
        pending = inflater.unused_data
    return total


def _inflate_member(inflater: Any, data: bytes, total: int, limit: int) -> int:
    """Inflate one gzip member chunk by chunk, counting; returns the running total."""
    while not inflater.eof:
        try:
            chunk = inflater.decompress(data, min(_CHUNK, limit + 1 - total))
        except zlib.error:
            raise BadRequest("invalid details payload") from None
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge("decompressed details too large")
        remaining = inflater.unconsumed_tail
        if not chunk and len(remaining) == len(data):
            # No output and no input consumed: the stream is truncated (zlib needs bytes we lack).
            raise BadRequest("invalid details payload")
        data = remaining
    return total
