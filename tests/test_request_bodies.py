"""Request bodies before and after authentication (docs/api.md, issue 22 class 1): on every route
that takes a body, of every function, an anonymous request is 401 however malformed its body, in
whatever Content-Type; an authenticated malformed body is 400 `invalid request body`; always our
`{"error"}` shape, never Powertools' own 415/422 bodies nor a 500.

A body is JSON whatever its Content-Type says: the routes whose bodies Powertools validates
(`POST /apps`, `PATCH /apps/{app_id}`, `POST /report-keys/regenerate`) read them with our reader
after authentication, like the routes that read their bodies themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from groups_support import ingest, make_app, report
from hostile_support import check_answer, operations
from routes_support import BODIES, REPORT_KEY_ROUTES, all_routes, request_for

BODY_ROUTES = sorted(key for key, route in all_routes().items() if route.method in ("POST", "PATCH", "PUT"))
HUGE_INT = "1" * 5001  # past Python's int-string limit (4,300 digits): ValueError, not JSONDecodeError
# (content type or None, body): none of them is a JSON document this service could take.
MALFORMED: dict[str, tuple[str | None, str | bytes]] = {
    "text/plain": ("text/plain", "hello"),
    "text/plain, JSON-looking": ("text/plain; charset=utf-8", '{"name": '),
    "xml": ("application/xml", "<app><name>x</name></app>"),
    "multipart without boundary": (
        "multipart/form-data",
        "--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n",
    ),
    "multipart with boundary": (
        "multipart/form-data; boundary=x",
        '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nswept\r\n--x--\r\n',
    ),
    "form-urlencoded": ("application/x-www-form-urlencoded", "name=swept&reports=true&app_id=x"),
    "huge int in an object": ("application/json", '{"name": "x", "reports": ' + HUGE_INT + "}"),
    "huge int in an array": ("application/json", "[" + HUGE_INT + "]"),
    "huge int, no content type": (None, '{"app_id": ' + HUGE_INT + "}"),
    "huge negative int": ("application/json", '{"note": -' + HUGE_INT + "}"),
    "deep nesting": ("application/json", "[" * 5000 + "]" * 5000),
    "deep objects": ("application/json", '{"a":' * 5000 + "1" + "}" * 5000),
    "invalid utf-8": ("application/json", b'{"name": "\xe9t\xe9"}'),
    "invalid utf-8, text/plain": ("text/plain", b"\xff\xfe\xfd"),
    "not JSON": ("application/json", "{'name': 'single quotes'}"),
    "truncated": ("application/json", '{"name": "swept"'),
    "empty": ("application/json", ""),
    "empty, no content type": (None, ""),
}
INVALID_BODY = {"error": "invalid request body"}


@dataclass(frozen=True)
class World:
    app_id: str
    key: str
    group_hash: str
    admin: dict[str, str]


def world_of(stack: Any, tenant: str) -> World:
    """An app, its report key and one group, in `tenant`."""
    app_id, key = make_app(stack, tenant=tenant, name="test")
    answer = ingest(stack, key, report())
    assert answer.status == 202, answer.text
    group_hash = answer.json()["group_hash"]
    return World(app_id, key, group_hash, stack.auth(role="admin", owner=tenant))


@pytest.fixture(scope="module")
def refusing(module_stack: Any) -> World:
    """One world for the sweeps: every request they send is refused (401 or 400), so none changes it
    (an app and an ingest per case made this module the slowest of the suite)."""
    return world_of(module_stack, "b-refused")


@pytest.fixture
def mine(module_stack: Any, request: pytest.FixtureRequest) -> World:
    """A world of the test's own, for a test whose requests succeed (and change it)."""
    return world_of(module_stack, f"b-{abs(hash(request.node.nodeid)) % 10**8}")


def send(stack: Any, route_key: str, world: Any, headers: dict[str, str], case: str) -> Any:
    content_type, body = MALFORMED[case]
    method, path, _ = request_for(all_routes()[route_key], group_hash=world.group_hash, app_id=world.app_id)
    if content_type:
        headers = {**headers, "Content-Type": content_type}
    answer = stack.http(method, path, headers=headers, body=body)
    check_answer(
        route_key, operations()[route_key], answer.status, answer.header("content-type") or "", answer.body
    )
    return answer


def credentials(world: Any, route_key: str) -> dict[str, str]:
    if route_key in REPORT_KEY_ROUTES:
        return {"Authorization": f"Bearer {world.key}", "X-Device-ID": "device-bodies"}
    return world.admin


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("route", BODY_ROUTES)
def test_an_anonymous_request_is_401_whatever_its_body(
    module_stack: Any, refusing: World, route: str, case: str
) -> None:
    answer = send(module_stack, route, refusing, {}, case)
    assert answer.status == 401, (route, case, answer.text)
    assert set(answer.json()) == {"error"}, answer.text


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("route", BODY_ROUTES)
def test_an_authenticated_malformed_body_is_400_invalid_request_body(
    module_stack: Any,
    refusing: World,
    route: str,
    case: str,
) -> None:
    answer = send(module_stack, route, refusing, credentials(refusing, route), case)
    assert (answer.status, answer.json()) == (400, INVALID_BODY), (route, case)


@pytest.mark.parametrize("route", ["POST /apps", "PATCH /apps/{app_id}", "POST /report-keys/regenerate"])
def test_a_json_body_is_read_whatever_its_content_type_says(
    module_stack: Any, mine: World, route: str
) -> None:
    """The body is JSON however it is labelled, as on every route that reads its own body."""
    method, path, _ = request_for(all_routes()[route], app_id=mine.app_id)
    body = {**BODIES[route], "name": f"labelled {route.split()[0].lower()}"}
    if route == "POST /report-keys/regenerate":
        body = {"app_id": mine.app_id}
    for content_type in ("text/plain", "application/json; charset=utf-8", "application/octet-stream"):
        headers = {**mine.admin, "Content-Type": content_type}
        answer = module_stack.http(method, path, headers=headers, body=json.dumps(body))
        if route == "POST /apps":
            assert answer.status in (201, 409), (content_type, answer.text)  # created, then exists
        else:
            assert answer.status == 200, (content_type, answer.text)


def test_the_every_route_sweep_covers_every_route_with_a_body() -> None:
    """A new write route joins the sweeps above on its own (routes read from template.yaml)."""
    named = {
        "POST /apps",
        "PATCH /apps/{app_id}",
        "POST /report-keys/regenerate",
        "PUT /apps/{app_id}/alerts",
        "PATCH /reports/groups/{group_hash}",
        "POST /events",
        "POST /reports/ingest",
    }
    assert named <= set(BODY_ROUTES)
