"""A change-log shard walked in pages (SPEC §9: no unit reads more than 50,000 items, a redelivered
unit continues and never restarts). A tenant-day of 1,000,000 changes has ~62,500 in each shard, so a
shard is read a Query page at a time; a unit stops when its budget is spent and saves its progress
every few thousand items, so a unit that crashes goes on from its last save when SQS delivers it
again. The day must come out as the day rolled in one go, on random histories whose page boundaries
fall between the changes of one consumer and between two changes of one millisecond."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from compliance_support import compliance, consumer_created, load
from fleetreport.rollup import runs, shard_pages, slices
from fleetreport.rollup.days import previous_day
from fleetreport.rollup.slices import DayPart
from fleetreport.storage.aws import dynamodb
from fleetreport_local.poller import sqs_records
from rollup_support import counting_reads, random_history, roll, rollup_items
from test_rollup_slices import QUEUE_ARN, queued, unit_event

PAGE = 3  # change-log items a page: a shard of this day takes several
BUDGET = 25  # items a unit may read: a few pages
CHECKPOINT = 10  # items read between two saves


@pytest.fixture
def small_units(monkeypatch: pytest.MonkeyPatch, settings_env: Any) -> None:
    monkeypatch.setattr(shard_pages, "PAGE", PAGE)
    monkeypatch.setattr(slices, "CHECKPOINT_ITEMS", CHECKPOINT)
    settings_env(ROLLUP_UNIT_ITEMS=str(BUDGET))


def closed_day() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)


def status_items(stack: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["pk"], item["sk"]): item for item in rollup_items(stack) if item["pk"].startswith("ST#")}


def saved_changes(stack: Any, tenant: str = "t1") -> int:
    """Changes counted in the parts saved for the tenant's sliced day (0 when none is saved)."""
    parts = [item for item in rollup_items(stack) if item["pk"].startswith(f"SL#{tenant}#")]
    return sum(DayPart.decode(bytes(item["part"])).changes for item in parts)


@contextmanager
def crashing_after(queries: int, tenant: str = "t1") -> Iterator[None]:
    """The Lambda dies mid-unit: fleetreport's client fails every call after `queries` Queries of
    the tenant's change log (another tenant's calls go through)."""
    seen = Counter[str]()
    marker = f'"L#{tenant}#'

    def fail(params: dict[str, Any], model: Any, **_: Any) -> None:
        if marker in str(params.get("body", b""), "utf-8"):
            seen[model.name] += 1
            if model.name == "Query" and seen[model.name] > queries:
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "crash"}}, model.name)

    events = dynamodb().meta.client.meta.events
    events.register("before-call.dynamodb", fail)
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb", fail)


def deliver_with_crashes(stack: Any, limit: int = 200) -> tuple[list[int], int]:
    """Deliver t1's unit until no continuation follows; every third delivery dies mid-unit and is
    delivered again (as SQS would). Items read by each delivery, and how many died."""
    reads, crashes, event = [], 0, unit_event("m-0")
    for number in range(limit):
        if number % 3 == 1:
            before = saved_changes(stack)
            with crashing_after(1):
                answer = stack.invoke("RollupFunction", event)
            if answer["batchItemFailures"]:  # it died: the same record comes back
                crashes += 1
                queued()
                with counting_reads() as counter:
                    assert stack.invoke("RollupFunction", event) == {"batchItemFailures": []}
                reads.append(counter.items)
                after = saved_changes(stack)
                assert after == 0 or after > before, (before, after)  # went on, or finished the day
        else:
            with counting_reads() as counter:
                assert stack.invoke("RollupFunction", event) == {"batchItemFailures": []}
            reads.append(counter.items)
        following = queued()
        if not following:
            return reads, crashes
        event = sqs_records(following, QUEUE_ARN)
    raise AssertionError(f"unfinished after {limit} deliveries")


@pytest.mark.parametrize("seed", [3, 17])
def test_a_day_in_pages_with_crashes_mid_unit_equals_the_day_rolled_at_once(
    stack: Any, small_units: None, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng, day = random.Random(seed), closed_day()
    load(stack, "t1", random_history(rng, 40, day, day + timedelta(hours=23, minutes=59)))
    reads, crashes = deliver_with_crashes(stack)
    assert crashes >= 2 and len(reads) > 10  # many units, several died mid-unit
    assert not [item for item in rollup_items(stack) if item["pk"].startswith("SL#")]  # parts deleted
    sliced = status_items(stack)
    assert ("ST#t1", day.date().isoformat()) in sliced

    monkeypatch.setattr(shard_pages, "PAGE", 10_000)  # every shard in one page, no budget
    first = min(sk for _, sk in sliced)
    roll(datetime.now(UTC), {"tenants": ["t1"], "from": first, "to": day.date().isoformat()})
    assert status_items(stack) == sliced  # every partition, quarter hour and bound of every day


def test_a_unit_reads_its_budget_and_a_page_whatever_the_size_of_a_shard(
    stack: Any, small_units: None
) -> None:
    day = closed_day()
    moments = [(day + timedelta(minutes=3 * n)).strftime("%Y-%m-%dT%H:%M:%S.000Z") for n in range(120)]
    load(
        stack,
        "t1",
        [consumer_created(f"c{n}", moment, "acme") for n, moment in enumerate(moments)]
        + [compliance(f"c{n}", moment, "valid", owner_key="acme") for n, moment in enumerate(moments)],
    )
    reads, _ = deliver_with_crashes(stack)
    page = 3 * PAGE  # a page's changes, with their consumers' rows and snapshots
    overhead = 14  # run state, registries, previous ends, saved parts read back
    assert max(reads[1:]) <= BUDGET + page + overhead < 4 * 120 // 2, reads  # not a shard (~30 items)
    ends = status_items(stack)[("ST#t1", day.date().isoformat())]["end"]
    assert ends == {"valid": 120}


def test_a_tenant_whose_unit_dies_mid_day_delays_no_other(stack: Any, small_units: None) -> None:
    day = closed_day()
    for tenant in ("t1", "t2"):  # rolled before (no first walk): the unit starts on the day
        runs.advance(stack.table("RollupsTable"), tenant, "last_day", previous_day(day.date().isoformat()))
        moments = [(day + timedelta(minutes=9 * n)).strftime("%Y-%m-%dT%H:%M:%S.000Z") for n in range(30)]
        load(stack, tenant, [consumer_created(f"{tenant}-{n}", m) for n, m in enumerate(moments)])
        load(stack, tenant, [compliance(f"{tenant}-{n}", m, "invalid") for n, m in enumerate(moments)])
    records = [
        {"MessageId": f"m-{tenant}", "ReceiptHandle": "r", "Body": json.dumps({"tenants": [tenant]})}
        for tenant in ("t1", "t2")
    ]
    with crashing_after(3):
        answer = stack.invoke("RollupFunction", sqs_records(records, QUEUE_ARN))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-t1"}]}
    continuations = [json.loads(m["Body"]) for m in queued()]
    assert continuations == [{"tenants": ["t2"], "continuation": 1}]  # t2 went on at once
    saved = saved_changes(stack)
    assert saved > 0  # t1 saved part of its day before it died
    assert stack.invoke("RollupFunction", unit_event("m-t1")) == {"batchItemFailures": []}
    assert saved_changes(stack) > saved or not queued()  # t1 went on from its save
