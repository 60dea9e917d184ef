"""W3's trace (bench/scenarios/storm_w3.py) is one seeded sequence: the storm replays it, and
`index_moves` counts from it how often an index entry keyed on `last_seen` cut to a bucket would move
(docs/performance.md, "Why W3's two budgets are not met")."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package

from bench.scenarios.storm_w3 import APPS, draws, index_moves


def test_the_trace_is_the_same_sequence_every_time_at_the_asked_rate() -> None:
    first = list(draws(rate=50, groups=100, seconds=2))
    assert first == list(draws(rate=50, groups=100, seconds=2))
    assert len(first) == 100
    arrivals = [arrival for arrival, _, _, _ in first]
    assert arrivals == sorted(arrivals) and arrivals[0] >= 0 and arrivals[-1] < 2


def test_one_group_moves_once_per_bucket_it_is_reported_in() -> None:
    moves = index_moves(rate=20, groups=1, seconds=6, buckets=[1, 3, 6])["moves_per_s"]
    assert moves["1"] == {"owner": 1.0, "busiest_app": 1.0}  # six seconds, six moves
    assert moves["3"]["owner"] == round(2 / 6, 1)
    assert moves["6"]["owner"] == round(1 / 6, 1)


def test_coarser_buckets_move_less_and_the_owner_key_takes_every_apps_moves() -> None:
    moves = index_moves(rate=200, groups=2_000, seconds=10, buckets=[1, 10])["moves_per_s"]
    assert moves["10"]["owner"] < moves["1"]["owner"] <= 200
    for bucket in ("1", "10"):
        assert moves[bucket]["owner"] / APPS <= moves[bucket]["busiest_app"] < moves[bucket]["owner"]
