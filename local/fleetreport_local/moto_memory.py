"""moto keeps every model object it ever made, for its dashboard and its reset: each `BaseModel.__new__`
appends the instance to its class's `instances_tracked` list, and nothing takes it out until the mock
stops. For DynamoDB that is one `Item` per write's saved old image (`copy.deepcopy` in `update_item`),
per item every Query or Scan answered (a deep copy each), one `StreamRecord` per change and one
`ShardIterator` per GetShardIterator/GetRecords: a long run holds its whole history, not its data
(W4's storm process at 2,000 devices: 8,881 Items tracked for ~2,400 stored, 4,106 StreamRecords for
73 left in a shard; docs/performance.md "scale model").

`forget_request_models()` stops tracking those per-request models in this process; the tables, their
items and shards are still referenced by the backend, so nothing a caller can read is lost. moto's
own reset (`reset_model_data`, at the end of a `mock_aws`) still works: it empties the other lists.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import BaseModel
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord
from moto.dynamodbstreams.models import ShardIterator

PER_REQUEST_MODELS: frozenset[type] = frozenset({Item, StreamRecord, ShardIterator})
_TRACKING_NEW = BaseModel.__new__


def _new(cls: type, *args: Any, **kwargs: Any) -> Any:
    instance: Any = object.__new__(cls)
    if cls not in PER_REQUEST_MODELS:
        cls.instances_tracked.append(instance)  # type: ignore[attr-defined]
    return instance


def forget_request_models() -> None:
    """From now on moto tracks no per-request model of this process (idempotent)."""
    BaseModel.__new__ = _new  # type: ignore[method-assign]
    for model in PER_REQUEST_MODELS:
        model.instances_tracked = []  # type: ignore[attr-defined]


def track_request_models() -> None:
    """moto's own behaviour again (for a test that turned it off)."""
    BaseModel.__new__ = _TRACKING_NEW  # type: ignore[method-assign]
