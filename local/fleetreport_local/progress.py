"""The one-line progress indicator `fleetreport serve` shows while the stack starts and seeds.

On a terminal the line is rewritten in place (`\\r` and erase-to-end-of-line), so start-up leaves
nothing behind but the banner; into a pipe or a file each step is one plain line, so logs and CI
output stay readable.
"""

from __future__ import annotations

import time
from typing import TextIO

_ERASE_LINE = "\r\x1b[K"


class StartupProgress:
    """`starting: [3/7] report groups: 35 days of history (4.2s)` — one line, the newest step."""

    def __init__(self, out: TextIO, total: int, prefix: str = "starting") -> None:
        self.out = out
        self.total = total
        self.prefix = prefix
        self.interactive = _is_terminal(out)
        self.step = 0
        self.started = time.monotonic()
        self._label = ""

    def advance(self, label: str) -> None:
        """A new step begins (counted towards `total`)."""
        self.step = min(self.step + 1, self.total)
        self._label = label
        self._draw(label)

    def detail(self, text: str) -> None:
        """Progress within the current step (redrawn on a terminal only: a pipe gets steps, not ticks)."""
        if self.interactive:
            self._draw(f"{self._label}: {text}")

    def finish(self) -> None:
        """Clear the line on a terminal, so what follows starts on a clean one."""
        if self.interactive:
            self.out.write(_ERASE_LINE)
            self.out.flush()

    def _draw(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        line = f"{self.prefix}: [{self.step}/{self.total}] {text} ({elapsed:.1f}s)"
        if self.interactive:
            self.out.write(_ERASE_LINE + line[: _columns() - 1])
        else:
            self.out.write(line + "\n")
        self.out.flush()


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns
