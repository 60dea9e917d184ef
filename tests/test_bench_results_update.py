"""bench/RESULTS.md rows updated in place (bench.results.update_results): a long measurement replaces its
own rows and notes, dated, and leaves every other row as it was."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package
from bench.report import Row
from bench.results import update_results

RESULTS = """# Benchmark results

| figure | budget | measured | reads | writes | S3 | wall x | RSS MB | result | date |
|---|---|---|---|---|---|---|---|---|---|
| kept row | b | m |  |  |  |  |  | PASS | 2026-11-25 |
| WCU per compliance event (W2) | ≤ 6 | 15.4 |  |  |  |  |  | FAIL | 2026-12-01 |

## Notes

- **kept row**: its note

## How to read this

text
"""


def test_a_named_row_is_replaced_and_a_new_one_added_with_its_note(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text(RESULTS)
    rows = [
        Row("storm", "WCU per compliance event (W2)", "≤ 6", measured="5.24", checks=[("≤ 6", True)]),
        Row("storm", "capacity W2 burst", "≤ 300", measured="25", note="by target: x"),
    ]
    update_results(path, rows, "2026-12-07")
    lines = path.read_text().splitlines()
    assert "| kept row | b | m |  |  |  |  |  | PASS | 2026-11-25 |" in lines
    assert "- **kept row**: its note" in lines
    [per_event] = [line for line in lines if line.startswith("| WCU per compliance event (W2) |")]
    assert "5.24" in per_event and "PASS" in per_event and per_event.endswith("2026-12-07 |")
    added = lines.index(next(line for line in lines if line.startswith("| capacity W2 burst |")))
    assert lines[added - 1].startswith("| WCU per compliance event (W2) |")  # at the end of the table
    assert lines.index("- **capacity W2 burst**: by target: x") < lines.index("## How to read this")
    update_results(path, rows, "2026-12-07")  # again: replaced, not added twice
    assert path.read_text().count("| capacity W2 burst |") == 1
