"""Every sample in events/ (SPEC §6) reaches its function and gets the answer it documents.

Naming: `events/<function>_<anything>.json`; placeholders `{{ADMIN_TOKEN}}`, `{{REPORT_KEY}}` and
`{{TENANT}}`; a top-level `"_expect"` (the status, and what the answer contains) and an optional
`"_given"` (samples sent first, for the data this one needs): see fleetreport_local.sample_events.
Each sample runs in a fresh stack as its own tenant (its admin token and its app).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fleetreport_local.invoker import to_http_result
from fleetreport_local.sample_events import (
    ADMIN_TOKEN,
    EVENTS_DIR,
    EXPECT_KEY,
    REPORT_KEY,
    TENANT,
    contains,
    function_of,
    given,
    is_http_event,
    render,
    sample_files,
)
from fleetreport_local.template import load_template

SAMPLES = sample_files()
FUNCTIONS = {f.name: f.logical_id for f in load_template().functions().values()}


def test_events_directory_holds_samples() -> None:
    assert SAMPLES, f"{EVENTS_DIR} has no *.json samples"


def test_every_route_has_a_sample_event() -> None:
    covered = set()
    for path in SAMPLES:
        event = json.loads(path.read_text())
        if is_http_event(event):
            covered.add(event["routeKey"])
    routes = {f"{r.method} {r.path}" for r in load_template().routes()}
    assert sorted(routes - covered) == []


def test_every_function_has_a_sample_event() -> None:
    sampled = {function_of(path, list(FUNCTIONS)) for path in SAMPLES}
    assert sorted(set(FUNCTIONS) - sampled) == []


def test_every_sample_documents_its_answer() -> None:
    undocumented = [path.name for path in SAMPLES if EXPECT_KEY not in json.loads(path.read_text())]
    assert undocumented == [], "give each an `_expect` (see fleetreport_local.sample_events)"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_event_gets_the_answer_it_documents(path: Path, stack: Any) -> None:
    """In a stack of its own (a scheduled rollup acts on every tenant), after the samples it is
    `_given`; each of those must get its own documented answer too."""
    function = function_of(path, list(FUNCTIONS))
    assert function, f"{path.name}: name it <function>_<anything>.json, function one of {sorted(FUNCTIONS)}"
    run = SampleRun(stack, f"sample-{path.stem}")
    for name in given(path.read_text()):
        assert (path.parent / name).is_file(), f"{path.name}: _given names a missing sample {name}"
        run.check(path.parent / name)
    stack.drain()  # the given samples' stream records reach their consumers (counts, aggregates)
    run.check(path)


class SampleRun:
    """Samples sent as one tenant (its admin token, its apps), in order."""

    def __init__(self, stack: Any, tenant: str) -> None:
        self.stack = stack
        self.tenant = tenant
        self.report_keys: dict[str, str] = {}

    def check(self, path: Path) -> None:
        text = path.read_text()
        values = {ADMIN_TOKEN: self.stack.token(role="admin", owner=self.tenant), TENANT: self.tenant}
        if REPORT_KEY in text:
            values[REPORT_KEY] = self.report_key(text)
        event, expect = render(text, values)
        assert expect is not None, f"{path.name}: no _expect"
        function = FUNCTIONS[str(function_of(path, list(FUNCTIONS)))]
        if is_http_event(event):
            check_routed_to(event, function, path)
            result = to_http_result(self.stack.invoke(function, event))
            answer = f"{path.name}: {result.status} {result.text[:800]}"
            assert result.status == expect.status, answer
            if isinstance(expect.body, str):
                assert result.text == expect.body, answer
            elif expect.body is not None:
                assert contains(result.json(), expect.body) == [], answer
            return
        response = self.stack.invoke(function, event)
        assert expect.response is not None, f"{path.name}: document the response (`_expect.response`)"
        assert contains(response, expect.response) == [], f"{path.name}: {response}"

    def report_key(self, text: str) -> str:
        """A report key of an app named like the sample's `application.name` (made through POST /apps)."""
        event, _ = render(text, {ADMIN_TOKEN: "", REPORT_KEY: ""})
        try:
            name = json.loads(event.get("body") or "{}")["application"]["name"]
        except (ValueError, KeyError, TypeError):
            name = "sample-app"
        if name not in self.report_keys:
            headers = self.stack.auth(role="admin", owner=self.tenant)
            created = self.stack.http("POST", "/apps", headers=headers, body={"name": name, "reports": True})
            assert created.status == 201, f"POST /apps (for a report key): {created.status} {created.text}"
            self.report_keys[name] = str(created.json()["report_key"])
        return self.report_keys[name]


def check_routed_to(event: dict[str, Any], logical_id: str, path: Path) -> None:
    """The sample's route is one the template gives this function (API Gateway would send it there)."""
    method, _, route_path = event["routeKey"].partition(" ")
    matched = load_template().match(method, event["rawPath"])
    assert matched, f"{path.name}: no route for {method} {event['rawPath']}"
    route, _ = matched
    assert (route.function, route.path) == (logical_id, route_path), f"{path.name}: routed to {route}"
