"""What the handlers write to stdout and stderr while a measured operation runs (bench/cost_measure.py).

On Lambda both streams go to CloudWatch Logs, each line one log event, so the bytes captured here are
what an invocation's own logs cost (Lambda's platform lines are modelled in bench/cost.py)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


class _Captured:
    data = b""

    def getvalue(self) -> bytes:
        return self.data


@contextmanager
def handler_output() -> Iterator[_Captured]:
    """Everything written to file descriptors 1 and 2 while the block runs (Lambda sends both to
    CloudWatch Logs). Captured at the descriptors: Powertools' log handler holds the stdout it found
    at import, so swapping sys.stdout would miss its lines."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        captured = _Captured()
        try:
            yield captured
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            sink.seek(0)
            captured.data = sink.read()
