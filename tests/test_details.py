"""Detail payloads (SPEC §3.3): validation order and limits, zip bombs, S3 storage, metadata, trimming."""

from __future__ import annotations

import gzip
import re
import tracemalloc
import zlib
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from groups_support import blob_items, group_item, gzip_details, ingest, make_app, no_rate_limits, report

DEFAULT_COMPRESSED = 131072
DEFAULT_DECOMPRESSED = 1048576


@pytest.fixture
def app(stack: Any, settings_env: Any) -> tuple[str, str]:
    no_rate_limits(settings_env)
    return make_app(stack)


def send(stack: Any, key: str, details: Any) -> Any:
    return ingest(stack, key, report(details=details))


def refused(stack: Any, app: tuple[str, str], details: Any, status: int, message: str, count: int) -> None:
    """Refused with `status`/`message`, yet the report was counted (and its details rejected)."""
    result = send(stack, app[1], details)
    assert (result.status, result.json()) == (status, {"error": message}), details
    item = group_item(stack, app[0], report_hash())
    assert (
        item and item["count"] == count and item["details_rejected"] == count and item["details_stored"] == 0
    )


def report_hash() -> str:
    import hashlib

    return hashlib.sha256(b"test|1.4.2|stable|windows|amd64|update_failure|checksum_mismatch").hexdigest()


def stored_gzip_of_size(size: int) -> bytes:
    """Valid gzip data of exactly `size` bytes (stored blocks: the size is a known function of the input)."""
    for n in range(size - 40, size + 1):
        data = gzip.compress(b"\0" * n, compresslevel=0, mtime=0)
        if len(data) == size:
            return data
    raise AssertionError(size)


def bomb(inflated: int) -> bytes:
    """A gzip member inflating to `inflated` zero bytes, built without ever holding them in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [packer.compress(block) for _ in range(inflated // len(block))]
    parts.append(packer.compress(b"\0" * (inflated % len(block))))
    parts.append(packer.flush())
    return b"".join(parts)


# ---------------------------------------------------------------- validation, in the spec's order
def test_encoding_and_content_type_must_be_the_supported_ones(stack: Any, app: tuple[str, str]) -> None:
    good = gzip_details()
    cases = [
        ({**good, "encoding": "gzip"}, "unsupported details encoding"),
        ({k: v for k, v in good.items() if k != "encoding"}, "unsupported details encoding"),
        ("a string", "unsupported details encoding"),
        ({**good, "encoding": "base64", "content_type": "text/plain"}, "unsupported details encoding"),
        ({**good, "content_type": "text/plain"}, "unsupported details content_type"),
        ({**good, "content_type": "text/plain", "payload": "%%%"}, "unsupported details content_type"),
        ({k: v for k, v in good.items() if k != "content_type"}, "unsupported details content_type"),
    ]
    for count, (details, message) in enumerate(cases, start=1):
        refused(stack, app, details, 400, message, count)


def test_bad_base64_is_400(stack: Any, app: tuple[str, str]) -> None:
    for count, payload in enumerate(["%%%", "abc", "YWJj\nZGVm", 42, None], start=1):
        refused(
            stack, app, {**gzip_details(), "payload": payload}, 400, "invalid details payload encoding", count
        )


def test_payload_that_is_not_gzip_is_400(stack: Any, app: tuple[str, str]) -> None:
    whole = gzip.compress(b'{"a": 1}' * 50)
    corrupt = whole[:-8] + b"\0\0\0\0" + whole[-4:]  # wrong CRC
    not_gzip = [b"", b'{"plain": "json"}', zlib.compress(b"zlib, not gzip"), whole[:-5], whole[:12], corrupt]
    for count, gz in enumerate(not_gzip, start=1):
        refused(stack, app, gzip_details(gz=gz), 400, "invalid details payload", count)


def test_compressed_size_exactly_at_the_limit_is_accepted_one_byte_over_is_413(
    stack: Any, app: tuple[str, str]
) -> None:
    at_limit = stored_gzip_of_size(DEFAULT_COMPRESSED)
    result = send(stack, app[1], gzip_details(gz=at_limit))
    assert (result.status, result.json()["stored_details"]) == (202, True)
    over = stored_gzip_of_size(DEFAULT_COMPRESSED + 1)
    result = send(stack, app[1], gzip_details(gz=over))
    assert (result.status, result.json()) == (413, {"error": "compressed details too large"})
    item = group_item(stack, app[0], report_hash())
    assert item and (item["count"], item["details_stored"], item["details_rejected"]) == (2, 1, 1)


def test_base64_text_too_long_for_the_limit_is_413_before_decoding(stack: Any, app: tuple[str, str]) -> None:
    too_long = "%" * (4 * ((DEFAULT_COMPRESSED + 2) // 3) + 1)  # not even base64: its length alone decides
    refused(stack, app, {**gzip_details(), "payload": too_long}, 413, "compressed details too large", 1)


def test_decompressed_size_exactly_at_the_limit_is_accepted_one_byte_over_is_413(
    stack: Any, app: tuple[str, str]
) -> None:
    result = send(stack, app[1], gzip_details(b"\0" * DEFAULT_DECOMPRESSED))
    assert (result.status, result.json()["stored_details"]) == (202, True)
    [blob] = blob_items(stack, app[0], report_hash())
    assert blob["storage"]["decompressed_size"] == DEFAULT_DECOMPRESSED
    result = send(stack, app[1], gzip_details(b"\0" * (DEFAULT_DECOMPRESSED + 1)))
    assert (result.status, result.json()) == (413, {"error": "decompressed details too large"})


def test_concatenated_gzip_members_count_as_one_payload(stack: Any, app: tuple[str, str]) -> None:
    two = gzip.compress(b"\0" * 600_000) + gzip.compress(b"\0" * 600_000)
    result = send(stack, app[1], gzip_details(gz=two))
    assert (result.status, result.json()) == (413, {"error": "decompressed details too large"})
    result = send(stack, app[1], gzip_details(gz=gzip.compress(b"ab") + gzip.compress(b"cd")))
    assert result.status == 202
    [blob] = blob_items(stack, app[0], report_hash())
    assert blob["storage"]["decompressed_size"] == 4


def test_zip_bomb_is_refused_without_inflating_it(stack: Any, app: tuple[str, str]) -> None:
    payload = bomb(100 * 1024 * 1024)  # 100 MB of zeros in ~100 KB of gzip
    assert len(payload) <= DEFAULT_COMPRESSED
    details = gzip_details(gz=payload)
    tracemalloc.start()
    try:
        result = send(stack, app[1], details)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.status, result.json()) == (413, {"error": "decompressed details too large"})
    assert peak < 8 * 1024 * 1024, peak  # the request itself is ~0.3 MB; inflating would need 100 MB
    item = group_item(stack, app[0], report_hash())
    assert item and item["count"] == 1 and item["details_rejected"] == 1


# ---------------------------------------------------------------- storage
def test_valid_details_are_stored_unchanged_with_metadata(stack: Any, app: tuple[str, str]) -> None:
    app_id, key = app
    gz = gzip.compress(b'{"log": "stack trace"}', mtime=0)
    result = send(stack, key, gzip_details(gz=gz))
    assert result.status == 202 and result.json()["stored_details"] is True
    [blob] = blob_items(stack, app_id, report_hash())
    storage = blob["storage"]
    assert re.fullmatch(
        rf"reports/{app_id}/\d{{4}}/\d{{2}}/\d{{2}}/{report_hash()}-[0-9a-f]{{32}}\.json\.gz", storage["key"]
    )
    assert storage["key"].split("/")[2:5] == blob["created_at"][:10].split("-")
    assert (storage["compressed_size"], storage["decompressed_size"]) == (len(gz), 22)
    assert (storage["content_type"], storage["encoding"]) == ("application/json", "gzip")  # the S3 object's
    obj = boto3.client("s3").get_object(Bucket=stack.name("BlobBucket"), Key=storage["key"])
    assert obj["Body"].read() == gz and obj["ContentType"] == "application/gzip"
    assert blob["application"] == {"name": "test", "version": "1.4.2", "channel": "stable"}
    assert blob["system"] == {"platform": "windows", "arch": "amd64"}
    assert blob["event"] == {"type": "update_failure", "reason": "checksum_mismatch"}
    assert blob["group_hash"] == report_hash() and blob["app_id"] == app_id
    created = datetime.fromisoformat(blob["created_at"])
    expires = datetime.fromisoformat(blob["expires_at"])
    assert expires - created == timedelta(days=30)
    assert blob["ttl"] == int(expires.timestamp())
    item = group_item(stack, app_id, report_hash())
    assert item and (item["count"], item["details_stored"], item["details_rejected"]) == (1, 1, 0)


def test_listed_blobs_say_their_stored_object_is_gzip(stack: Any, app: tuple[str, str]) -> None:
    """faynoSync's TestReportDetailsStored: `storage.encoding` describes the S3 object (`gzip`), not the
    request's `gzip+base64`; blobs stored when it said `gzip+base64` are listed as `gzip` too."""
    app_id, key = app
    assert send(stack, key, gzip_details()).status == 202
    assert send(stack, key, gzip_details(b'{"second": true}')).status == 202
    older = blob_items(stack, app_id, report_hash())[0]
    stack.table("BlobsTable").update_item(
        Key={"group_key": older["group_key"], "blob_sk": older["blob_sk"]},
        UpdateExpression="SET #s.#e = :legacy",
        ExpressionAttributeNames={"#s": "storage", "#e": "encoding"},
        ExpressionAttributeValues={":legacy": "gzip+base64"},
    )
    admin = stack.auth(role="admin", owner="t1")
    listed = stack.http("GET", f"/reports/groups/{report_hash()}/blobs", headers=admin).json()["items"]
    assert [blob["storage"]["encoding"] for blob in listed] == ["gzip", "gzip"]


def test_retention_days_setting_sets_the_ttl(stack: Any, app: tuple[str, str], settings_env: Any) -> None:
    settings_env(REPORTS_BLOB_RETENTION_DAYS="7")
    send(stack, app[1], gzip_details())
    [blob] = blob_items(stack, app[0], report_hash())
    created, expires = (datetime.fromisoformat(blob[k]) for k in ("created_at", "expires_at"))
    assert expires - created == timedelta(days=7)


def test_s3_failure_still_counts_the_report_and_rejects_the_details(
    stack: Any, app: tuple[str, str], settings_env: Any
) -> None:
    settings_env(BLOB_BUCKET="no-such-bucket-anywhere")
    result = send(stack, app[1], gzip_details())
    assert result.status == 202
    assert result.json() == {"status": "accepted", "group_hash": report_hash(), "stored_details": False}
    item = group_item(stack, app[0], report_hash())
    assert item and (item["count"], item["details_stored"], item["details_rejected"]) == (1, 0, 1)
    assert blob_items(stack, app[0], report_hash()) == []


def test_only_the_newest_blobs_are_kept(stack: Any, app: tuple[str, str], settings_env: Any) -> None:
    settings_env(REPORTS_MAX_BLOBS_PER_GROUP="3")
    for n in range(6):
        assert send(stack, app[1], gzip_details(f'{{"n": {n}}}'.encode())).json()["stored_details"] is True
    blobs = sorted(blob_items(stack, app[0], report_hash()), key=lambda b: b["blob_sk"])
    assert len(blobs) == 3
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=stack.name("BlobBucket"), Prefix=f"reports/{app[0]}/")
    keys = sorted(obj["Key"] for obj in listed.get("Contents", []))
    assert keys == sorted(b["storage"]["key"] for b in blobs)
    bodies = [
        gzip.decompress(
            s3.get_object(Bucket=stack.name("BlobBucket"), Key=b["storage"]["key"])["Body"].read()
        )
        for b in blobs
    ]
    assert bodies == [b'{"n": 3}', b'{"n": 4}', b'{"n": 5}']
    item = group_item(stack, app[0], report_hash())
    assert item and item["details_stored"] == 6


def test_default_cap_keeps_exactly_ten(stack: Any, app: tuple[str, str]) -> None:
    for _ in range(12):
        send(stack, app[1], gzip_details())
    assert len(blob_items(stack, app[0], report_hash())) == 10


def test_details_are_only_decoded_after_the_rate_limits(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    settings_env(REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE="1")
    assert ingest(stack, key, report(), device="a").status == 202
    result = ingest(stack, key, report(details={"encoding": "zip"}), device="b")
    assert result.status == 429
