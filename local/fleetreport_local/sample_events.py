"""The `events/` convention shared by `fleetreport invoke` and the sample-event test.

A sample is `events/<function>_<anything>.json` (`<function>` = the folder under functions/). It may
contain the placeholders `{{ADMIN_TOKEN}}` (an admin JWT of the stack's tenant) and `{{REPORT_KEY}}`
(a report key of an existing app), and an optional top-level `"_expect": <status>` documenting the
HTTP status it should get; `_expect` is removed before the event is sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fleetreport_local.template import ROOT

EVENTS_DIR = ROOT / "events"
ADMIN_TOKEN = "{{ADMIN_TOKEN}}"  # noqa: S105 - a placeholder, not a secret
REPORT_KEY = "{{REPORT_KEY}}"
EXPECT_KEY = "_expect"


def sample_files(directory: Path = EVENTS_DIR) -> list[Path]:
    return sorted(directory.glob("*.json"))


def function_of(path: Path, function_names: list[str]) -> str | None:
    """The function a sample belongs to: the longest folder name that prefixes `<name>_`."""
    matches = [name for name in function_names if path.stem.startswith(f"{name}_") or path.stem == name]
    return max(matches, key=len) if matches else None


def render(text: str, values: dict[str, str]) -> tuple[dict[str, Any], int | None]:
    """The event with placeholders filled in and `_expect` removed, and the expected status if any."""
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError("a sample event must be a JSON object")
    expect = event.pop(EXPECT_KEY, None)
    return event, int(expect) if expect is not None else None


def is_http_event(event: dict[str, Any]) -> bool:
    return event.get("version") == "2.0" and "http" in event.get("requestContext", {})
