"""storage.pages.batch_get, the one BatchGetItem loop: every key read 100 a call, only the projected
attributes when asked, unprocessed keys asked again after a backoff and a 503 when they never go through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from clock_support import RecordingClock
from fleetreport import clock
from fleetreport.errors import TemporarilyUnavailable
from fleetreport.rollup.names import projection
from fleetreport.storage.pages import batch_get


class Throttled:
    """A DynamoDB client whose first `throttled` BatchGetItem calls leave every key unprocessed, as
    DynamoDB answers when the table's capacity is exceeded (the request comes back as UnprocessedKeys)."""

    def __init__(self, client: Any, throttled: int) -> None:
        self.client = client
        self.throttled = throttled
        self.requests: list[dict[str, Any]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(RequestItems)
        if len(self.requests) <= self.throttled:
            return {"Responses": {}, "UnprocessedKeys": RequestItems}
        answer: dict[str, Any] = self.client.batch_get_item(RequestItems=RequestItems)
        return answer


@pytest.fixture
def consumers(stack: Any) -> tuple[Any, list[dict[str, str]]]:
    """ComplianceTable's client and name, with 250 items that each carry a small and a large attribute."""
    table = stack.table("ComplianceTable")
    with table.batch_writer() as writer:
        for number in range(250):
            writer.put_item(
                Item={"pk": "T#t1", "sk": f"C#{number:03}", "name": f"c{number}", "doc": "x" * 200}
            )
    return table, [{"pk": "T#t1", "sk": f"C#{number:03}"} for number in range(250)]


@pytest.fixture
def recording_clock() -> Iterator[RecordingClock]:
    recording = RecordingClock()
    previous = clock.install(recording)
    yield recording
    clock.install(previous)


def test_every_key_is_read_however_many_calls_it_takes(consumers: Any) -> None:
    table, keys = consumers
    items = list(batch_get(table.meta.client, table.name, keys))
    assert sorted(item["sk"] for item in items) == [key["sk"] for key in keys]
    assert all(item["doc"] == "x" * 200 for item in items)  # no projection: whole items


def test_a_projection_reads_only_the_named_attributes(consumers: Any) -> None:
    table, keys = consumers
    items = list(batch_get(table.meta.client, table.name, keys[:3], projection=projection("sk", "name")))
    assert sorted(items, key=lambda item: item["sk"]) == [
        {"sk": "C#000", "name": "c0"},
        {"sk": "C#001", "name": "c1"},
        {"sk": "C#002", "name": "c2"},
    ]


def test_unprocessed_keys_are_asked_again_after_a_backoff_with_their_projection(
    consumers: Any, recording_clock: RecordingClock
) -> None:
    table, keys = consumers
    client = Throttled(table.meta.client, throttled=2)
    items = list(batch_get(client, table.name, keys[:2], projection=projection("name")))
    assert sorted(item["name"] for item in items) == ["c0", "c1"]
    assert len(client.requests) == 3 and len(recording_clock.sleeps) == 2  # none before the first call
    assert all(0 <= seconds <= 0.01 * 2 ** (n + 1) for n, seconds in enumerate(recording_clock.sleeps))


def test_keys_that_never_go_through_fail_the_read_with_503(
    consumers: Any, recording_clock: RecordingClock
) -> None:
    table, keys = consumers
    client = Throttled(table.meta.client, throttled=10)
    with pytest.raises(TemporarilyUnavailable) as failure:
        list(batch_get(client, table.name, keys[:2], attempts=3))
    assert failure.value.status == 503
    assert len(client.requests) == 3 and len(recording_clock.sleeps) == 2
