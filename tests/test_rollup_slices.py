"""A status day rolled in bounded slices (SPEC §9: no unit reads more than 50,000 items).

The change log of a tenant-day is sharded by consumer; a fan-out unit with an items budget takes the
day a shard at a time, saves the parts it computed when the next would not fit, and sends its
continuation to the queue, which takes them up. The totals must be those of the day rolled in one go
and of a count by hand."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from compliance_support import change_log, compliance, consumer_created, load
from fleetreport.compliance.keys import LOG_SHARDS, log_shard_of
from fleetreport.rollup import first_scan
from fleetreport.rollup.days import last_closed_day
from fleetreport.rollup.fanout import MAX_CONTINUATIONS
from fleetreport.settings import get_settings
from fleetreport_local.poller import sqs_records
from rollup_support import counting_reads, roll, rollup_items

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:rollup-units"
CONSUMERS = 60
BUDGET = 30  # items a unit may read for status days: a few shards of this day each


def day_of_changes(stack: Any) -> tuple[str, dict[str | None, Counter[str]]]:
    """A closed day on which CONSUMERS consumers are created and report; its end counts by hand."""
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    events, expected = [], {None: Counter[str](), "acme": Counter[str](), "globex": Counter[str]()}
    for number in range(CONSUMERS):
        moment = (day + timedelta(minutes=7 * number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        owner, status = ("acme", "globex")[number % 2], ("valid", "invalid", "partial")[number % 3]
        events += [
            consumer_created(f"c{number}", moment, owner),
            compliance(f"c{number}", moment, status, owner_key=owner),
        ]
        expected[None][status] += 1
        expected[owner][status] += 1
    load(stack, "t1", events)
    return day.date().isoformat(), expected


def unit_event(message_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = json.dumps(body or {"tenants": ["t1"]})
    return sqs_records([{"MessageId": message_id, "ReceiptHandle": "r", "Body": payload}], QUEUE_ARN)


def queued() -> list[dict[str, Any]]:
    """Take every message off the rollup queue (the continuations units sent)."""
    sqs, url = boto3.client("sqs"), get_settings().rollup_queue_url
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        messages += batch
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch]
        )
    return messages


def run_units_until_done(stack: Any, limit: int = 50) -> list[int]:
    """Deliver t1's unit, then each continuation it sends to the queue, until none follows; every
    record succeeds (an unfinished unit goes on through a new message). Items read by each."""
    reads, event = [], unit_event("m-0")
    for _ in range(limit):
        with counting_reads() as counter:
            answer = stack.invoke("RollupFunction", event)
        reads.append(counter.items)
        assert answer == {"batchItemFailures": []}
        following = queued()
        if not following:
            return reads
        assert [json.loads(m["Body"]) for m in following] == [{"tenants": ["t1"], "continuation": len(reads)}]
        event = sqs_records(following, QUEUE_ARN)
    raise AssertionError(f"unit unfinished after {limit} deliveries")


def walk_first_rollup(stack: Any, limit: int = 50) -> None:
    """Deliver t1's unit until its first rollup's walk over the consumers is done (it spans units)."""
    for _ in range(limit):
        assert stack.invoke("RollupFunction", unit_event("m-walk")) == {"batchItemFailures": []}
        queued()
        run = stack.table("RollupsTable").get_item(Key={"pk": "RUN", "sk": "t1"}).get("Item") or {}
        if "first_day" in run:
            return
    raise AssertionError("first rollup walk unfinished")


def ends(stack: Any, day: str) -> dict[str, dict[str, Any]]:
    return {
        item["pk"]: item for item in rollup_items(stack) if item["pk"].startswith("ST#") and item["sk"] == day
    }


def test_a_consumers_changes_share_one_shard_and_consumers_spread(stack: Any) -> None:
    day, _ = day_of_changes(stack)
    logged = change_log(stack, "t1", day)
    assert len(logged) == 2 * CONSUMERS
    by_pk: dict[str, set[str]] = {}
    table = stack.table("ComplianceTable")
    for item in table.scan()["Items"]:
        if item["pk"].startswith(f"L#t1#{day}"):
            by_pk.setdefault(item["pk"], set()).add(item["uuid"])
    for pk, uuids in by_pk.items():
        shard = int(pk.split("@")[1]) if "@" in pk else 0
        assert {log_shard_of(uuid) for uuid in uuids} == {shard}, pk
    assert len(by_pk) > LOG_SHARDS // 2  # 60 consumers reach most of the 16 shards


def test_a_day_rolled_in_slices_equals_the_day_rolled_at_once_and_the_count_by_hand(
    stack: Any, settings_env: Any
) -> None:
    day, expected = day_of_changes(stack)
    settings_env(ROLLUP_UNIT_ITEMS=str(BUDGET))
    reads = run_units_until_done(stack)
    assert len(reads) > 2  # the day took several deliveries
    sliced = ends(stack, day)
    assert {pk: item["end"] for pk, item in sliced.items()} == {
        "ST#t1": dict(expected[None]),
        "ST#t1#acme": dict(expected["acme"]),
        "ST#t1#globex": dict(expected["globex"]),
    }
    assert not [item for item in rollup_items(stack) if item["pk"].startswith("SL#")]  # parts deleted
    run = stack.table("RollupsTable").get_item(Key={"pk": "RUN", "sk": "t1"})["Item"]
    assert "sliced_day" not in run and run["last_day"] == last_closed_day(datetime.now(UTC))

    roll(datetime.now(UTC), {"from": day, "to": day})  # the same day in one go (no budget)
    assert ends(stack, day) == sliced  # every quarter-hour of every partition, bounds included


def test_each_delivery_reads_about_its_budget_not_the_day(stack: Any, settings_env: Any) -> None:
    day, _ = day_of_changes(stack)
    shards = Counter(log_shard_of(item["uuid"]) for item in change_log(stack, "t1", day))
    # a shard's items: its changes, its consumers' rows and snapshots (2 changes = 2 of 4 items a consumer)
    largest_shard = 2 * max(shards.values())
    settings_env(ROLLUP_UNIT_ITEMS=str(BUDGET))
    reads = run_units_until_done(stack)
    whole_day = 4 * CONSUMERS
    overhead = 12  # run state, registries, previous ends, the saved parts read back
    bound = BUDGET + largest_shard + overhead
    assert max(reads[1:]) <= bound < whole_day, (reads, largest_shard)
    # a tenant's first rollup also finds its first day (2 items a consumer), once: kept in the run state
    assert reads[0] <= bound + 2 * CONSUMERS, reads


def test_a_late_event_between_deliveries_is_not_lost_in_a_saved_part(stack: Any, settings_env: Any) -> None:
    day, expected = day_of_changes(stack)
    settings_env(ROLLUP_UNIT_ITEMS=str(BUDGET))
    walk_first_rollup(stack)
    assert stack.invoke("RollupFunction", unit_event("m-first")) == {"batchItemFailures": []}
    assert len(queued()) == 1  # its continuation (dropped: the unit is delivered again below)
    assert [item for item in rollup_items(stack) if item["pk"].startswith("SL#")]  # parts saved
    # every consumer turns invalid late in the day, after some parts were computed (through the
    # events API, which marks the closed day dirty)
    late = f"{day}T23:00:00.000Z"
    owners = [("acme", "globex")[n % 2] for n in range(CONSUMERS)]
    events = [compliance(f"c{n}", late, "invalid", owner_key=owners[n]) for n in range(CONSUMERS)]
    for start in range(0, CONSUMERS, 20):
        answer = stack.http(
            "POST", "/events", headers=stack.auth(role="ingest", owner="t1"), body=events[start : start + 20]
        )
        assert answer.status < 300, answer.json()
    run_units_until_done(stack)  # the saved parts predate the late events: computed again
    assert ends(stack, day)["ST#t1"]["end"] == {"invalid": CONSUMERS}
    assert ends(stack, day)["ST#t1#acme"]["end"] == {"invalid": sum(expected["acme"].values())}


def test_a_reroll_goes_on_as_a_catch_up_and_a_unit_stops_chaining_at_the_cap(
    stack: Any, settings_env: Any
) -> None:
    day, _ = day_of_changes(stack)
    settings_env(ROLLUP_UNIT_ITEMS=str(BUDGET))
    reroll = {"tenants": ["t1"], "from": day, "to": day}
    assert stack.invoke("RollupFunction", unit_event("m-re", reroll)) == {"batchItemFailures": []}
    # asking for the range again would mark it dirty again and throw the saved parts away
    assert [json.loads(m["Body"]) for m in queued()] == [{"tenants": ["t1"], "continuation": 1}]
    last = {"tenants": ["t1"], "continuation": MAX_CONTINUATIONS}
    answer = stack.invoke("RollupFunction", unit_event("m-last", last))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-last"}]}  # SQS retries, then the DLQ
    assert queued() == []


def first_scan_of(stack: Any) -> tuple[int, str] | None:
    """Where t1's first-rollup walk stands: (partition, last consumer read there), None if not walking."""
    run = stack.table("RollupsTable").get_item(Key={"pk": "RUN", "sk": "t1"}).get("Item") or {}
    scan = run.get("first_scan")
    if scan is None:
        return None
    return int(scan["shard"]), str((scan.get("after") or {}).get("sk", ""))


def test_a_first_rollup_walks_its_consumers_in_budgeted_units_and_a_redelivery_continues(
    stack: Any, settings_env: Any, monkeypatch: Any
) -> None:
    day, expected = day_of_changes(stack)
    monkeypatch.setattr(first_scan, "PAGE", 2)  # 2 consumers a page: the walk takes many pages
    settings_env(ROLLUP_UNIT_ITEMS=str(BUDGET))
    with counting_reads() as counter:
        assert stack.invoke("RollupFunction", unit_event("m-first")) == {"batchItemFailures": []}
    overhead = 12  # run state, registries
    assert counter.items <= BUDGET + 2 * 2 + overhead < 2 * CONSUMERS  # not every consumer at once
    stopped_at = first_scan_of(stack)
    assert stopped_at is not None and stopped_at > (0, "")  # the position is saved part-way
    queued()  # its continuation is dropped: the same unit is delivered again, as SQS would
    assert stack.invoke("RollupFunction", unit_event("m-first")) == {"batchItemFailures": []}
    continued = first_scan_of(stack)
    assert continued is not None and continued > stopped_at  # went on from there, did not restart
    queued()
    run_units_until_done(stack)
    run = stack.table("RollupsTable").get_item(Key={"pk": "RUN", "sk": "t1"})["Item"]
    assert run["first_day"] == day and "first_scan" not in run
    by_hand = {key: dict(counts) for key, counts in expected.items()}
    assert {pk: item["end"] for pk, item in ends(stack, day).items()} == {
        "ST#t1": by_hand[None],
        "ST#t1#acme": by_hand["acme"],
        "ST#t1#globex": by_hand["globex"],
    }
