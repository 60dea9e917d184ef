"""The `events/` convention shared by `fleetreport invoke` and the sample-event test.

A sample is `events/<function>_<anything>.json` (`<function>` = the folder under functions/). It may
contain the placeholders `{{ADMIN_TOKEN}}` (an admin JWT of the stack's tenant), `{{REPORT_KEY}}`
(a report key of an existing app) and `{{TENANT}}` (that tenant's id). Two top-level keys document
it, and are removed before the event is sent:
- `"_expect"`: the answer. A status (`202`), or `{"status": 200, "body": {...}}` for an HTTP event, or
  `{"response": {...}}` for another event; `body`/`response` is what the answer contains (see
  `contains`: objects need only the keys given, lists the same length, `{}`/`[]` emptiness, other
  values equality); a string `body` is the whole text of the answer (CSV, HTML).
- `"_given"`: the samples (file names in the same folder) to send first, in the same tenant, so that
  this one finds the data it documents (a group to read, snapshots to report on, a day to roll up).
  The table streams are drained after them, so what their stream consumers derive (a group's
  aggregates, e.g. the list's `total`) is there too, as it is for an API client a moment later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetreport_local.template import ROOT

EVENTS_DIR = ROOT / "events"
ADMIN_TOKEN = "{{ADMIN_TOKEN}}"  # noqa: S105 - a placeholder, not a secret
REPORT_KEY = "{{REPORT_KEY}}"
TENANT = "{{TENANT}}"  # the tenant (JWT owner) the sample runs as, e.g. in an expected answer
EXPECT_KEY = "_expect"
GIVEN_KEY = "_given"


@dataclass(frozen=True)
class Expected:
    """What a sample documents about its answer."""

    status: int | None = None
    body: Any = None
    response: Any = None

    @classmethod
    def parse(cls, raw: Any) -> Expected:
        if isinstance(raw, dict):
            status = raw.get("status")
            return cls(int(status) if status is not None else None, raw.get("body"), raw.get("response"))
        return cls(int(raw))


def sample_files(directory: Path = EVENTS_DIR) -> list[Path]:
    return sorted(directory.glob("*.json"))


def function_of(path: Path, function_names: list[str]) -> str | None:
    """The function a sample belongs to: the longest folder name that prefixes `<name>_`."""
    matches = [name for name in function_names if path.stem.startswith(f"{name}_") or path.stem == name]
    return max(matches, key=len) if matches else None


def render(text: str, values: dict[str, str]) -> tuple[dict[str, Any], Expected | None]:
    """The event with placeholders filled in and `_expect`/`_given` removed, and what it expects."""
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError("a sample event must be a JSON object")
    expect = event.pop(EXPECT_KEY, None)
    event.pop(GIVEN_KEY, None)
    return event, Expected.parse(expect) if expect is not None else None


def given(text: str) -> list[str]:
    """The samples to send before this one (`_given`), as file names."""
    names = json.loads(text).get(GIVEN_KEY, [])
    return [str(name) for name in names]


def contains(actual: Any, expected: Any, where: str = "$") -> list[str]:
    """Where `actual` differs from `expected`: objects need the expected keys (others may be there),
    lists the same length with each element matching, an empty object or list emptiness, anything
    else equality."""
    if expected in ({}, []):
        return [] if actual == expected else [f"{where}: {actual!r} is not empty"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {actual!r} is not an object"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += contains(actual[key], value, f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: {actual!r} is not a list of {len(expected)}"]
        return [
            problem
            for i, item in enumerate(expected)
            for problem in contains(actual[i], item, f"{where}[{i}]")
        ]
    return [] if actual == expected else [f"{where}: {actual!r} != {expected!r}"]


def is_http_event(event: dict[str, Any]) -> bool:
    return event.get("version") == "2.0" and "http" in event.get("requestContext", {})
