"""The aggregates function on the groups table's stream (SPEC §9): status counts, retention, repairs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from fleetreport.groups.counts import read_counts
from groups_support import (
    blob_items,
    group_item,
    gzip_details,
    ingest,
    make_app,
    no_rate_limits,
    put_group,
    report,
)
from stream_support import expire


def counts(stack: Any, app_id: str) -> dict[str, int]:
    stack.drain()
    return read_counts(stack.name("RollupsTable"), [app_id])[app_id]


def recount(stack: Any, app_id: str) -> dict[str, int]:
    """The same counts recomputed from the groups themselves."""
    found = {"open": 0, "resolved": 0, "muted": 0}
    for item in stack.table("GroupsTable").scan()["Items"]:
        if item["app_id"] == app_id:
            found[item.get("status", "open")] += 1
    return found


def patch(stack: Any, headers: dict[str, str], group_hash: str, body: Any) -> Any:
    return stack.http("PATCH", f"/reports/groups/{group_hash}", headers=headers, body=body)


def test_counts_follow_inserts_status_changes_reopens_and_deletes(
    stack: Any, settings_env: Any, admin: dict[str, str]
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    hashes = [ingest(stack, key, report(reason=f"r{n}")).json()["group_hash"] for n in range(5)]
    ingest(stack, key, report(reason="r0"))  # a second report: no new group
    assert counts(stack, app_id) == {"open": 5, "resolved": 0, "muted": 0}
    assert patch(stack, admin, hashes[0], {"status": "resolved"}).status == 200
    assert patch(stack, admin, hashes[1], {"status": "muted"}).status == 200
    assert patch(stack, admin, hashes[2], {"status": "resolved"}).status == 200
    assert patch(stack, admin, hashes[3], {"tags": ["x"]}).status == 200  # no status change
    assert counts(stack, app_id) == {"open": 2, "resolved": 2, "muted": 1}
    ingest(stack, key, report(reason="r0"))  # reopens the resolved group
    ingest(stack, key, report(reason="r1"))  # muted stays muted
    assert counts(stack, app_id) == {"open": 3, "resolved": 1, "muted": 1}
    assert stack.http("DELETE", f"/reports/groups/{hashes[4]}", headers=admin).status == 200
    assert counts(stack, app_id) == {"open": 2, "resolved": 1, "muted": 1} == recount(stack, app_id)


def test_a_redelivered_batch_is_counted_once(stack: Any, settings_env: Any) -> None:
    """Stream records arrive at least once: delivering the same records again changes nothing."""
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    seen: list[dict[str, Any]] = []

    def recording(function: str, event: dict[str, Any]) -> Any:
        if function == "AggregatesFunction":
            seen.append(event)
        return stack.invoke(function, event)

    for n in range(3):
        ingest(stack, key, report(reason=f"r{n}"))
    stack.streams.pump(recording)
    assert counts(stack, app_id)["open"] == 3
    for event in seen:
        assert stack.invoke("AggregatesFunction", event) == {"batchItemFailures": []}
    assert counts(stack, app_id) == {"open": 3, "resolved": 0, "muted": 0}


def test_a_failed_record_is_retried_and_counted_once(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that fails is reported by sequence number; the mapping retries from it (so the
    records after it come again) and every change is still counted exactly once."""
    from fleetreport.aggregates import stream

    app_id, _ = make_app(stack)
    for n in range(4):  # written straight to the table: one batch of 4 pending records
        put_group(stack, "t1", app_id, reason=f"r{n}")
    original, calls = stream.apply_delta, []

    def flaky(*args: Any, **kwargs: Any) -> bool:
        calls.append(kwargs["event_id"])
        if len(calls) == 2:
            raise RuntimeError("throttled")
        return original(*args, **kwargs)

    monkeypatch.setattr(stream, "apply_delta", flaky)
    stack.drain()
    assert len(calls) > 4  # the failed record and those after it came again
    assert counts(stack, app_id) == {"open": 4, "resolved": 0, "muted": 0}


def test_ingest_sets_the_group_ttl_from_its_last_report(stack: Any, settings_env: Any) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    item = group_item(stack, app_id, group_hash)
    assert item is not None
    last_seen = datetime.fromisoformat(item["last_seen"].replace("Z", "+00:00")).astimezone(UTC)
    assert int(item["expires_at"]) == int(last_seen.timestamp()) + 90 * 86_400
    assert item["app_status"] == f"{app_id}#open"
    settings_env(REPORTS_GROUP_RETENTION_DAYS="0")  # keep forever
    other = ingest(stack, key, report(reason="kept")).json()["group_hash"]
    assert "expires_at" not in (group_item(stack, app_id, other) or {})


def test_an_expired_group_takes_its_blobs_and_its_count_with_it(stack: Any, settings_env: Any) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    doomed = ingest(stack, key, report(details=gzip_details())).json()["group_hash"]
    ingest(stack, key, report(details=gzip_details()))
    kept = ingest(stack, key, report(reason="kept", details=gzip_details())).json()["group_hash"]
    assert len(blob_items(stack, app_id, doomed)) == 2
    assert counts(stack, app_id)["open"] == 2
    bucket = stack.name("BlobBucket")
    objects = [blob["storage"]["key"] for blob in blob_items(stack, app_id, doomed)]
    expire(stack, "GroupsTable", {"app_id": app_id, "group_hash": doomed})
    stack.drain()
    assert blob_items(stack, app_id, doomed) == []
    s3 = boto3.client("s3")
    left = {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert not left & set(objects)
    assert len(blob_items(stack, app_id, kept)) == 1  # another group's blobs stay
    assert counts(stack, app_id) == {"open": 1, "resolved": 0, "muted": 0}


def test_a_group_recreated_before_the_removal_is_processed_keeps_its_new_blobs(
    stack: Any, settings_env: Any
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    group_hash = ingest(stack, key, report(details=gzip_details())).json()["group_hash"]
    stack.drain()
    expire(stack, "GroupsTable", {"app_id": app_id, "group_hash": group_hash})
    old = blob_items(stack, app_id, group_hash)
    # a new report arrives before the stream is processed: it is stored with a later timestamp
    item = put_group(stack, "t1", app_id, last_seen="2999-01-01T00:00:00.000Z")
    stack.table("BlobsTable").put_item(
        Item={**old[0], "blob_sk": "2999-01-01T00:00:00.000Z#new", "id": "new", "storage": {"key": ""}}
    )
    stack.drain()
    assert [blob["id"] for blob in blob_items(stack, app_id, item)] == ["new"]


def test_a_group_without_app_status_is_repaired_so_status_views_find_it(
    stack: Any, admin: dict[str, str]
) -> None:
    """Items written before the ByAppStatus index (or by a writer that forgot the key) get it."""
    app_id, _ = make_app(stack)
    group_hash = put_group(stack, "t1", app_id, status="muted", app_status=None)
    stack.drain()
    assert (group_item(stack, app_id, group_hash) or {})["app_status"] == f"{app_id}#muted"
    listed = stack.http("GET", "/reports/groups", headers=admin, query={"status": "muted"}).json()
    assert [g["group_hash"] for g in listed["items"]] == [group_hash] and listed["total"] == 1
