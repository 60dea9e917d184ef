"""CSV answers (SPEC §4.6, new): one row per result, columns are flattened dotted paths.

Flattening: objects nest into dotted names (`consumer.owner.key`); a list of scalars becomes one cell
joined with `;`; a list of objects is indexed (`entitlements.0.productId`); null and empty lists are
empty cells. Columns appear in first-seen order across all rows. A status_trend answer becomes one row
per day: `date` then one column per status (sorted), 0 where a status had no consumers.

Every text cell, the header row included (its names come from stored data: status names, fact keys), is
defused: a cell a spreadsheet would run as a formula (starting with = + - @ tab or CR, and not a
number) gets a leading `'`. So does every part after a `;`, because spreadsheets in locales whose list
separator is `;` split the file there, quotes or not, and each part becomes a cell of its own.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

LIST_SEPARATOR = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    cells: dict[str, str] = {}
    if isinstance(value, dict):
        if not value and prefix:
            cells[prefix] = ""
        for key, item in value.items():
            cells.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        if any(isinstance(item, (dict, list)) for item in value):
            for index, item in enumerate(value):
                cells.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        else:
            cells[prefix] = LIST_SEPARATOR.join(_scalar(item) for item in value)
    else:
        cells[prefix or "value"] = _scalar(value)
    return cells


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _defused(text: str) -> str:
    """The cell, with a `'` before itself and before each `;`-separated part that would be a formula."""
    if LIST_SEPARATOR in text:
        text = LIST_SEPARATOR.join(_defused_part(part) for part in text.split(LIST_SEPARATOR))
    return _defused_part(text)


def _defused_part(text: str) -> str:
    if text and text[0] in FORMULA_STARTS and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    """A plain decimal (float() would also take `-inf`, `nan` and `1_0`, which a spreadsheet does not)."""
    return _NUMBER.fullmatch(text) is not None


def rows_to_csv(rows: Iterable[Any]) -> str:
    flat = [flatten(row) for row in rows]
    columns: dict[str, None] = {}
    for row in flat:
        columns.update(dict.fromkeys(row))
    return _write(list(columns), ([row.get(column, "") for column in columns] for row in flat))


def days_to_csv(days: list[tuple[str, dict[str, int]]]) -> str:
    statuses = sorted({status for _, counts in days for status in counts})
    return _write(["date", *statuses], ([day, *(counts.get(s, 0) for s in statuses)] for day, counts in days))


def _write(header: list[str], rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_defused(name) for name in header])
    writer.writerows([_defused(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    return buffer.getvalue()
