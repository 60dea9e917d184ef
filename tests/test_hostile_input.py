"""Hostile input (SPEC §8): a Hypothesis run over every operation of docs/openapi.json against the
in-process handlers (no 5xx, only documented statuses, JSON errors, bodies matching their schemas),
then targeted cases: oversized and deeply nested bodies, non-UTF-8 bytes, lone UTF-16 surrogates (in
bodies, queued events and query values), huge query strings, header injection in `X-Device-ID`, path
traversal in path parameters, unicode in names, trailing newlines against every syntax check, repeated
query parameters, the headers every answer carries, and compliance events too large to store.

Requests carry mostly a valid admin token of a seeded owner, so they reach deep validation and real
data; some carry a team token, a report key, garbage or nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from compliance_support import compliance
from fleetreport.compliance import keys
from fleetreport_local.apigw import http_api_event, sqs_event
from fleetreport_local.invoker import HttpResult, to_http_result
from groups_support import gzip_details, ingest, make_app, report
from hostile_support import TEXT, check_answer, described_or_noise, operations, query_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from routes_support import BODIES, REPORT_KEY_ROUTES, all_routes, jwt_routes, request_for

URI_SAFE = "-._~()'!*:@,;=+&$"  # RFC 3986 sub-delims and unreserved: left as they are in a path
CATALOGUE = ["consumer_status", "consumer_trend", "status_trend", "group_trend"]
STATIC_FILES = ["app.js", "styles.css", "index.html", "favicon.svg"]
# Bodies that pass validation, so some draws get past it (the rest of BODIES is in routes_support).
GOOD_BODIES: dict[str, Any] = {
    "POST /reports/ingest": report(),
    "POST /events": [compliance("c2", "2026-05-21T10:00:00.000+0000")],
}
PATH_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="/?#", blacklist_categories=("Cs",)), min_size=1, max_size=70
)


@dataclass(frozen=True)
class World:
    app_id: str
    key: str
    group_hash: str
    admin: dict[str, str]
    team: dict[str, str]


@pytest.fixture(scope="module")
def world(module_stack: Any) -> World:
    app_id, key = make_app(module_stack, tenant="t1", name="test")
    group_hash = ingest(module_stack, key, report(details=gzip_details())).json()["group_hash"]
    admin = module_stack.auth(role="admin", owner="t1")
    module_stack.http("POST", "/events", headers=admin, body=compliance("c1", "2026-05-20T10:00:00.000+0000"))
    team = module_stack.auth(
        role="team", owner="t1", allowed_apps=[app_id], permissions={"apps": {"download": True}}
    )
    return World(app_id, key, group_hash, admin, team)


# ---------------------------------------------------------------------- the property run
def path_value(name: str, w: World) -> st.SearchStrategy[str]:
    known = {
        "group_hash": [w.group_hash, "0" * 64, "../..", "%2e%2e"],
        "report_key": CATALOGUE,
        "app_id": [w.app_id, "00000000-0000-4000-8000-000000000000"],
        "proxy+": STATIC_FILES,
    }
    return st.one_of(st.sampled_from(known.get(name, ["x"])), PATH_TEXT)


def auth_header(route: str, w: World) -> st.SearchStrategy[dict[str, str]]:
    if route in REPORT_KEY_ROUTES:
        keys = [f"Bearer {w.key}"] * 3 + ["Bearer rpk_" + "0" * 64, w.admin["Authorization"], "Basic x"]
        return st.sampled_from(keys).map(lambda value: {"Authorization": value})
    return st.sampled_from([w.admin, w.admin, w.admin, w.team, {}, {"Authorization": "Bearer x.y.z"}])


@st.composite
def requests(draw: st.DrawFn, route: str, operation: dict[str, Any], w: World) -> dict[str, Any]:
    """One request to the operation: path parameters, some query parameters, headers, maybe a body."""
    params: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    headers = dict(draw(auth_header(route, w)))
    for parameter in operation.get("parameters", []):
        name, where, schema = parameter["name"], parameter["in"], parameter.get("schema", {})
        if where == "path":
            params[name] = draw(path_value(name, w))
        elif where == "query" and draw(st.booleans()):
            query += [(name, draw(query_value(schema))) for _ in range(draw(st.integers(1, 2)))]
        elif where == "header":
            headers[name] = draw(st.one_of(st.sampled_from(["device-1", "  "]), TEXT))
    body: Any = None
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"].get("schema", {})
        good = GOOD_BODIES.get(route, BODIES.get(route))
        body = draw(
            st.one_of(
                st.just(json.dumps(good)),
                described_or_noise(schema).map(json.dumps),
                TEXT,
                st.binary(max_size=64),
            )
        )
    return {"params": params, "query": query, "headers": headers, "body": body}


def send(stack: Any, route_key: str, request: dict[str, Any]) -> HttpResult:
    """Straight to the route's handler, as API Gateway would call it once it matched the route (so the
    path parameters arrive as drawn, even ones a real router would have split or refused)."""
    route = all_routes()[route_key]
    path = route.path
    for name, value in request["params"].items():  # on the wire, the path is percent-encoded
        path = path.replace("{" + name + "}", quote(value, safe=URI_SAFE))
    event = http_api_event(
        route.method,
        path,
        route_key=route_key,
        path_parameters=request["params"] or None,
        query=request["query"],
        headers=request["headers"],
        body=request["body"],
    )
    return to_http_result(stack.invoke(route.function, event))


@pytest.mark.slow
@pytest.mark.parametrize("route", sorted(operations()))
def test_every_operation_survives_hostile_requests(module_stack: Any, world: World, route: str) -> None:
    operation = operations()[route]

    @settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(request=requests(route, operation, world))
    def run(request: dict[str, Any]) -> None:
        answer = send(module_stack, route, request)
        check_answer(route, operation, answer.status, answer.header("content-type") or "", answer.body)

    run()


def test_the_run_covers_every_route_of_the_template() -> None:
    assert set(operations()) == set(all_routes())


# ---------------------------------------------------------------------- targeted cases
@pytest.fixture
def mine(module_stack: Any, request: pytest.FixtureRequest) -> World:
    """A world of the test's own (the property run above changes keys and groups of the shared one)."""
    tenant = f"t-{abs(hash(request.node.nodeid)) % 10**8}"
    app_id, key = make_app(module_stack, tenant=tenant, name="test")
    group_hash = ingest(module_stack, key, report()).json()["group_hash"]
    admin = module_stack.auth(role="admin", owner=tenant)
    return World(app_id, key, group_hash, admin, admin)


BODY_ROUTES = sorted(key for key, route in all_routes().items() if route.method in ("POST", "PATCH"))
NESTED = {"arrays": "[" * 10_000 + "]" * 10_000, "objects": '{"a":' * 10_000 + "1" + "}" * 10_000}
INVALID_BODY = {"error": "invalid request body"}


def body_request(world: World, route_key: str, device: str = "device-x") -> tuple[str, str, dict[str, str]]:
    method, path, _ = request_for(all_routes()[route_key], group_hash=world.group_hash, app_id=world.app_id)
    if route_key in REPORT_KEY_ROUTES:
        return method, path, {"Authorization": f"Bearer {world.key}", "X-Device-ID": device}
    return method, path, world.admin


def checked(stack: Any, route_key: str, method: str, path: str, **request: Any) -> HttpResult:
    """Send, then hold the answer to the route's documented statuses and bodies."""
    answer = stack.http(method, path, **request)
    operation = operations()[route_key]
    check_answer(route_key, operation, answer.status, answer.header("content-type") or "", answer.body)
    return answer


@pytest.mark.parametrize("shape", list(NESTED))
@pytest.mark.parametrize("route", BODY_ROUTES)
def test_json_nested_10k_levels_deep_is_an_invalid_body(
    module_stack: Any, mine: World, route: str, shape: str
) -> None:
    method, path, headers = body_request(mine, route)
    answer = checked(module_stack, route, method, path, headers=headers, body=NESTED[shape])
    assert (answer.status, answer.json()) == (400, INVALID_BODY)


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_a_body_that_is_not_utf8_is_an_invalid_body(module_stack: Any, mine: World, route: str) -> None:
    method, path, headers = body_request(mine, route)
    for raw in (b"\xff\xfe\xfd", b'{"name": "\xe9t\xe9"}', b"\x00\x01\x02{}"):
        answer = checked(module_stack, route, method, path, headers=headers, body=raw)  # sent base64-encoded
        assert (answer.status, answer.json()) == (400, INVALID_BODY), raw


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_oversized_bodies_are_refused_with_a_4xx(module_stack: Any, mine: World, route: str) -> None:
    method, path, headers = body_request(mine, route)
    megabyte = "x" * (1024 * 1024)
    big = {**(BODIES.get(route) or {}), "name": megabyte, "note": megabyte, "app_id": megabyte}
    if isinstance(BODIES.get(route), list):
        big = [compliance(f"c{n}", "2026-05-21T10:00:00.000+0000") for n in range(101)]
    answer = checked(module_stack, route, method, path, headers=headers, body=big)
    assert (answer.status, answer.json()) == OVERSIZED_BODY_ANSWERS[
        route
    ]  # the first field each route checks


# What each route answers to the oversized body above: the report route refuses the size itself, the
# others the first field they check (regenerate looks its megabyte `app_id` up before anything else).
OVERSIZED_BODY_ANSWERS: dict[str, tuple[int, dict[str, str]]] = {
    "PATCH /apps/{app_id}": (400, {"error": "invalid name"}),
    "PATCH /reports/groups/{group_hash}": (400, {"error": "note too long"}),
    "POST /apps": (400, {"error": "invalid name"}),
    "POST /events": (400, {"error": "events: at most 100 events per request"}),
    "POST /report-keys/regenerate": (404, {"error": "app not found"}),
    "POST /reports/ingest": (413, {"error": "request body too large"}),
    "POST /reports/beacon": (413, {"error": "request body too large"}),
}


@pytest.mark.parametrize("route", [key for key in BODY_ROUTES if key not in REPORT_KEY_ROUTES])
def test_an_anonymous_hostile_body_is_401_not_400(module_stack: Any, mine: World, route: str) -> None:
    """Authentication comes first: an anonymous caller learns nothing about what a body should be."""
    method, path, _ = body_request(mine, route)
    for body in ["not json", NESTED["arrays"], b"\xff\xfe", '{"name": 42}']:
        answer = checked(module_stack, route, method, path, body=body)
        assert (answer.status, answer.json()) == (401, {"error": "missing authorization header"}), body


@pytest.mark.parametrize("route", sorted(key for key, r in jwt_routes().items() if r.method == "GET"))
def test_huge_query_strings_are_answered_not_crashed(module_stack: Any, mine: World, route: str) -> None:
    method, path, _ = request_for(all_routes()[route], group_hash=mine.group_hash, app_id=mine.app_id)
    many = [(f"p{n}", "v") for n in range(2000)]
    for query in (many, [("limit", "9" * 100_000), ("page", "%ff" * 1000), ("from", "2026-" * 10_000)]):
        checked(module_stack, route, method, path, headers=mine.admin, query=query)


def test_header_injection_in_the_device_id_is_harmless(module_stack: Any) -> None:
    _, key = make_app(module_stack, tenant="t9", name="test")
    devices = {
        "dev\r\nSet-Cookie: stolen=1": 202,
        "dev\nX-Injected: 1": 202,
        "\x00nul": 202,
        "é名\U0001f4a5": 202,
        "x" * 100_000: 202,
        "\r\n": 400,
        " \t ": 400,
    }
    for n, (device, expected) in enumerate(devices.items()):
        answer = checked(
            module_stack,
            "POST /reports/ingest",
            "POST",
            "/reports/ingest",
            headers={"Authorization": f"Bearer {key}", "X-Device-ID": device},
            body=report(reason=f"injected{n}"),
        )
        assert answer.status == expected, (device[:20], answer.text)
        names = {name.lower() for name in answer.headers}
        assert not names & {"set-cookie", "x-injected"}
        assert all("stolen" not in value and "\n" not in value for value in answer.headers.values())
    counters = module_stack.table("CountersTable").scan()["Items"]
    assert not any(
        device.strip() and device.strip() in item["counter"] for device in devices for item in counters
    )


TRAVERSALS = ["..", "%2e%2e", "..%2f..%2fapps", "%2E%2E%2F%2E%2E", "....//", "..\\..\\", "%00", "~root"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_path_traversal_in_a_group_hash_is_an_invalid_hash(
    module_stack: Any, mine: World, method: str
) -> None:
    for value in [*TRAVERSALS, f"{mine.group_hash}/../../apps", "../" * 3 + "apps"]:
        for path in (f"/reports/groups/{value}", f"/reports/groups/{value}/blobs"):
            if method != "GET" and path.endswith("/blobs"):
                continue
            answer = module_stack.http(method, quote(path, safe="/%"), headers=mine.admin, body={"note": "n"})
            if "/" in value:  # more segments than any route: no function runs, the gateway's own 404
                expected = (404, {"message": "Not Found"})
            else:  # one segment (encoded dots and slashes stay in it): the handler refuses the hash
                expected = (400, {"error": "invalid group hash"})
            assert (answer.status, answer.json()) == expected, path


def test_path_traversal_in_other_path_parameters_finds_nothing(module_stack: Any, mine: World) -> None:
    gateway_404 = (404, {"message": "Not Found"})  # more segments than any route: no function runs
    for raw in TRAVERSALS:
        value = quote(raw, safe="/%")  # as a client sends it
        app = module_stack.http("PATCH", f"/apps/{value}", headers=mine.admin, body={"reports": True})
        assert (app.status, app.json()) == (
            gateway_404 if "/" in raw else (404, {"error": "app not found"})
        ), raw
        for path in (f"/reports/{value}", f"/reports/{value}/run"):
            answer = module_stack.http("GET", path, headers=mine.admin)
            assert answer.status == 404, (path, answer.text)
            if "/" in raw:
                assert answer.json() == gateway_404[1], (path, answer.text)
            else:  # the report's function ran and found no such report
                assert "displayMessage" in answer.json(), (path, answer.text)
        asset = module_stack.http("GET", f"/ui/{value}")
        assert asset.status == 404, raw


def test_unicode_in_names_is_refused_where_the_syntax_is_ascii(module_stack: Any, mine: World) -> None:
    for name in ["désktop", "名前", "app\u202e", "app\u200b"]:
        created = module_stack.http("POST", "/apps", headers=mine.admin, body={"name": name, "reports": True})
        assert (created.status, created.json()) == (400, {"error": "invalid name"}), name
        posted = ingest(module_stack, mine.key, report(name=name), device="unicode")
        assert (posted.status, posted.json()) == (400, {"error": "invalid application.name"}), name
    tags = module_stack.http(
        "PATCH", f"/reports/groups/{mine.group_hash}", headers=mine.admin, body={"tags": ["ü"]}
    )
    assert (tags.status, tags.json()) == (400, {"error": "invalid tags"})


def test_unicode_notes_are_measured_in_bytes(module_stack: Any, mine: World) -> None:
    path = f"/reports/groups/{mine.group_hash}"
    fits = module_stack.http("PATCH", path, headers=mine.admin, body={"note": "é" * 1000})  # 2000 bytes
    assert fits.status == 200, fits.text
    assert module_stack.http("GET", path, headers=mine.admin).json()["note"] == "é" * 1000
    over = module_stack.http("PATCH", path, headers=mine.admin, body={"note": "é" * 1001})
    assert (over.status, over.json()) == (400, {"error": "note too long"})


def test_unicode_filters_find_nothing_and_break_nothing(module_stack: Any, mine: World) -> None:
    groups = checked(module_stack, "GET /reports/groups", "GET", "/reports/groups", headers=mine.admin,
                     query={"app": "名前", "reason": "\U0001f4a5"})  # fmt: skip
    assert groups.status in (200, 404)
    if groups.status == 200:
        assert groups.json()["items"] == []
    run = checked(module_stack, "GET /reports/{report_key}/run", "GET", "/reports/consumer_status/run",
                  headers=mine.admin, query={"owner": "名前"})  # fmt: skip
    assert (run.status, run.json()) == (200, [])


# ---------------------------------------------------------------------- lone UTF-16 surrogates
# `"\ud800"` is valid JSON text but decodes to a str with no UTF-8 form: no store can keep it.
SURROGATES = ["\ud800", "x\udfff", "\udbff\udbff"]


def with_surrogate(body: Any, text: str) -> Any:
    """The body with `text` in its first string value (or as an extra field: unknown fields count too)."""
    if isinstance(body, dict):
        for name, value in body.items():
            if isinstance(value, str):
                return {**body, name: text}
            if isinstance(value, dict):
                return {**body, name: with_surrogate(value, text)}
        return {**body, "extra": text}
    if isinstance(body, list):
        return [with_surrogate(body[0], text), *body[1:]] if body else [{"type": text}]
    return text


@pytest.mark.parametrize(
    "route", BODY_ROUTES + sorted(k for k, r in all_routes().items() if r.method == "PUT")
)
def test_a_lone_surrogate_in_a_body_is_an_invalid_body(module_stack: Any, mine: World, route: str) -> None:
    method, path, headers = body_request(mine, route)
    good = GOOD_BODIES.get(route, BODIES.get(route))
    for n, text in enumerate(SURROGATES):
        for body in (with_surrogate(good, text), {"unknown": text} if isinstance(good, dict) else [text]):
            raw = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape `\ud800`
            assert "\\ud" in raw
            answer = checked(module_stack, route, method, path, headers={**headers, "X-Device-ID": f"s{n}"},
                             body=raw)  # fmt: skip
            assert (answer.status, answer.json()) == (400, INVALID_BODY), (route, raw[:80])


@pytest.mark.parametrize("route", [key for key in BODY_ROUTES if key not in REPORT_KEY_ROUTES])
def test_an_anonymous_body_with_a_lone_surrogate_is_401(module_stack: Any, mine: World, route: str) -> None:
    method, path, _ = body_request(mine, route)
    answer = checked(module_stack, route, method, path, body='{"name": "\\ud800"}')
    assert (answer.status, answer.json()) == (401, {"error": "missing authorization header"})


def test_a_valid_surrogate_pair_is_still_text(module_stack: Any, mine: World) -> None:
    """Only lone surrogates are refused: an escaped pair is an ordinary character (here U+1F4A5)."""
    path = f"/reports/groups/{mine.group_hash}"
    answer = module_stack.http("PATCH", path, headers=mine.admin, body='{"note": "boom \\ud83d\\udca5"}')
    assert answer.status == 200, answer.text
    assert module_stack.http("GET", path, headers=mine.admin).json()["note"] == "boom \U0001f4a5"


def test_a_lone_surrogate_inside_a_json_string_entity_names_the_entity(
    module_stack: Any, mine: World
) -> None:
    event = compliance("c-sur", "2026-05-21T10:00:00.000+0000")
    event["entity"] = event["entity"].replace('"c-sur"', '"c-sur\\ud800"')  # escaped inside the string
    answer = checked(module_stack, "POST /events", "POST", "/events", headers=mine.admin, body=[event])
    assert answer.status == 400 and "invalid JSON" in answer.json()["error"], answer.text


def test_a_queued_event_with_a_lone_surrogate_is_refused_before_any_write(module_stack: Any) -> None:
    """The SQS path: the message is a batch item failure found while parsing (retried, then
    dead-lettered like every poison message, SPEC §8), and nothing of it is written."""
    good = compliance("c-good", "2026-05-21T10:00:00.000+0000")
    bad = compliance("c-bad", "2026-05-21T10:00:00.000+0000")
    outer = {**bad, "type": "CREATED\ud800"}
    inner = {**bad, "entity": bad["entity"].replace('"c-bad"', '"c-bad\\ud800"')}
    event = sqs_event([json.dumps(good), json.dumps(outer), json.dumps([good, inner])])
    for record in event["Records"]:
        record["messageAttributes"] = {"owner": {"stringValue": "t-sqs-sur", "dataType": "String"}}
    answer = module_stack.invoke("events", event)
    failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
    assert failed == {event["Records"][1]["messageId"], event["Records"][2]["messageId"]}
    table = module_stack.table("ComplianceTable")
    stored = table.scan(
        FilterExpression="begins_with(pk, :p)", ExpressionAttributeValues={":p": "S#t-sqs-sur#"}
    )
    assert {item["pk"] for item in stored["Items"]} == {"S#t-sqs-sur#c-good"}


SURROGATE_QUERIES = [
    ("GET /reports/groups", {}, {"app": "a\ud800", "reason": "\udfff"}),
    ("GET /reports/groups/{group_hash}/blobs", {"group_hash": "0" * 64}, {"app": "a\ud800"}),
    (
        "GET /reports/{report_key}/run",
        {"report_key": "consumer_status"},
        {"owner": "\ud800", "sku": "\ud800"},
    ),
    ("GET /reports/{report_key}/run", {"report_key": "status_trend"}, {"product_name": "\ud800"}),
    ("GET /reports/{report_key}/run", {"report_key": "group_trend"}, {"app": "\ud800"}),
]


@pytest.mark.parametrize(("route", "params", "query"), SURROGATE_QUERIES)
def test_lone_surrogates_in_query_values_are_answered_not_crashed(
    module_stack: Any, mine: World, route: str, params: dict[str, str], query: dict[str, str]
) -> None:
    """A gateway decodes `%ED%A0%80` to U+FFFD, but an event may still carry a lone surrogate: the
    filters match nothing (they are only compared, never stored) and nothing breaks."""
    path = (
        route.split(" ")[1]
        .replace("{group_hash}", "0" * 64)
        .replace("{report_key}", params.get("report_key", ""))
    )
    event = http_api_event("GET", path, route_key=route, path_parameters=params or None, headers=mine.admin)
    event["queryStringParameters"] = query
    answer = to_http_result(module_stack.invoke(all_routes()[route].function, event))
    check_answer(route, operations()[route], answer.status, answer.header("content-type") or "", answer.body)


# ---------------------------------------------------------------------- whole-value syntax checks
# A `^…$` check with re.match lets a trailing newline through (`$` matches before it): every syntax
# check matches the whole value.
NEWLINES = ["\n", "\r\n", "\n\n"]


@pytest.mark.parametrize(
    "field",
    ["name", "version", "channel", "platform", "arch", "type", "reason"],
)
def test_a_trailing_newline_fails_each_ingest_syntax_check(
    module_stack: Any, mine: World, field: str
) -> None:
    section = {"name": "application", "version": "application", "channel": "application",
               "platform": "system", "arch": "system", "type": "event", "reason": "event"}[field]  # fmt: skip
    for n, newline in enumerate(NEWLINES):
        body = report()
        body[section][field] = body[section][field] + newline
        answer = ingest(module_stack, mine.key, body, device=f"nl-{field}-{n}")
        assert (answer.status, answer.json()) == (400, {"error": f"invalid {section}.{field}"}), newline


def test_a_trailing_newline_fails_the_other_syntax_checks(module_stack: Any, mine: World) -> None:
    admin = mine.admin
    app = module_stack.http("POST", "/apps", headers=admin, body={"name": "newline\n", "reports": True})
    assert (app.status, app.json()) == (400, {"error": "invalid name"})
    path = f"/reports/groups/{mine.group_hash}"
    tags = module_stack.http("PATCH", path, headers=admin, body={"tags": ["ok\n"]})
    assert (tags.status, tags.json()) == (400, {"error": "invalid tags"})
    group = module_stack.http("GET", quote(f"{path}\n"), headers=admin)
    assert (group.status, group.json()) == (400, {"error": "invalid group hash"})
    for bound in ("from", "to"):
        listed = module_stack.http(
            "GET", "/reports/groups", headers=admin, query={bound: "2026-05-20T10:00:00Z\n"}
        )
        assert (listed.status, listed.json()) == (400, {"error": f"invalid {bound}"})
    regenerate = module_stack.http(
        "POST", "/report-keys/regenerate", headers=admin, body={"app_id": f"{mine.app_id}\n"}
    )
    assert regenerate.status == 404 and regenerate.json() == {"error": "app not found"}
    key = ingest(module_stack, mine.key + "\n", report(), device="nl-key")  # header values are trimmed
    assert key.status == 202


def test_a_trailing_newline_fails_the_alerts_cursor_check() -> None:
    import base64

    from fleetreport.alerts.log import decode_cursor
    from fleetreport.errors import BadRequest

    sk = "2026-05-20T10:00:00.000Z#" + "0" * 32
    encode = lambda text: base64.urlsafe_b64encode(json.dumps({"sk": text}).encode()).decode().rstrip("=")  # noqa: E731
    assert decode_cursor(encode(sk)) == sk
    with pytest.raises(BadRequest):
        decode_cursor(encode(sk + "\n"))


# ---------------------------------------------------------------------- repeated query parameters
REPEATED = [("limit", "1"), ("limit", "2"), ("app", "a"), ("app", "b")]
SINGLE_VALUED_ROUTES = ["GET /reports/groups", "GET /reports/groups/{group_hash}",
                        "GET /reports/groups/{group_hash}/blobs", "PATCH /reports/groups/{group_hash}",
                        "DELETE /reports/groups/{group_hash}"]  # fmt: skip


@pytest.mark.parametrize("route", SINGLE_VALUED_ROUTES)
def test_a_repeated_query_parameter_is_401_when_anonymous_and_invalid_query_otherwise(
    module_stack: Any, mine: World, route: str
) -> None:
    method, path, body = request_for(all_routes()[route], group_hash=mine.group_hash, app_id=mine.app_id)
    anonymous = checked(module_stack, route, method, path, query=REPEATED, body=body)
    assert (anonymous.status, anonymous.json()) == (401, {"error": "missing authorization header"})
    forged = checked(module_stack, route, method, path, query=REPEATED, body=body,
                     headers={"Authorization": "Bearer x.y.z"})  # fmt: skip
    assert (forged.status, forged.json()) == (401, {"error": "invalid token"})
    answer = checked(module_stack, route, method, path, headers=mine.admin, query=REPEATED, body=body)
    assert (answer.status, answer.json()) == (400, {"error": "invalid query"})
    once = module_stack.http(method, path, headers=mine.admin, query=[("app", "test")], body=body)
    assert once.status < 400 or once.json() != {"error": "invalid query"}


def test_report_runs_take_repeated_parameters_as_gutterball_does(module_stack: Any, mine: World) -> None:
    """Multi-valued report parameters may repeat; the run routes keep their own (Gutterball) errors."""
    query = [("consumer_uuid", "a"), ("consumer_uuid", "b"), ("page", "1"), ("page", "2")]
    anonymous = module_stack.http("GET", "/reports/consumer_status/run", query=query)
    assert (anonymous.status, anonymous.json()) == (401, {"error": "missing authorization header"})
    answer = module_stack.http("GET", "/reports/consumer_status/run", headers=mine.admin, query=query)
    assert answer.status in (200, 400) and "invalid query" not in answer.text


# ---------------------------------------------------------------------- response headers
UI_ROUTES = {"GET /", "GET /ui/{proxy+}"}


def assert_api_headers(answer: HttpResult, where: Any) -> None:
    assert answer.header("x-content-type-options") == "nosniff", where
    assert answer.header("cache-control") == "no-store", where


@pytest.mark.parametrize("route", sorted(set(all_routes()) - UI_ROUTES))
def test_every_api_answer_is_nosniff_and_no_store(module_stack: Any, mine: World, route: str) -> None:
    method, path, body = request_for(all_routes()[route], group_hash=mine.group_hash, app_id=mine.app_id)
    if route in REPORT_KEY_ROUTES:
        credentials = [{"Authorization": f"Bearer {mine.key}", "X-Device-ID": "hdr"}, {}]
    else:
        credentials = [mine.admin, {}, {"Authorization": "Bearer x.y.z"}]
    for headers in credentials:  # a success or a 4xx of the route, and the 401s
        for query in ([], [("limit", "0")]):
            answer = module_stack.http(method, path, headers=headers, body=body, query=query)
            assert_api_headers(answer, (route, answer.status, headers.keys(), query))


def test_csv_answers_are_nosniff_and_no_store(module_stack: Any, mine: World) -> None:
    answer = module_stack.http(
        "GET", "/reports/status_trend/run", headers=mine.admin, query={"format": "csv"}
    )
    assert answer.status == 200 and answer.header("content-type") == "text/csv"
    assert_api_headers(answer, "csv")


def test_the_dashboard_keeps_its_own_caching_but_never_sniffs(module_stack: Any) -> None:
    """Static files hold no data: the page revalidates, assets live 5 minutes; a 404 is not kept."""
    page, asset, missing = (module_stack.http("GET", path) for path in ("/", "/ui/app.js", "/ui/nope.js"))
    assert (page.header("cache-control"), asset.header("cache-control")) == (
        "no-cache",
        "public, max-age=300, must-revalidate",
    )
    assert missing.status == 404 and missing.header("cache-control") == "no-store"
    assert all(a.header("x-content-type-options") == "nosniff" for a in (page, asset, missing))


# ---------------------------------------------------------------------- events too large to store
def _with(event: dict[str, Any], change: Any) -> dict[str, Any]:
    entity = json.loads(event["entity"])
    change(entity)
    return {**event, "entity": entity}


# Megabytes that gzip to kilobytes: the compressed document fits, the consumer item would not.
OVERSIZED: dict[str, Any] = {
    "many facts": lambda e: e["consumer"].update(facts={f"f{i}": "a" * 1000 for i in range(1000)}),
    "one huge fact": lambda e: e["consumer"].update(facts={"dmi": "a" * 3_000_000}),
    "a huge name": lambda e: e["consumer"].update(name="n" * 500_000),
    "huge reasons": lambda e: e["status"].update(reasons=[{"key": "NOT", "message": "m" * 1000}] * 1000),
    "many installed products": lambda e: (
        e["consumer"].update(installedProducts=[{"productId": f"p{i}", "productName": "n" * 300 + str(i)}
                                                for i in range(2000)]),
        e["status"].update(compliantProducts={f"p{i}": [] for i in range(2000)}),
    ),
    "many entitlements": lambda e: e.update(
        entitlements=[{"productId": f"sku{i}" + "s" * 200, "productName": f"sub{i}" + "x" * 200}
                      for i in range(2000)]
    ),
}  # fmt: skip


def tenant_items(stack: Any, tenant: str) -> int:
    table = stack.table("ComplianceTable")
    items = table.scan(Select="ALL_ATTRIBUTES")["Items"]
    return sum(tenant in str(item.get("pk", "")) for item in items)


@pytest.mark.parametrize("case", list(OVERSIZED))
def test_an_event_too_large_to_store_is_refused_before_any_write(module_stack: Any, case: str) -> None:
    tenant = f"t-big-{abs(hash(case)) % 10**6}"
    admin = module_stack.auth(role="admin", owner=tenant)
    small = compliance("c-small", "2026-05-21T10:00:00.000+0000")
    big = _with(compliance("c-big", "2026-05-21T11:00:00.000+0000"), OVERSIZED[case])
    answer = checked(module_stack, "POST /events", "POST", "/events", headers=admin, body=[small, big])
    assert (answer.status, answer.json()) == (400, {"error": "events[1].entity: too large to store"})
    assert tenant_items(module_stack, tenant) == 0  # the whole request is refused, the small one too


def test_a_queued_event_too_large_to_store_is_a_poison_message_not_a_failed_write(
    module_stack: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Refused while parsing (nothing written), reported as a batch item failure: SQS retries it and
    dead-letters it (SPEC §8), and the rest of the batch is stored. The refusal is logged with its
    reason (not the body) and counted in the EventsRejected metric."""
    tenant = "t-big-sqs"
    big = _with(compliance("c-big", "2026-05-21T11:00:00.000+0000"), OVERSIZED["one huge fact"])
    event = sqs_event([json.dumps(compliance("c-ok", "2026-05-21T10:00:00.000+0000")), json.dumps(big)])
    for record in event["Records"]:
        record["messageAttributes"] = {"owner": {"stringValue": tenant, "dataType": "String"}}
    answer = module_stack.invoke("events", event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    consumer = module_stack.table("ComplianceTable").get_item(Key=keys.consumer_key(tenant, "c-big"))
    assert "Item" not in consumer
    output = capsys.readouterr().out  # the EMF metrics, and the log line unless pytest captured it
    logged = output + "".join(f"{r.getMessage()} {getattr(r, 'reason', '')}\n" for r in caplog.records)
    assert "compliance event refused" in logged and "too large to store" in logged
    assert '"EventsRejected"' in output and "a" * 1000 not in logged


def test_a_large_event_that_fits_is_stored(module_stack: Any) -> None:
    admin = module_stack.auth(role="admin", owner="t-big-fits")
    fits = _with(
        compliance("c-fits", "2026-05-21T11:00:00.000+0000"),
        lambda e: e["consumer"].update(facts={f"f{i}": "a" * 1000 for i in range(300)}),  # ~300 KB
    )
    answer = module_stack.http("POST", "/events", headers=admin, body=[fits])
    assert (answer.status, answer.json()["stored"]) == (200, 1), answer.text
