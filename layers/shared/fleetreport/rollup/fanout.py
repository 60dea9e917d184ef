"""Rollup fan-out (SPEC §9): the scheduled run enqueues one unit per tenant; workers roll the units.

A unit is one tenant's rollup request (`{"tenants": [tenant]}`, plus the run's `date`/`from`/`to`),
bounded by the worker's items budget (rollup/slices.py) and deadline.
A tenant is the unit of parallelism because its days roll in order (each day's counts continue the
day before); the units of different tenants share nothing, so one tenant's failure fails only its
own SQS record (partial batch response) and delays no other. Progress is saved after every day (and
every shard of a big day), so a unit cut short by its budget or deadline sends its continuation to
the queue and succeeds: the next part starts at once, not after the visibility timeout. A unit that
fails, or stops without progress, fails its record: SQS delivers it again, and after the queue's
maxReceiveCount it is dead-lettered (and alarmed). The dispatcher runs hourly: a unit that found
nothing to do costs a few reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from fleetreport.rollup import runs
from fleetreport.rollup.days import last_closed_day, next_day
from fleetreport.rollup.request import parse_request
from fleetreport.storage.aws import sqs

SEND_BATCH = 10  # SQS SendMessageBatch's limit
# Continuations one unit may chain (each after progress): a 100,000-change day takes ~8 at 40,000
# items a unit; past this the record fails and the queue's retries and dead-letter queue take over.
MAX_CONTINUATIONS = 50
_SEND_ATTEMPTS = 3


class UnitUnfinished(RuntimeError):
    """The worker's deadline came before the unit's last day: SQS delivers it again."""


class UnitRefused(ValueError):
    """A unit whose payload no retry can fix (dead-lettered after the queue's retries)."""


def units_for(event: Any, tenants: list[str]) -> list[dict[str, Any]]:
    """One unit per tenant, each the run's own request narrowed to that tenant."""
    parse_request(event)  # a payload the workers could not read is refused before anything is sent
    base = {key: event[key] for key in ("date", "from", "to") if isinstance(event, dict) and key in event}
    return [{**base, "tenants": [tenant]} for tenant in tenants]


def enqueue(queue_url: str, units: list[dict[str, Any]]) -> int:
    """Send every unit (10 a call); entries SQS did not take are sent again, then it fails loudly."""
    for start in range(0, len(units), SEND_BATCH):
        pending = {str(index): unit for index, unit in enumerate(units[start : start + SEND_BATCH])}
        for _ in range(_SEND_ATTEMPTS):
            answer = sqs().send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": key, "MessageBody": json.dumps(unit)} for key, unit in pending.items()],
            )
            pending = {entry["Id"]: pending[entry["Id"]] for entry in answer.get("Failed", [])}
            if not pending:
                break
        else:
            raise RuntimeError(f"{len(pending)} rollup unit(s) not enqueued")
    return len(units)


def lag_hours(rollups: Any, tenants: list[str], now: datetime) -> float:
    """Hours since the end of the oldest closed day some tenant has not rolled yet (0 when none):
    what RollupLagHours reports once the work is on the queue, read from every tenant's run state."""
    closed = last_closed_day(now)
    waiting = []
    for tenant in tenants:
        state = runs.read_run(rollups, tenant)
        rolled = [day for day in (state.last_day, state.groups_day) if day]
        first_pending = next_day(min(rolled)) if rolled else closed
        if state.dirty_from is not None:
            first_pending = min(first_pending, state.dirty_from)
        if first_pending <= closed:
            waiting.append(first_pending)
    if not waiting:
        return 0.0
    closed_at = datetime.combine(date.fromisoformat(min(waiting)) + timedelta(days=1), time(), UTC)
    return round(max(0.0, (now - closed_at).total_seconds() / 3600), 2)


def continuation(unit: dict[str, Any]) -> dict[str, Any] | None:
    """The unit that goes on where an unfinished one stopped, or None past MAX_CONTINUATIONS. A plain
    catch-up of its tenants: a re-roll's first delivery already marked its range dirty, and asking
    again would mark it again and throw away the parts saved so far."""
    hops = unit.get("continuation", 0)
    hops = hops if isinstance(hops, int) and not isinstance(hops, bool) else 0
    if hops >= MAX_CONTINUATIONS:
        return None
    return {"tenants": unit.get("tenants"), "continuation": hops + 1}


def consume_units(
    event: dict[str, Any],
    context: Any,
    roll: Callable[[dict[str, Any]], dict[str, Any]],
    go_on: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Roll each unit of an SQS batch with `roll` (payload -> summary); failed units are reported as
    batch item failures, the others are done. A unit that stopped at its items budget or deadline after
    making progress is handed to `go_on` (a new message, taken at once) and its record succeeds;
    without progress (or `go_on`, or past MAX_CONTINUATIONS) its record fails and SQS delivers it
    again after the visibility timeout (dead-lettered after the queue's maxReceiveCount)."""
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def handle(record: SQSRecord) -> dict[str, Any]:
        try:
            unit = json.loads(record.body)
        except ValueError:
            raise UnitRefused(f"unit {record.message_id}: not JSON") from None
        summary = roll(unit)
        if "error" in summary:
            raise UnitRefused(f"unit {record.message_id}: {summary['error']}")
        if not summary["complete"]:
            following = continuation(unit) if summary.get("progressed") else None
            if go_on is None or following is None:
                raise UnitUnfinished(f"unit {record.message_id}: unfinished, continues on redelivery")
            go_on(following)
        return summary

    return dict(
        process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
    )
