"""Concurrency through the real local HTTP stack (SPEC §8): `fleetreport serve` as a subprocess, many
client threads, and exact outcomes afterwards.

The 8 x 250 reports into one group -> exact count case lives in test_local_stack
(`test_concurrent_reports_into_one_group_are_all_counted`); this module adds what races against it:
triage PATCHes interleaved with reports (no lost field, no lost count) and concurrent blob trimming
(exactly N blobs and objects left).
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fleetreport_local.template import load_template
from test_local_stack import Served, bearer, call, free_port, launch, stop, wait_until_up

OWNER = "concurrency"
NO_RATE_LIMITS = {
    "REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE": "0",
    "REPORTS_RATE_LIMIT_PER_DEVICE_PER_GROUP_PER_HOUR": "0",
    "REPORTS_RATE_LIMIT_PER_GROUP_PER_MINUTE": "0",
}
MAX_BLOBS = 10  # template.yaml: REPORTS_MAX_BLOBS_PER_GROUP


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    stack = wait_until_up(
        launch(tmp_path_factory.mktemp("concurrency"), "--port", str(free_port()), **NO_RATE_LIMITS)
    )
    yield stack
    stop(stack)


def admin() -> dict[str, str]:
    return {**bearer(role="admin", owner=OWNER, sub="triager"), "Content-Type": "application/json"}


def create_app(served: Served, name: str) -> tuple[str, str]:
    body = json.dumps({"name": name, "reports": True}).encode()
    status, _, answer = call("POST", f"{served.api}/apps", headers=admin(), body=body)
    assert status == 201, answer
    created = json.loads(answer)
    return created["id"], created["report_key"]


def post_report(
    served: Served, name: str, key: str, device: str, details: bytes | None = None
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "application": {"name": name, "version": "2.0.1", "channel": "beta"},
        "system": {"platform": "linux", "arch": "arm64"},
        "event": {"type": "startup_failure", "reason": "missing_library"},
    }
    if details is not None:
        report["details"] = {
            "encoding": "gzip+base64",
            "content_type": "application/json",
            "payload": base64.b64encode(gzip.compress(details)).decode(),
        }
    headers = {"Authorization": f"Bearer {key}", "X-Device-ID": device, "Content-Type": "application/json"}
    status, _, body = call(
        "POST", f"{served.api}/reports/ingest", headers=headers, body=json.dumps(report).encode()
    )
    assert status == 202, body
    answer: dict[str, Any] = json.loads(body)
    return answer


def get_json(served: Served, path: str) -> Any:
    status, _, body = call("GET", f"{served.api}{path}", headers=admin())
    assert status == 200, body
    return json.loads(body)


def patch(served: Served, group_hash: str, change: dict[str, Any]) -> None:
    body = json.dumps(change).encode()
    status, _, answer = call("PATCH", f"{served.api}/reports/groups/{group_hash}", headers=admin(), body=body)
    assert status == 200, answer


def run_together(*jobs: Callable[[], None]) -> None:
    """Start every job at once; re-raise the first failure of any of them."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def wrapped(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as error:  # handed to the main thread
            errors.append(error)

    threads = [threading.Thread(target=wrapped, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not [t for t in threads if t.is_alive()], "a worker hung"
    if errors:
        raise errors[0]


@pytest.mark.stack
@pytest.mark.slow
def test_triage_racing_reports_loses_no_field_and_no_count(served: Served) -> None:
    _, key = create_app(served, "triage-race")
    group_hash = post_report(served, "triage-race", key, "seed")["group_hash"]
    reporters, per_reporter, patches = 4, 40, 30
    changes = [
        {"tags": [f"round-{i}", "flaky"]} if i % 3 == 0
        else {"note": f"note {i}"} if i % 3 == 1
        else {"status": "muted" if i % 2 else "open"}
        for i in range(patches)
    ] + [{"status": "muted"}]  # fmt: skip

    def report_many(n: int) -> Callable[[], None]:
        def job() -> None:
            for i in range(per_reporter):
                post_report(served, "triage-race", key, f"r{n}-{i}")

        return job

    def triage() -> None:
        for change in changes:
            patch(served, group_hash, change)

    run_together(triage, *(report_many(n) for n in range(reporters)))
    group = get_json(served, f"/reports/groups/{group_hash}")
    last_tags = next(c["tags"] for c in reversed(changes) if "tags" in c)
    last_note = next(c["note"] for c in reversed(changes) if "note" in c)
    assert group["stats"]["count"] == 1 + reporters * per_reporter
    assert (group["tags"], group["note"], group["status"]) == (last_tags, last_note, "muted")
    # A resolved group is reopened by the next report, with its tags and note intact.
    patch(served, group_hash, {"status": "resolved"})
    post_report(served, "triage-race", key, "after")
    group = get_json(served, f"/reports/groups/{group_hash}")
    assert (group["status"], group["tags"], group["note"]) == ("open", last_tags, last_note)
    assert "resolved_at" not in group and "resolved_by" not in group
    assert group["stats"]["count"] == 2 + reporters * per_reporter


@pytest.mark.stack
@pytest.mark.slow
def test_concurrent_trimming_keeps_exactly_the_cap(served: Served) -> None:
    app_id, key = create_app(served, "trim-race")
    threads, per_thread = 8, 6

    def send(n: int) -> Callable[[], None]:
        def job() -> None:
            for i in range(per_thread):
                details = json.dumps({"n": f"{n}-{i}"}).encode()
                assert post_report(served, "trim-race", key, f"t{n}-{i}", details)["stored_details"]

        return job

    run_together(*(send(n) for n in range(threads)))
    [group] = get_json(served, "/reports/groups?app=trim-race")["items"]
    assert (group["stats"]["count"], group["stats"]["details_stored"]) == (threads * per_thread,) * 2
    blobs = get_json(served, f"/reports/groups/{group['group_hash']}/blobs")["items"]
    assert len(blobs) == MAX_BLOBS
    assert stored_objects(served, app_id) == sorted(blob["storage"]["key"] for blob in blobs)


def stored_objects(served: Served, app_id: str) -> list[str]:
    """The S3 objects under the app's prefix, read from the stack's own moto endpoint."""
    assert served.info is not None
    s3 = boto3.client("s3", endpoint_url=served.info["aws_endpoint"], region_name="us-east-1")
    bucket = load_template().physical_name("BlobBucket")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"reports/{app_id}/")
    return sorted(obj["Key"] for obj in listed.get("Contents", []))


@pytest.mark.stack
@pytest.mark.slow
def test_served_stack_log_has_no_tracebacks(served: Served) -> None:
    """The races above answered as asserted; nothing failed on the side (trimming logs and moves on)."""
    log = Path(served.log).read_text()
    assert "Traceback" not in log
    assert "blob trimming failed" not in log


def test_concurrent_containers_each_read_their_own_request() -> None:
    """Powertools keeps the request on a class attribute; the local stack's containers are threads of
    one process, so each thread must read its own (fleetreport_local.isolation). Before that, a PATCH
    racing reports above could read an ingest request's `Bearer rpk_...` and answer 401."""
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
    from fleetreport_local import invoker  # noqa: F401 - installs the isolation, as the stack does

    resolvers = [APIGatewayHttpResolver() for _ in range(2)]
    seen: dict[int, list[Any]] = {0: [], 1: []}
    both_set = threading.Barrier(2)

    def request(n: int) -> None:
        BaseRouter.current_event = f"event-{n}"  # type: ignore[assignment]  # as `resolve()` does
        both_set.wait()  # the other thread has now set its own
        seen[n] += [resolvers[n].current_event, BaseRouter.current_event]

    run_together(*(lambda n=n: request(n) for n in range(2)))
    assert seen == {0: ["event-0", "event-0"], 1: ["event-1", "event-1"]}
