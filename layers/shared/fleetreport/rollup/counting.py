"""Pure counting: how the changed consumers move the per-status counts of each partition.

A partition is `None` (every consumer) or a Candlepin owner key (consumers whose latest snapshot names
that owner). Counts at an instant = counts before the window + the sum, over consumers that changed in
the window, of (their contribution at the instant - their contribution before the window). Consumers
that did not change in the window contribute the same before and after, so they are never read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from fleetreport.rollup.history import ConsumerHistory, State

Partition = str | None
Counts = dict[str, int]
Deltas = dict[Partition, Counter[str]]


def contributions(state: State | None) -> list[tuple[Partition, str]]:
    if state is None:
        return []
    if state.owner_key:
        return [(None, state.status), (state.owner_key, state.status)]
    return [(None, state.status)]


def deltas_at(histories: Iterable[ConsumerHistory], before: str, instants: list[str]) -> list[Deltas]:
    """For each instant: per partition, the change of each status count since `before`."""
    result: list[Deltas] = [{} for _ in instants]
    for history in histories:
        initial = history.state_at(before)
        for index, instant in enumerate(instants):
            state = history.state_at(instant)
            if state == initial:
                continue
            deltas = result[index]
            for partition, status in contributions(initial):
                deltas.setdefault(partition, Counter())[status] -= 1
            for partition, status in contributions(state):
                deltas.setdefault(partition, Counter())[status] += 1
    return result


def applied(base: Mapping[str, int], delta: Mapping[str, int] | None) -> Counts:
    """`base` moved by `delta`, zero (and, defensively, negative) counts dropped, keys sorted."""
    total: Counter[str] = Counter(base)
    if delta:
        total.update(delta)
    return {status: count for status, count in sorted(total.items()) if count > 0}


def plain_counts(value: Any) -> Counts:
    """A stored `{status: n}` map (Decimal numbers) as plain ints."""
    if not isinstance(value, Mapping):
        return {}
    return {str(status): int(count) for status, count in value.items() if isinstance(count, (int, Decimal))}


def touched_partitions(deltas: Iterable[Deltas]) -> set[Partition]:
    return {
        partition for per_instant in deltas for partition, delta in per_instant.items() if any(delta.values())
    }
