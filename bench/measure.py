"""What a request costs, counted where the count is deterministic.

DynamoDB items read and written and S3 calls are counted from botocore's own event hooks
(`before-parameter-build.*` remembers the request, `after-call.*` reads the answer), registered on
the session every client of the process is created from, so the handlers' cached clients are
counted without touching our code. Items read are what DynamoDB bills for: `ScannedCount` of a
Query/Scan (index entries for an index query), the items returned by GetItem/BatchGetItem/
TransactGetItems. moto answers `ConsumedCapacity` with a constant, so capacity units are not used.

Time is never absolute: a scenario's median wall time is divided by the median round-trip of one
GetItem measured in the same process against the same endpoint, so the figure survives a slower or
faster machine. Peak RSS is the process's high-water mark (one process per scenario, `VmHWM`).
"""

from __future__ import annotations

import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_PARAMS = "bench.params"
_STARTED = "bench.started"


@dataclass
class Call:
    """One API call as seen by botocore: what it touched and how many items it read or wrote."""

    service: str
    operation: str
    target: str  # "Table" or "Table/Index" (logical ids of template.yaml), or the S3 operation
    read: int = 0
    written: int = 0
    seconds: float = 0.0


@dataclass
class Cost:
    """The sum of the calls made while a window was open."""

    reads: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    s3: Counter[str] = field(default_factory=Counter)
    aws_seconds: float = 0.0

    @classmethod
    def of(cls, calls: list[Call]) -> Cost:
        cost = cls()
        for call in calls:
            cost.operations[f"{call.service}.{call.operation}"] += 1
            cost.aws_seconds += call.seconds
            if call.service == "s3":
                cost.s3[call.operation] += 1
                continue
            if call.read:
                cost.reads[call.target] += call.read
            if call.written:
                cost.writes[call.target] += call.written
        return cost

    @property
    def items_read(self) -> int:
        return sum(self.reads.values())

    @property
    def items_written(self) -> int:
        return sum(self.writes.values())

    @property
    def s3_calls(self) -> int:
        return sum(self.s3.values())

    @property
    def scans(self) -> int:
        return self.operations["dynamodb.Scan"]

    def reads_of(self, prefix: str) -> int:
        """Items read from a table (`GroupsTable`) or one of its indexes (`GroupsTable/ByAppLastSeen`)."""
        return sum(
            n for target, n in self.reads.items() if target == prefix or target.startswith(prefix + "/")
        )

    def writes_of(self, table: str) -> int:
        return self.writes[table]

    def to_dict(self) -> dict[str, Any]:
        return {
            "reads": dict(self.reads),
            "writes": dict(self.writes),
            "operations": dict(self.operations),
            "s3": dict(self.s3),
            "aws_seconds": self.aws_seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cost:
        return cls(
            Counter(data["reads"]),
            Counter(data["writes"]),
            Counter(data["operations"]),
            Counter(data["s3"]),
            data["aws_seconds"],
        )


class CallLog:
    """Every DynamoDB and S3 call of the process, in order; open a `window()` to cost a block of code."""

    def __init__(self, logical_names: dict[str, str]) -> None:
        self.logical_names = logical_names  # physical table name -> logical id
        self.calls: list[Call] = []

    def install(self, events: Any) -> None:
        """Register on a session's (or client's) event system; clients created later inherit it."""
        for service in ("dynamodb", "s3"):
            events.register(f"before-parameter-build.{service}", self._remember)
        events.register("after-call.dynamodb", self._dynamodb_answered)
        events.register("after-call.s3", self._s3_answered)

    @contextmanager
    def window(self) -> Iterator[Cost]:
        """Yields a Cost that is filled in when the block ends."""
        start = len(self.calls)
        cost = Cost()
        try:
            yield cost
        finally:
            done = Cost.of(self.calls[start:])
            cost.reads, cost.writes, cost.operations = done.reads, done.writes, done.operations
            cost.s3, cost.aws_seconds = done.s3, done.aws_seconds

    # ------------------------------------------------------------------ hooks
    def _remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)
        context[_STARTED] = time.perf_counter()

    def _elapsed(self, context: dict[str, Any]) -> float:
        started = context.get(_STARTED)
        return time.perf_counter() - started if started else 0.0

    def _s3_answered(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        self.calls.append(Call("s3", model.name, model.name, seconds=self._elapsed(context)))

    def _dynamodb_answered(
        self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        params = context.get(_PARAMS, {})
        seconds = self._elapsed(context)
        for target, read, written in self._dynamodb_items(model.name, params, parsed):
            self.calls.append(Call("dynamodb", model.name, target, read, written, seconds))
            seconds = 0.0  # a batch is one call: its time is counted once

    def _target(self, table: str, index: str | None = None) -> str:
        name = self.logical_names.get(table, table)
        return f"{name}/{index}" if index else name

    def _dynamodb_items(
        self, operation: str, params: dict[str, Any], parsed: dict[str, Any]
    ) -> list[tuple[str, int, int]]:
        table = params.get("TableName", "")
        failed = "Error" in parsed
        if operation in ("Query", "Scan"):
            return [(self._target(table, params.get("IndexName")), int(parsed.get("ScannedCount", 0)), 0)]
        if operation == "GetItem":
            return [(self._target(table), 1 if "Item" in parsed else 0, 0)]
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            # A refused conditional write is still billed as a write.
            return [(self._target(table), 0, 1)]
        if operation == "BatchGetItem":
            return [
                (self._target(name), len(items), 0) for name, items in parsed.get("Responses", {}).items()
            ]
        if operation == "BatchWriteItem":
            unprocessed = parsed.get("UnprocessedItems", {}) if not failed else params.get("RequestItems", {})
            return [
                (self._target(name), 0, len(requests) - len(unprocessed.get(name, [])))
                for name, requests in params.get("RequestItems", {}).items()
            ]
        if operation == "TransactGetItems":
            answers = parsed.get("Responses", [])
            return [
                (self._target(_transact_table(entry)), 1 if "Item" in answer else 0, 0)
                for entry, answer in zip(params["TransactItems"], answers, strict=False)
            ]
        if operation == "TransactWriteItems":
            return [(self._target(_transact_table(entry)), 0, 1) for entry in params.get("TransactItems", [])]
        return [(self._target(table), 0, 0)]


def _transact_table(entry: dict[str, Any]) -> str:
    for value in entry.values():
        if isinstance(value, dict) and "TableName" in value:
            return str(value["TableName"])
    return "?"


# ---------------------------------------------------------------------- time and memory
def median_seconds(operation: Callable[[], Any], repeat: int) -> float:
    """Median wall time of `repeat` runs of an already-warm operation."""
    samples = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def getitem_round_trip(client: Any, table_name: str, repeat: int = 25) -> float:
    """The baseline: median time of one GetItem (a key that is not there) on the same endpoint."""
    key = {"pk": {"S": "bench#baseline"}, "sk": {"S": "bench#baseline"}}
    client.get_item(TableName=table_name, Key=key)  # connection set up
    return median_seconds(lambda: client.get_item(TableName=table_name, Key=key), repeat)


def peak_rss_mb() -> float:
    """This process's peak resident set size since it started its program.

    Linux's `VmHWM` (the high-water mark of this address space) is used where it exists:
    `getrusage().ru_maxrss` survives exec, so a worker forked from the bench process (which holds
    moto and its 100k items) would report the bench's size, not its own.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
