"""The storm model (SPEC §9): the real handlers driven by K simulated warm containers on a simulated
clock, against moto in this process, with every DynamoDB write counted per item per simulated second.

What is simulated, and how (docs/performance.md, "scale model"):
- **Containers**: K containers share one import of the function's handler module (fleetreport_local's
  `Invoker`) and each runs in its own `contextvars.Context`, so per-container state (the rate
  limiter's memory of full windows) is its own; clients and caches are shared (the tenants registry
  is then written once, not once per container). An invocation runs to
  its end before the next one starts (moto is not concurrent), at the simulated instant it would
  start: the container that has been idle longest takes the next request (API Gateway) or polls the
  queue (SQS event source).
- **Clock**: `fleetreport.clock` is replaced by a simulated one. Every AWS call advances it by a
  fixed, deterministic latency (`LATENCY_MS`), and the code's own backoff sleeps advance it too.
- **DynamoDB limits moto lacks**: a transaction that touches an item while another container's
  transaction on that item is in flight (its simulated call interval) fails with
  `TransactionCanceledException` / `TransactionConflict`, injected by a botocore `before-call` hook
  (the call never reaches moto, as DynamoDB would refuse it).
- **Capacity**: the one meter (`bench/capacity.py`) prices every call in WCU/RCU per partition key
  of every table and GSI per simulated second (refused conditional writes and cancelled transactions
  included). moto is not asked to throttle: the figures to check are the hottest partition key's.
"""

from __future__ import annotations

import contextvars
import heapq
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fleetreport import clock
from fleetreport.groups.devices import GroupDeviceMemory, use_device_memory
from fleetreport.groups.ratelimit import RefusalMemory, use_refusal_memory
from fleetreport.storage.aws import reset_clients
from fleetreport_local.invoker import Invoker
from fleetreport_local.template import Template

from bench.capacity import Meter, Usage

# Modelled service time of one call, milliseconds (typical in-region DynamoDB latencies; the
# verdicts below are rates per item, which these only spread over time).
LATENCY_MS = {"transaction": 12.0, "batch": 8.0, "write": 6.0, "read": 4.0, "other": 5.0}
INVOCATION_OVERHEAD_MS = 2.0
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem")
HOT_WCU = 300  # WCU per partition key per simulated second (SPEC §9: under a partition's 1,000)
HOT_RCU = 1_000  # RCU per partition key per simulated second (a partition serves 3,000)


def within_partition_budget(meter: Meter) -> bool:
    """SPEC §9's hot-partition verdict, read from the meter: no partition key of any table or GSI
    above HOT_WCU or HOT_RCU in any simulated second."""
    hottest = meter.hottest()
    return bool(hottest["wcu"]["units"] <= HOT_WCU and hottest["rcu"]["units"] <= HOT_RCU)


class SimulatedClock:
    """`fleetreport.clock`'s protocol on simulated seconds since `start`."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.seconds = 0.0
        self.slept = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds
        self.slept += seconds


@dataclass
class _Answer:
    """What botocore expects back from a `before-call` handler that answers instead of the service."""

    status_code: int = 400
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


@dataclass
class WriteLog:
    """Calls the model itself acts on: items named by writes, transactions and injected conflicts.
    Capacity (units per partition key per second) is the meter's (bench/capacity.py), not this."""

    writes: int = 0
    conflicts: int = 0
    transactions: int = 0

    def add(self, second: int, item: str) -> None:
        self.writes += 1


class StormModel:
    """The hooks (clock, latency, conflicts, counting) and the containers of one function."""

    def __init__(self, template: Template, function: str, containers: int, start: datetime) -> None:
        """The containers start (import their handler) in `install`, once the hooks are in place."""
        self.template = template
        self.function = function
        self.clock = SimulatedClock(start)
        self.log = WriteLog()
        self.meter = Meter.for_template(template, lambda: self.clock.seconds)
        self.last_usage = Usage()
        self.key_names: dict[str, list[str]] = {}
        self._in_flight: dict[str, list[tuple[float, float, int]]] = {}  # item -> (from, to, container)
        self._container = 0
        self._logical = {
            template.physical_name(logical_id): logical_id
            for logical_id in template.resources("AWS::DynamoDB::Table")
        }
        self.size = containers
        self.containers: list[Container] = []

    def _container_of(self, index: int, invoker: Invoker) -> Container:
        context = contextvars.Context()
        context.run(use_refusal_memory, RefusalMemory())
        context.run(use_device_memory, GroupDeviceMemory())  # what a container knows of group devices
        return Container(index, invoker, context)

    # ------------------------------------------------------------------ hooks
    def install(self, session: Any, client: Any) -> Callable[[], None]:
        """Describe the tables (key names), register the hooks, install the clock; returns the undo."""
        for name in client.list_tables()["TableNames"]:
            schema = client.describe_table(TableName=name)["Table"]["KeySchema"]
            self.key_names[name] = [key["AttributeName"] for key in schema]
        session.events.register("before-call.dynamodb", self._before_call)
        unmeter = self.meter.install(session.events)
        previous = clock.install(self.clock)
        reset_clients()  # clients made before the hooks would not be counted
        # One handler import serves every container (an import per container costs ~50 MB and a second
        # of moto-free Python each); what a container keeps to itself lives in its own Context.
        invoker = Invoker(self.template)
        self.containers = [self._container_of(index, invoker) for index in range(self.size)]

        def undo() -> None:
            session.events.unregister("before-call.dynamodb", self._before_call)
            unmeter()
            clock.install(previous)

        return undo

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        operation = model.name
        body = json.loads(params.get("body") or b"{}")
        started = self.clock.seconds
        second = int(started)
        if operation == "TransactWriteItems":
            self.clock.seconds += LATENCY_MS["transaction"] / 1000
            items = [self._transact_item(entry) for entry in body.get("TransactItems", [])]
            for item in items:
                self.log.add(second, item)
            self.log.transactions += 1
            if self._conflicts(items, started, self.clock.seconds):
                self.log.conflicts += 1
                return _Answer(), _conflict(len(items))
            return None
        if operation in WRITE_OPERATIONS:
            self.log.add(second, self._item(body["TableName"], body.get("Key") or body.get("Item") or {}))
            self.clock.seconds += LATENCY_MS["write"] / 1000
        elif operation == "BatchWriteItem":
            for table_name, requests in body.get("RequestItems", {}).items():
                for request in requests:
                    entry = request.get("PutRequest", {}).get("Item") or request.get("DeleteRequest", {}).get(
                        "Key"
                    )
                    self.log.add(second, self._item(table_name, entry or {}))
            self.clock.seconds += LATENCY_MS["batch"] / 1000
        elif operation in ("BatchGetItem", "TransactGetItems"):
            self.clock.seconds += LATENCY_MS["batch"] / 1000
        elif operation in ("GetItem", "Query", "Scan"):
            self.clock.seconds += LATENCY_MS["read"] / 1000
        else:
            self.clock.seconds += LATENCY_MS["other"] / 1000
        return None

    def _transact_item(self, entry: dict[str, Any]) -> str:
        action = next(iter(entry.values()))
        return self._item(action["TableName"], action.get("Key") or action.get("Item") or {})

    def _item(self, table_name: str, typed: dict[str, Any]) -> str:
        names = self.key_names.get(table_name) or sorted(typed)
        key = "|".join(str(next(iter(typed.get(name, {"": ""}).values()))) for name in names)
        return f"{self._logical.get(table_name, table_name)}:{key}"

    def _conflicts(self, items: list[str], begins: float, ends: float) -> bool:
        """Another container's transaction on one of `items` in flight during [begins, ends)?"""
        clash = False
        for item in items:
            spans = [span for span in self._in_flight.get(item, []) if span[1] > begins - 1]
            if any(span[0] < ends and begins < span[1] and span[2] != self._container for span in spans):
                clash = True
            self._in_flight[item] = spans
        if not clash:
            for item in items:
                self._in_flight[item].append((begins, ends, self._container))
        return clash

    # ------------------------------------------------------------------ running
    def invoke(
        self, container: Container, at: float, event: dict[str, Any], function: str | None = None
    ) -> tuple[Any, float]:
        """Run one invocation on `container` from simulated instant `at`; returns (answer, end). What it
        cost, as the meter priced it, is `last_usage`."""
        self._container = container.index
        self.clock.seconds = at + INVOCATION_OVERHEAD_MS / 1000
        with self.meter.window() as usage:
            answer = container.context.run(container.invoker.invoke, function or self.function, event)
        self.last_usage = usage
        return answer, self.clock.seconds

    def serve_requests(
        self,
        requests: Iterable[tuple[float, dict[str, Any]] | tuple[float, dict[str, Any], str]],
        kind_of: Callable[[Any], str | None] = lambda _: None,
    ) -> list[Any]:
        """API Gateway: each request (arrival, event[, function]) goes to the container idle the longest;
        what it cost is booked on the meter under `kind_of(answer)` (e.g. "accepted report")."""
        idle = [(0.0, container.index) for container in self.containers]
        heapq.heapify(idle)
        answers = []
        for arrival, event, *function in requests:
            free_at, index = heapq.heappop(idle)
            answer, ends = self.invoke(self.containers[index], max(arrival, free_at), event, *function)
            heapq.heappush(idle, (ends, index))
            kind = kind_of(answer)
            if kind:
                self.meter.book(kind, self.last_usage)
            answers.append(answer)
            self.meter.settle(arrival)
        self.meter.settle()
        return answers

    def drain_queue(self, queue: SimulatedQueue, streams: StreamFeed | None = None) -> None:
        """SQS event source: each container polls when free and takes what is visible, a batch at a time;
        `streams`, the table streams' mappings, deliver what the invocations wrote as time passes."""
        idle = [(0.0, container.index) for container in self.containers]
        heapq.heapify(idle)
        while queue.pending():
            free_at, index = heapq.heappop(idle)
            batch, at = queue.receive(free_at)
            if not batch:
                heapq.heappush(idle, (at, index))
                continue
            if streams is not None:
                streams.poll(at)
            answer, ends = self.invoke(self.containers[index], at, queue.event(batch))
            queue.settle(batch, answer, ends)
            heapq.heappush(idle, (ends, index))
            self.meter.settle(at)
        if streams is not None:
            streams.poll(max(free for free, _ in idle), final=True)
        self.meter.settle()


class StreamFeed:
    """The table streams' event source mappings in the model: every `window_s` simulated seconds (the
    mappings' MaximumBatchingWindowInSeconds) the records written so far are delivered, a batch at a
    time, on a container of their own (one shard, one batch at a time, as Lambda polls a shard).
    Every `redeliver_every`-th batch is delivered twice, as Lambda retries a batch whose first attempt
    failed after it wrote (the consumers must add nothing twice). What every mapping has delivered is
    dropped from moto's shards (DynamoDB trims after 24 h; this run lasts simulated minutes)."""

    def __init__(self, model: StormModel, pump: Any, window_s: float = 1.0, redeliver_every: int = 0) -> None:
        self.model = model
        self.pump = pump  # fleetreport_local's StreamPump, on clients the meter does not see
        self.window_s = window_s
        self.redeliver_every = redeliver_every
        self.container = model._container_of(len(model.containers), model.containers[0].invoker)
        self.next_poll = window_s
        self.free_at = 0.0
        self.batches = 0
        self.redelivered = 0

    def poll(self, at: float, final: bool = False) -> None:
        if not final and at < self.next_poll:
            return
        self.free_at = max(self.free_at, at)
        self.pump.pump(self._invoke)
        self.pump.drop_delivered(*_moto_stream_backends())
        self.next_poll = max(at, self.free_at) + self.window_s

    def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        self.batches += 1
        answer, self.free_at = self.model.invoke(self.container, self.free_at, event, function)
        if self.redeliver_every and self.batches % self.redeliver_every == 0:
            self.redelivered += 1
            answer, self.free_at = self.model.invoke(self.container, self.free_at, event, function)
        return answer


def _moto_stream_backends() -> tuple[Any, Any]:
    """moto's DynamoDB and DynamoDB Streams backends of this process (the model runs moto in-process)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    region = os.environ["AWS_DEFAULT_REGION"]
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region], dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][region]


@dataclass
class Container:
    index: int
    invoker: Invoker
    context: contextvars.Context


def _conflict(items: int) -> dict[str, Any]:
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] * items
    return {
        "Error": {
            "Code": "TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{', '.join(reason['Code'] for reason in reasons)}]",
        },
        "CancellationReasons": reasons,
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }


@dataclass
class Message:
    message_id: str
    body: str
    attributes: dict[str, str]
    visible_at: float
    receives: int = 0


class SimulatedQueue:
    """An SQS queue with its event source's batching, visibility timeout and redrive to a DLQ."""

    def __init__(self, batch_size: int, visibility_s: float, max_receives: int) -> None:
        self.batch_size = batch_size
        self.visibility_s = visibility_s
        self.max_receives = max_receives
        self._heap: list[tuple[float, int, Message]] = []
        self._order = 0
        self.dead: list[Message] = []
        self.retried = 0

    def send(self, message: Message) -> None:
        heapq.heappush(self._heap, (message.visible_at, self._order, message))
        self._order += 1

    def pending(self) -> bool:
        return bool(self._heap)

    def receive(self, at: float) -> tuple[list[Message], float]:
        """Up to a batch of messages visible at `at`, or ([], when the next one becomes visible)."""
        if self._heap[0][0] > at:
            return [], self._heap[0][0]
        batch = []
        while self._heap and self._heap[0][0] <= at and len(batch) < self.batch_size:
            batch.append(heapq.heappop(self._heap)[2])
        for message in batch:
            message.receives += 1
        return batch, at

    def event(self, batch: list[Message]) -> dict[str, Any]:
        return {
            "Records": [
                {
                    "messageId": message.message_id,
                    "receiptHandle": f"rh-{message.message_id}-{message.receives}",
                    "body": message.body,
                    "attributes": {"ApproximateReceiveCount": str(message.receives)},
                    "messageAttributes": {
                        name: {"stringValue": value, "dataType": "String"}
                        for name, value in message.attributes.items()
                    },
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:storm",
                    "awsRegion": "us-east-1",
                }
                for message in batch
            ]
        }

    def settle(self, batch: list[Message], answer: Any, ends: float) -> None:
        """Failed items come back after the visibility timeout, or go to the DLQ after max receives."""
        failed = {item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])}
        for message in batch:
            if message.message_id not in failed:
                continue
            self.retried += 1
            if message.receives >= self.max_receives:
                self.dead.append(message)
            else:
                message.visible_at = ends + self.visibility_s
                self.send(message)


def item_level_transactions() -> None:
    """Patch moto (in the storm process only) so a TransactWriteItems backs up the items it touches,
    not a deep copy of every table it names: at 100,000 consumers the copy is what the run would
    time. A cancelled transaction still leaves every item as it was (restored here, item by item)."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    if getattr(models.DynamoDBBackend, "_storm_patched", False):
        return
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
            key = op.get("Key") or {name: op["Item"][name] for name in names}
            current = self.get_item(op["TableName"], key)
            saved.append((op["TableName"], key, current.to_json()["Attributes"] if current else None))
        Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in saved:
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise
        finally:
            del Table.__deepcopy__  # type: ignore[attr-defined]

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models.DynamoDBBackend._storm_patched = True  # type: ignore[attr-defined]
