"""Logging of the local tools: everything on stderr (stdout is for the banner and command output)."""

from __future__ import annotations

import logging
import sys
import warnings


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "found credentials in environment"
    warnings.filterwarnings("ignore", message="No application metrics to publish")
