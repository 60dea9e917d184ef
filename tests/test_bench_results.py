"""`python -m bench.run --update bench/RESULTS.md`: only the rows run are replaced (or added), dated
today; every other row, note and paragraph of the file stays as it was."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package
from bench.report import Row
from bench.results import update_results

BEFORE = """# Benchmark results

Intro paragraph.

| figure | budget | measured | reads | writes | S3 | wall x | RSS MB | result | date |
|---|---|---|---|---|---|---|---|---|---|
| list groups (1k) | b | 3 |  |  |  |  |  | PASS | 2026-11-25 |
| capacity W4 release day (1,000 devices in 6 s) | b | old |  |  |  |  |  | PASS | 2026-11-25 |
| capacity W4 release day extra | b | keep |  |  |  |  |  | PASS | 2026-11-25 |

## Notes

- **list groups (1k)**: a note.
- **capacity W4 release day (1,000 devices in 6 s)**: old note.

## How to read this

- **reads / writes** are items.
"""


def test_update_replaces_the_rows_of_the_same_figure_and_adds_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text(BEFORE)
    rows = [
        Row(
            "release_day",
            "capacity W4 release day (10,000 devices in 60 s)",
            "b",
            measured="new",
            note="new note",
        ),
        Row("releases_read", "releases: 30 versions", "c", measured="31 items", note="read note"),
    ]
    update_results(path, rows, "2026-12-07")
    lines = path.read_text().splitlines()
    table = [line for line in lines if line.startswith("| ")]
    assert table[1] == "| list groups (1k) | b | 3 |  |  |  |  |  | PASS | 2026-11-25 |"
    assert table[2].startswith("| capacity W4 release day (10,000 devices in 60 s) | b | new |")
    assert table[2].endswith("| PASS | 2026-12-07 |")
    assert table[3].startswith("| capacity W4 release day extra | b | keep |")  # another figure
    assert table[4].startswith("| releases: 30 versions | c | 31 items |")  # added after the table
    notes = [line for line in lines[: lines.index("## How to read this")] if line.startswith("- **")]
    assert notes == [
        "- **list groups (1k)**: a note.",
        "- **capacity W4 release day (10,000 devices in 60 s)**: new note",
        "- **releases: 30 versions**: read note",  # a new note goes last among the notes
    ]
    assert (
        lines[0] == "# Benchmark results"
        and "Intro paragraph." in lines
        and lines[-1] == "- **reads / writes** are items."
    )
