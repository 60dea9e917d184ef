"""`.fleetreport/stack.json`: how the CLI's data commands find the running local stack.

`fleetreport serve` writes it once the stack answers and removes it on exit. The directory is the
repository's `.fleetreport/` unless `FLEETREPORT_STATE_DIR` points elsewhere (tests use that so they
never clobber a developer's running stack).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fleetreport_local.template import ROOT


def state_dir() -> Path:
    return Path(os.environ.get("FLEETREPORT_STATE_DIR") or ROOT / ".fleetreport")


def stack_file() -> Path:
    return state_dir() / "stack.json"


def write_stack_file(info: dict[str, Any]) -> Path:
    """Write atomically, so a reader never sees half a file."""
    path = stack_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(info, indent=2) + "\n")
    partial.replace(path)
    return path


def read_stack_file() -> dict[str, Any] | None:
    """The running stack's description, or None when no stack has written one."""
    try:
        info = json.loads(stack_file().read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def remove_stack_file(pid: int) -> None:
    """Remove the file only if it is still ours (another stack may have started since)."""
    info = read_stack_file()
    if info is not None and info.get("pid") == pid:
        stack_file().unlink(missing_ok=True)
