"""Result rows and their two renderings: a console table and bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

PASS, FAIL, NOT_AVAILABLE, ERROR = "PASS", "FAIL", "N/A", "ERROR"
RSS_BUDGET_MB = 256


@dataclass
class Row:
    """One figure of one scenario. `checks` are (what, held) pairs; the row passes when all hold."""

    scenario: str
    figure: str
    budget: str
    measured: str = ""
    reads: str = ""
    writes: str = ""
    s3: str = ""
    wall: str = ""
    rss: str = ""
    checks: list[tuple[str, bool]] = field(default_factory=list)
    status: str = ""  # forced status (N/A, ERROR); otherwise derived from checks
    note: str = ""

    @property
    def result(self) -> str:
        if self.status:
            return self.status
        if not self.checks:
            return PASS
        return PASS if all(held for _, held in self.checks) else FAIL

    @property
    def failed_checks(self) -> list[str]:
        return [what for what, held in self.checks if not held]

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["result"] = self.result
        return data


def unavailable(scenario: str, figure: str, budget: str, reason: str) -> Row:
    return Row(scenario, figure, budget, measured="not available", status=NOT_AVAILABLE, note=reason)


def errored(scenario: str, figure: str, budget: str, reason: str) -> Row:
    return Row(scenario, figure, budget, measured="error", status=ERROR, note=reason)


def rss_check(*peaks_mb: float) -> tuple[str, tuple[str, bool]]:
    """The RSS cell and its check (SPEC §7: peak RSS ≤ 256 MB for every bench scenario)."""
    worst = max(peaks_mb)
    return f"{worst:.0f}", (f"peak RSS ≤ {RSS_BUDGET_MB} MB", worst <= RSS_BUDGET_MB)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _result_cell(row: Row) -> str:
    if row.result == FAIL:
        return "**FAIL**: " + "; ".join(row.failed_checks)
    return row.result


COLUMNS = ("figure", "budget", "measured", "reads", "writes", "S3", "wall x", "RSS MB", "result")


def markdown_table(rows: Iterable[Row], date: str) -> str:
    lines = [
        "| " + " | ".join((*COLUMNS, "date")) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for row in rows:
        cells = (row.figure, row.budget, row.measured, row.reads, row.writes, row.s3, row.wall, row.rss)
        lines.append("| " + " | ".join(_cell(c) for c in (*cells, _result_cell(row), date)) + " |")
    return "\n".join(lines)


def notes(rows: Iterable[Row]) -> str:
    found = [f"- **{row.figure}**: {row.note}" for row in rows if row.note]
    return "\n".join(found) if found else "- none"


def environment_line(sizes: str) -> str:
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; sizes: {sizes}."
    )


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def console_table(rows: Iterable[Row]) -> str:
    lines = []
    for row in rows:
        detail = " ".join(
            part
            for part in (
                f"reads={row.reads}" if row.reads else "",
                f"writes={row.writes}" if row.writes else "",
                f"s3={row.s3}" if row.s3 else "",
                f"wall={row.wall}" if row.wall else "",
                f"rss={row.rss}MB" if row.rss else "",
            )
            if part
        )
        lines.append(f"{_result_cell(row):<8} {row.figure}: {row.measured} (budget: {row.budget}) {detail}")
        if row.note and row.result in (NOT_AVAILABLE, ERROR):
            lines.append(f"         {row.note[:400]}")
    return "\n".join(lines)
