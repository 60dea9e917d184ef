"""Every sample in events/ (SPEC §6) reaches its function and gets the answer it documents.

Naming: `events/<function>_<anything>.json`; placeholders `{{ADMIN_TOKEN}}` and `{{REPORT_KEY}}`;
an optional top-level `"_expect": <status>` (see fleetreport_local.sample_events). The samples share
one stack but each runs as its own tenant (its admin token and its app), so none sees another's data.
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
    REPORT_KEY,
    function_of,
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


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_event_gets_the_answer_it_documents(path: Path, module_stack: Any) -> None:
    stack = module_stack
    function = function_of(path, list(FUNCTIONS))
    assert function, f"{path.name}: name it <function>_<anything>.json, function one of {sorted(FUNCTIONS)}"
    text = path.read_text()
    tenant = f"sample-{path.stem}"
    values = {ADMIN_TOKEN: stack.token(role="admin", owner=tenant)}
    if REPORT_KEY in text:
        values[REPORT_KEY] = report_key_for(stack, text, tenant)
    event, expect = render(text, values)
    if is_http_event(event):
        check_routed_to(event, FUNCTIONS[function], path)
        result = to_http_result(stack.invoke(FUNCTIONS[function], event))
        assert result.status < 500, f"{path.name}: {result.status} {result.text[:500]}"
        if expect is not None:
            assert result.status == expect, f"{path.name}: {result.status} {result.text[:500]}"
        return
    response = stack.invoke(FUNCTIONS[function], event)
    if isinstance(response, dict) and "batchItemFailures" in response:
        assert response["batchItemFailures"] == [], f"{path.name}: {response}"
    if expect is not None and isinstance(response, dict) and "statusCode" in response:
        assert response["statusCode"] == expect


def check_routed_to(event: dict[str, Any], logical_id: str, path: Path) -> None:
    """The sample's route is one the template gives this function (API Gateway would send it there)."""
    method, _, route_path = event["routeKey"].partition(" ")
    matched = load_template().match(method, event["rawPath"])
    assert matched, f"{path.name}: no route for {method} {event['rawPath']}"
    route, _ = matched
    assert (route.function, route.path) == (logical_id, route_path), f"{path.name}: routed to {route}"


def report_key_for(stack: Any, text: str, tenant: str) -> str:
    """A report key of an app named like the sample's `application.name` (made through POST /apps)."""
    event, _ = render(text, {ADMIN_TOKEN: "", REPORT_KEY: ""})
    try:
        name = json.loads(event.get("body") or "{}")["application"]["name"]
    except (ValueError, KeyError, TypeError):
        name = "sample-app"
    created = stack.http(
        "POST", "/apps", headers=stack.auth(role="admin", owner=tenant), body={"name": name, "reports": True}
    )
    assert created.status == 201, (
        f"POST /apps (needed for {{{{REPORT_KEY}}}}): {created.status} {created.text}"
    )
    return str(created.json()["report_key"])
