"""The local DynamoDB Streams event source mapping: feeds a table's stream to every function that has a
`Type: DynamoDB` event on it in template.yaml (the aggregates function, the alerts function, ...).

Semantics follow Lambda's mapping for streams: each mapping has its own position in each shard;
records are delivered in order, in batches of `BatchSize`, in the Lambda DynamoDB event shape. With
`ReportBatchItemFailures`, the position moves to just before the first failed record and the batch is
retried from there (so records after it come again: consumers must be idempotent, as on AWS); a
function that raises retries the whole batch. After `MaximumRetryAttempts` the failed records are sent
to the `OnFailure` destination queue (their stream position, as Lambda does) and the mapping moves on.

`StreamPump` is the synchronous core (the in-process tests drain with it); `StreamPoller` runs one in a
thread for `fleetreport serve`.

DynamoDB trims a stream's records after 24 hours; moto keeps them forever, and the mappings deliver
them within seconds here. `drop_delivered` (given moto's backend, when moto runs in this process)
drops the records every mapping of a table has delivered, so a long run (`fleetreport serve`, the
storm model) does not hold every change it ever made.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fleetreport_local.template import Template

log = logging.getLogger("fleetreport.local.streams")

TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class StreamSource:
    """One `Type: DynamoDB` event of a function in template.yaml."""

    function: str  # logical id
    table: str  # logical id of the table whose stream it reads
    batch_size: int
    report_item_failures: bool
    max_retries: int  # -1: until the record expires (Lambda's default); locally capped
    on_failure: str | None  # logical id of the OnFailure destination queue
    filters: tuple[str, ...] = ()  # FilterCriteria patterns (JSON): a record matching none is dropped


def stream_sources(template: Template) -> list[StreamSource]:
    sources = []
    for logical_id, res in template.resources("AWS::Serverless::Function").items():
        for event in res["Properties"].get("Events", {}).values():
            if event["Type"] != "DynamoDB":
                continue
            props = event["Properties"]
            stream = props["Stream"]
            table = stream["Fn::GetAtt"][0] if isinstance(stream, dict) else str(stream)
            destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            sources.append(
                StreamSource(
                    function=logical_id,
                    table=table,
                    batch_size=int(props.get("BatchSize", 100)),
                    report_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                    max_retries=int(props.get("MaximumRetryAttempts", -1)),
                    on_failure=destination["Fn::GetAtt"][0] if isinstance(destination, dict) else None,
                    filters=tuple(
                        str(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])
                    ),
                )
            )
    return sources


def lambda_record(record: dict[str, Any], stream_arn: str, ttl: bool = False) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it: JSON-safe (epoch seconds, base64 binaries)."""
    out = _json_safe(record)
    out["eventSourceARN"] = stream_arn
    if ttl:
        out["userIdentity"] = dict(TTL_IDENTITY)
    return out


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


def passes_filters(record: dict[str, Any], filters: tuple[str, ...]) -> bool:
    """Lambda's event filtering, the part the template uses: a record is delivered when it matches
    any pattern (none: every record); a pattern's leaves are lists of exact values, `{"prefix": s}`
    or `{"exists": bool}`."""
    return not filters or any(_matches(record, json.loads(pattern)) for pattern in filters)


def _matches(value: Any, pattern: Any) -> bool:
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for name, wanted in pattern.items():
            if isinstance(wanted, list) and any(isinstance(w, dict) and "exists" in w for w in wanted):
                if not any((name in value) == bool(w["exists"]) for w in wanted if isinstance(w, dict)):
                    return False
            elif name not in value or not _matches(value[name], wanted):
                return False
        return True
    if isinstance(pattern, list):
        return any(_leaf(value, wanted) for wanted in pattern)
    return bool(value == pattern)


def _leaf(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict) and "prefix" in wanted:
        return isinstance(value, str) and value.startswith(str(wanted["prefix"]))
    return bool(value == wanted)


def failed_sequence(response: Any, sequences: list[str], report_item_failures: bool) -> str | None:
    """The first sequence number to retry from, read like Lambda reads the answer (None: all done)."""
    if not report_item_failures or not isinstance(response, dict) or "batchItemFailures" not in response:
        return None
    failures = response["batchItemFailures"]
    if not isinstance(failures, list):
        return sequences[0]
    ids = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if not ids:
        return None
    if any(i not in sequences for i in ids):
        return sequences[0]  # a malformed answer fails the whole batch
    return sequences[min(sequences.index(str(i)) for i in ids)]


@dataclass
class _Position:
    after: str | None = None  # last sequence number done (None: from the trim horizon)
    attempts: int = 0  # failed attempts at the batch starting after `after`


@dataclass
class StreamPump:
    """Every stream mapping of the template, pumped on demand: `pump()` until nothing is left."""

    template: Template
    streams: Any  # boto3 dynamodbstreams client
    dynamodb: Any  # boto3 dynamodb client (for the stream ARNs)
    sqs: Any | None = None  # for OnFailure destinations
    local_retries: int = 3  # cap for MaximumRetryAttempts (-1 = forever on AWS; records expire in 24 h)
    sources: list[StreamSource] = field(default_factory=list)
    _positions: dict[tuple[str, str], _Position] = field(default_factory=dict)
    _ttl_keys: set[str] = field(default_factory=set)
    _dropped: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, shard) -> records dropped
    _iterators: list[str] = field(default_factory=list)  # shard iterators used (once) since the last drop
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.sources:
            self.sources = stream_sources(self.template)

    def mark_ttl_deletion(self, keys: dict[str, Any]) -> None:
        """The next REMOVE of this item was made by the TTL service (moto never expires items: a test
        deletes the item itself and says so here, and the record gets the TTL userIdentity)."""
        self._ttl_keys.add(json.dumps(keys, sort_keys=True, default=str))

    def pump(self, invoke: Invoke, max_rounds: int = 1000) -> int:
        """Deliver every pending record to every mapping (including records the deliveries caused);
        returns how many records were delivered."""
        delivered = 0
        with self._lock:
            for _ in range(max_rounds):
                moved = sum(self._pump_source(source, invoke) for source in self.sources)
                delivered += moved
                if not moved:
                    return delivered
        raise RuntimeError("streams kept producing records (a consumer writing in a loop?)")

    def drop_delivered(self, backend: Any, streams_backend: Any | None = None) -> int:
        """Drop from moto's shards (`backend`: moto's DynamoDB backend) the records every mapping of
        their table has delivered; returns how many. A dropped record becomes None in the shard's list,
        so moto's sequence numbers (`len(items) + starting_sequence_number`) stay as they are and a
        record appended meanwhile by another thread is never disturbed; no mapping reads before its
        position again, and a table with a mapping that has read nothing yet (it would start from the
        trim horizon) keeps every record. The shard iterators this pump used (each once; moto keeps
        every one, DynamoDB expires them in 15 minutes) go from `streams_backend` too."""
        dropped = 0
        with self._lock:
            used, self._iterators = self._iterators, []
            if streams_backend is not None:
                for iterator in used:
                    streams_backend.shard_iterators.pop(iterator, None)
            for table in {source.table for source in self.sources}:
                shard = backend.tables[self.template.physical_name(table)].stream_shard
                if shard is not None:
                    dropped += self._drop_delivered_of(table, shard)
        return dropped

    def _drop_delivered_of(self, table: str, shard: Any) -> int:
        mappings = [source.function for source in self.sources if source.table == table]
        positions = [self._positions.get((function, shard.id)) for function in mappings]
        if any(position is None or position.after is None for position in positions):
            return 0
        delivered = min(int(str(p.after)) for p in positions if p is not None) + 1
        upto = min(delivered - shard.starting_sequence_number, len(shard.items))
        start = self._dropped.get((table, shard.id), 0)
        for index in range(start, upto):
            shard.items[index] = None
        self._dropped[(table, shard.id)] = max(start, upto)
        return max(0, upto - start)

    def _stream_arn(self, table_logical_id: str) -> str:
        name = self.template.physical_name(table_logical_id)
        return str(self.dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"])

    def _pump_source(self, source: StreamSource, invoke: Invoke) -> int:
        arn = self._stream_arn(source.table)
        delivered = 0
        for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            position = self._positions.setdefault((source.function, shard["ShardId"]), _Position())
            delivered += self._pump_shard(source, arn, shard["ShardId"], position, invoke)
        return delivered

    def _pump_shard(
        self, source: StreamSource, arn: str, shard: str, position: _Position, invoke: Invoke
    ) -> int:
        read = self._read(arn, shard, position.after, source.batch_size)
        records = [
            record
            for record in read
            if not _moto_key_insert(record) and passes_filters(record, source.filters)
        ]
        if not records:
            if read:
                position.after, position.attempts = read[-1]["dynamodb"]["SequenceNumber"], 0
            return len(read)
        sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
        event = {"Records": [lambda_record(r, arn, self._is_ttl(r)) for r in records]}
        try:
            retry_from = failed_sequence(
                invoke(source.function, event), sequences, source.report_item_failures
            )
        except Exception:
            log.exception("%s failed on a batch of %d stream records", source.function, len(records))
            retry_from = sequences[0]
        if retry_from is None:
            position.after, position.attempts = read[-1]["dynamodb"]["SequenceNumber"], 0
            return len(read)
        done = sequences.index(retry_from)
        if done:  # the records before the first failure are checkpointed
            position.after, position.attempts = sequences[done - 1], 0
            return done
        position.attempts += 1
        limit = self.local_retries if source.max_retries < 0 else min(source.max_retries, self.local_retries)
        if position.attempts > limit:
            self._give_up(source, arn, shard, records)
            position.after, position.attempts = sequences[-1], 0
            return len(records)
        return 0

    def _read(self, arn: str, shard: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        if after is None:
            iterator = self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        else:
            iterator = self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after
            )["ShardIterator"]
        answer = self.streams.get_records(ShardIterator=iterator, Limit=limit)
        self._iterators += [iterator, answer.get("NextShardIterator", "")]
        return list(answer.get("Records", []))

    def _is_ttl(self, record: dict[str, Any]) -> bool:
        if record.get("eventName") != "REMOVE":
            return False
        keys = {name: next(iter(value.values())) for name, value in record["dynamodb"]["Keys"].items()}
        wanted = json.dumps(keys, sort_keys=True, default=str)
        if wanted in self._ttl_keys:
            self._ttl_keys.discard(wanted)
            return True
        return False

    def _give_up(self, source: StreamSource, arn: str, shard: str, records: list[dict[str, Any]]) -> None:
        """What Lambda sends to an OnFailure destination: where the records are, not the records."""
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        log.error(
            "%s gave up on %d stream records (sent to its on-failure queue)", source.function, len(records)
        )
        if self.sqs is None or source.on_failure is None:
            return
        url = self.template.created.get(source.on_failure)
        if url is None:
            return
        message = {
            "requestContext": {"functionArn": source.function, "condition": "RetryAttemptsExhausted"},
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "batchSize": len(records),
                "streamArn": arn,
            },
        }
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))


def _moto_key_insert(record: dict[str, Any]) -> bool:
    """moto's UpdateItem of a new item records two INSERTs: the bare key, then the item. DynamoDB
    records one; the bare-key INSERT is dropped so consumers see what they will see on AWS."""
    stream = record.get("dynamodb", {})
    return record.get("eventName") == "INSERT" and stream.get("NewImage") == stream.get("Keys")


class StreamPoller(threading.Thread):
    """`fleetreport serve`: pump the streams every `interval` seconds, like Lambda's pollers."""

    def __init__(
        self, pump: StreamPump, invoke: Invoke, interval: float = 0.2, moto: tuple[Any, Any] | None = None
    ) -> None:
        super().__init__(name="dynamodb-streams", daemon=True)
        self.pump = pump
        self.moto = moto  # moto's DynamoDB and DynamoDB Streams backends, when in this process
        self.invoke = invoke
        self.interval = interval
        self._stop_requested = threading.Event()

    def run(self) -> None:
        while not self._stop_requested.is_set():
            self.poll()
            self._stop_requested.wait(self.interval)

    def poll(self) -> None:
        """One round: deliver what is pending, then drop what every mapping has delivered (when moto
        runs in this process: `fleetreport serve` would otherwise hold every change it ever made)."""
        try:
            self.pump.pump(self.invoke)
            if self.moto is not None:
                self.pump.drop_delivered(*self.moto)
        except Exception:  # the stream itself misbehaved; keep the mapping alive like Lambda does
            log.exception("polling the table streams failed")

    def stop(self) -> None:
        self._stop_requested.set()
