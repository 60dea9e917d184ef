"""Logging of the local tools: everything on stderr (stdout is for the banner and command output).

`fleetreport serve` is quiet by default: the functions' Powertools loggers at WARNING and no request
lines. `--verbose` adds one compact line per request (`GET /apps 200 12ms`); `LOG_LEVEL` (or
`POWERTOOLS_LOG_LEVEL`) sets the functions' Powertools level, and INFO or DEBUG also shows requests.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

ACCESS_LOGGER = "fleetreport.local.access"
QUIET_HANDLER_LEVEL = "WARNING"
_LOUD_LEVELS = ("DEBUG", "INFO")


@dataclass(frozen=True)
class ServeLogging:
    handler_level: str  # POWERTOOLS_LOG_LEVEL for the functions
    requests: bool  # one access line per request

    @classmethod
    def choose(cls, verbose: bool, environ: Mapping[str, str]) -> ServeLogging:
        explicit = (environ.get("POWERTOOLS_LOG_LEVEL") or environ.get("LOG_LEVEL") or "").strip().upper()
        level = explicit or QUIET_HANDLER_LEVEL
        return cls(handler_level=level, requests=verbose or level in _LOUD_LEVELS)


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "found credentials in environment"
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def configure_serve_logging(choice: ServeLogging) -> None:
    """Warnings and errors always; the stack's own progress lines and request lines only when asked."""
    configure_logging(logging.INFO if choice.requests else logging.WARNING)
    access = logging.getLogger(ACCESS_LOGGER)
    access.propagate = False
    access.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    access.addHandler(handler)
    access.setLevel(logging.INFO if choice.requests else logging.WARNING)
