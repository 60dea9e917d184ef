"""Tenancy (SPEC §2, §8): every route of template.yaml, called by admin/team/ingest principals of
their own or a foreign owner, with the app allowed or not, and with each permission flag on or off.

The world (one per principal, on one module-wide stack; owners are named per world): owner t1 has
apps `alpha` (a group with a detail blob, a report key) and `beta`, and a consumer `c-t1`; owner t2
has its own `alpha` (another group) and a consumer `c-t2`. Each principal calls every route; what it
sees of t1's `alpha` is compared with what the spec allows:

- `denied`: 403 `{"error": "Permission denied"}` (missing permission, or the wrong role);
- `sees`: the success status, with t1's `alpha` data in it (or changed by it);
- `hidden`: the item routes 404, the list routes answer 200 without it (and without any t1 app the
  caller may not see), and nothing of t1's is changed;
- `own`: owner-scoped routes (compliance reports, events, app creation) act on the caller's owner only.

`EXPECTED` names every route of the template; a test fails when a route is missing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key
from compliance_support import compliance
from fleetreport.apps.keys import lookup_report_key
from fleetreport_local.tokens import ALL_PERMISSIONS
from groups_support import group_item, gzip_details, ingest, make_app, report
from routes_support import REPORT_KEY_ROUTES, all_routes

NOW = "2026-05-20T10:00:00.000+0000"
DENIED = {"error": "Permission denied"}


# ---------------------------------------------------------------------- principals
@dataclass(frozen=True)
class Who:
    role: str
    owner: str = "t1"
    allowed: tuple[str, ...] = ()  # symbolic: "alpha", "beta" (t1's apps)
    permissions: dict[str, dict[str, bool]] = field(default_factory=lambda: ALL_PERMISSIONS)

    def may(self, need: str) -> bool:
        """What the spec grants: admins everything within their owner, team users their flags."""
        if need == "admin":
            return self.role == "admin"
        if need == "events":
            return self.role in ("admin", "ingest")
        area, action = need.split(".")
        return self.role == "admin" or (
            self.role == "team" and self.permissions.get(area, {}).get(action, False)
        )

    def sees_alpha(self) -> bool:
        return self.owner == "t1" and (self.role == "admin" or "alpha" in self.allowed)


def without(area: str, action: str) -> dict[str, dict[str, bool]]:
    return {
        a: {k: v and (a, k) != (area, action) for k, v in flags.items()}
        for a, flags in ALL_PERMISSIONS.items()
    }


def only(area: str, action: str) -> dict[str, dict[str, bool]]:
    return {area: {action: True}}


ALPHA = ("alpha",)
FLAGS = [("apps", "download"), ("apps", "edit"), ("apps", "delete"), ("reports", "read")]
PRINCIPALS: dict[str, Who] = {
    "admin, own owner": Who("admin"),
    "admin, foreign owner": Who("admin", owner="t2"),
    "team, app allowed": Who("team", allowed=("alpha",)),
    "team, other app allowed": Who("team", allowed=("beta",)),
    "team, nothing allowed": Who("team"),
    "team, foreign owner naming the app": Who("team", owner="t2", allowed=("alpha",)),
    **{f"team, app allowed, without {a}.{b}": Who("team", allowed=ALPHA, permissions=without(a, b))
       for a, b in FLAGS},
    **{f"team, app allowed, only {a}.{b}": Who("team", allowed=ALPHA, permissions=only(a, b))
       for a, b in FLAGS},
    "ingest, own owner": Who("ingest"),
}  # fmt: skip


# ---------------------------------------------------------------------- the world
@dataclass
class World:
    stack: Any
    prefix: str  # makes this world's owners its own on a shared stack
    apps: dict[str, str]  # "alpha", "beta", "t2 alpha" -> app id
    keys: dict[str, str]
    group_hash: str

    def tenant(self, owner: str) -> str:
        return f"{self.prefix}-{owner}"

    def t1_apps_visible_to(self, who: Who) -> set[str]:
        if who.owner != "t1":
            return set()
        names = ("alpha", "beta") if who.role == "admin" else who.allowed
        return {self.apps[name] for name in names}

    def alpha_group(self) -> dict[str, Any] | None:
        return group_item(self.stack, self.apps["alpha"], self.group_hash)

    def headers(self, who: Who) -> dict[str, str]:
        allowed = [self.apps[name] for name in who.allowed]
        if who.role == "team":
            return self.stack.auth(
                role="team", owner=self.tenant(who.owner), allowed_apps=allowed, permissions=who.permissions
            )
        return self.stack.auth(role=who.role, owner=self.tenant(who.owner))

    def consumers(self, owner: str) -> list[str]:
        table = self.stack.table("ComplianceTable")
        answer = table.query(
            KeyConditionExpression=Key("pk").eq(f"T#{self.tenant(owner)}") & Key("sk").begins_with("C#")
        )
        return sorted(item["uuid"] for item in answer["Items"])

    def app_names(self, owner: str) -> list[str]:
        table = self.stack.table("AppsTable")
        answer = table.query(
            KeyConditionExpression=Key("pk").eq(f"T#{self.tenant(owner)}") & Key("sk").begins_with("APP#")
        )
        return sorted(item["name"] for item in answer["Items"])


def build_world(stack: Any, prefix: str) -> World:
    apps, keys = {}, {}
    for label, tenant, name in [
        ("alpha", "t1", "alpha"),
        ("beta", "t1", "beta"),
        ("t2 alpha", "t2", "alpha"),
    ]:
        apps[label], keys[label] = make_app(stack, tenant=f"{prefix}-{tenant}", name=name)
    group_hash = ingest(stack, keys["alpha"], report(name="alpha", details=gzip_details())).json()[
        "group_hash"
    ]
    assert ingest(stack, keys["t2 alpha"], report(name="alpha", version="9.9")).status == 202
    for owner in ("t1", "t2"):
        posted = stack.http(
            "POST",
            "/events",
            headers=stack.auth(owner=f"{prefix}-{owner}"),
            body=compliance(f"c-{owner}", NOW),
        )
        assert posted.status == 200, posted.text
    return World(stack, prefix, apps, keys, group_hash)


# ---------------------------------------------------------------------- probes: what a call did
Probe = Callable[[World, Who, dict[str, str]], tuple[int, str]]


def _call(world: World, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    return world.stack.http(method, path, headers=headers, body=body)


def _denied(answer: Any) -> tuple[int, str] | None:
    if answer.status == 403:
        assert answer.json() == DENIED
        return 403, "denied"
    return None


def _listing(w: World, who: Who, answer: Any, rows: Callable[[Any], list[str]]) -> tuple[int, str]:
    """`sees` when t1's alpha is listed, else `hidden`; never a t1 app the caller may not see."""
    if answer.status != 200:
        return answer.status, answer.text
    found = set(rows(answer.json()))
    t1_apps = {w.apps["alpha"], w.apps["beta"]}
    assert found & t1_apps <= w.t1_apps_visible_to(who), found
    return 200, "sees" if w.apps["alpha"] in found else "hidden"


def list_groups(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", "/reports/groups", h)
    return _denied(answer) or _listing(w, who, answer, lambda b: [g["app_id"] for g in b["items"]])


def get_group(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", f"/reports/groups/{w.group_hash}", h)
    if answer.status == 200:
        assert answer.json()["app_id"] == w.apps["alpha"]
        return 200, "sees"
    if answer.status == 404:
        assert answer.json() == {"error": "report group not found"}
        return 404, "hidden"
    return _denied(answer) or (answer.status, answer.text)


def list_blobs(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", f"/reports/groups/{w.group_hash}/blobs", h)
    return _denied(answer) or _listing(w, who, answer, lambda b: [blob["app_id"] for blob in b["items"]])


def patch_group(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "PATCH", f"/reports/groups/{w.group_hash}", h, {"note": "triaged"})
    changed = (w.alpha_group() or {}).get("note") == "triaged"
    if answer.status == 200 and changed:
        return 200, "sees"
    if answer.status == 404 and not changed:
        return 404, "hidden"
    return _denied(answer) or (answer.status, f"changed={changed}")


def delete_group(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "DELETE", f"/reports/groups/{w.group_hash}", h)
    gone = w.alpha_group() is None
    if answer.status == 200 and gone:
        return 200, "sees"
    if answer.status == 404 and not gone:
        return 404, "hidden"
    return _denied(answer) or (answer.status, f"gone={gone}")


def catalogue(path: str) -> Probe:
    def probe(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
        answer = _call(w, "GET", path, h)
        return _denied(answer) or (answer.status, "ok" if answer.status == 200 else answer.text)

    return probe


def run_report(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", "/reports/consumer_status/run", h)
    if answer.status != 200:
        return _denied(answer) or (answer.status, answer.text)
    uuids = sorted(row["consumer"]["uuid"] for row in answer.json())
    return 200, "own" if uuids == [f"c-{who.owner}"] else f"saw {uuids}"


def post_events(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "POST", "/events", h, compliance("c-posted", NOW))
    stored = {owner: "c-posted" in w.consumers(owner) for owner in ("t1", "t2")}
    if answer.status == 200:
        return 200, "own" if stored == {o: o == who.owner for o in stored} else f"stored {stored}"
    return _denied(answer) or (answer.status, answer.text)


def create_app(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "POST", "/apps", h, {"name": "created", "reports": False})
    made = {owner: "created" in w.app_names(owner) for owner in ("t1", "t2")}
    if answer.status == 201:
        return 201, "own" if made == {o: o == who.owner for o in made} else f"made {made}"
    return _denied(answer) or (answer.status, answer.text)


def list_apps(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", "/apps", h)
    return _denied(answer) or _listing(w, who, answer, lambda b: [a["id"] for a in b["items"]])


def patch_app(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "PATCH", f"/apps/{w.apps['alpha']}", h, {"name": "renamed"})
    renamed = "renamed" in w.app_names("t1")
    if answer.status == 200 and renamed:
        _call(w, "PATCH", f"/apps/{w.apps['alpha']}", h, {"name": "alpha"})
        return 200, "sees"
    if answer.status == 404 and not renamed:
        assert answer.json() == {"error": "app not found"}
        return 404, "hidden"
    return _denied(answer) or (answer.status, f"renamed={renamed}")


def list_keys(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", "/report-keys/list", h)
    return _denied(answer) or _listing(w, who, answer, lambda b: [k["app_id"] for k in b["report_keys"]])


def regenerate_key(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "POST", "/report-keys/regenerate", h, {"app_id": w.apps["alpha"]})
    revoked = lookup_report_key(w.keys["alpha"]) is None
    if answer.status == 200 and revoked:
        assert lookup_report_key(answer.json()["key_value"]) is not None
        return 200, "sees"
    if answer.status == 404 and not revoked:
        return 404, "hidden"
    return _denied(answer) or (answer.status, f"revoked={revoked}")


def get_alert_rules(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", f"/apps/{w.apps['alpha']}/alerts", h)
    if answer.status == 200:
        return 200, "sees" if answer.json()["app_id"] == w.apps["alpha"] else answer.text
    if answer.status == 404:
        assert answer.json() == {"error": "app not found"}
        return 404, "hidden"
    return _denied(answer) or (answer.status, answer.text)


def put_alert_rules(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "PUT", f"/apps/{w.apps['alpha']}/alerts", h, {"signals": ["group.new"]})
    if answer.status == 200:
        return 200, "sees" if answer.json()["signals"] == ["group.new"] else answer.text
    if answer.status == 404:
        assert answer.json() == {"error": "app not found"}
        return 404, "hidden"
    return _denied(answer) or (answer.status, answer.text)


def list_alerts(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
    answer = _call(w, "GET", "/alerts", h)
    return _denied(answer) or _listing(w, who, answer, lambda b: [a["app"]["id"] for a in b["items"]])


def release_read(suffix: str) -> Probe:
    """A release read of t1's alpha: 200 with the app's answer when in scope, else 404 like every read."""

    def probe(w: World, who: Who, h: dict[str, str]) -> tuple[int, str]:
        answer = _call(w, "GET", f"/apps/{w.apps['alpha']}/releases{suffix}", h)
        if answer.status == 200:
            return 200, "sees"
        if answer.status == 404:
            assert answer.json() in ({"error": "app not found"}, {"error": "release not found"})
            return 404, "hidden" if answer.json() == {"error": "app not found"} else answer.text
        return _denied(answer) or (answer.status, answer.text)

    return probe


# ---------------------------------------------------------------------- the expectation table
@dataclass(frozen=True)
class Rule:
    """What a route needs, what it is scoped by, and its answers: `ok` on success, `hidden` out of scope."""

    need: str  # "apps.download" ... "reports.read", "admin", "events", "report key", "public"
    scope: str  # "app" (t1's alpha), "owner" (the caller's owner), "none" (the same for everyone)
    ok: int
    hidden: int = 404
    probe: Probe | None = None

    def expected(self, who: Who) -> tuple[int, str]:
        if not who.may(self.need):
            return 403, "denied"
        if self.scope == "owner":
            return self.ok, "own"
        if self.scope == "none":
            return self.ok, "ok"
        return (self.ok, "sees") if who.sees_alpha() else (self.hidden, "hidden")


# In the order the matrix calls them (writes that remove things last).
EXPECTED: dict[str, Rule] = {
    "GET /reports/groups": Rule("apps.download", "app", 200, hidden=200, probe=list_groups),
    "GET /reports/groups/{group_hash}": Rule("apps.download", "app", 200, probe=get_group),
    "GET /reports/groups/{group_hash}/blobs": Rule("apps.download", "app", 200, hidden=200, probe=list_blobs),
    "PATCH /reports/groups/{group_hash}": Rule("apps.edit", "app", 200, probe=patch_group),
    "GET /reports": Rule("reports.read", "none", 200, probe=catalogue("/reports")),
    "GET /reports/{report_key}": Rule(
        "reports.read", "none", 200, probe=catalogue("/reports/consumer_status")
    ),
    "GET /reports/{report_key}/run": Rule("reports.read", "owner", 200, probe=run_report),
    "POST /events": Rule("events", "owner", 200, probe=post_events),
    "POST /apps": Rule("admin", "owner", 201, probe=create_app),
    "GET /apps": Rule("apps.edit", "app", 200, hidden=200, probe=list_apps),
    "PATCH /apps/{app_id}": Rule("apps.edit", "app", 200, probe=patch_app),
    "GET /report-keys/list": Rule("apps.edit", "app", 200, hidden=200, probe=list_keys),
    "POST /report-keys/regenerate": Rule("apps.edit", "app", 200, probe=regenerate_key),
    "GET /apps/{app_id}/alerts": Rule("apps.edit", "app", 200, probe=get_alert_rules),
    "PUT /apps/{app_id}/alerts": Rule("apps.edit", "app", 200, probe=put_alert_rules),
    "GET /alerts": Rule("apps.download", "app", 200, hidden=200, probe=list_alerts),
    "GET /apps/{app_id}/releases": Rule("apps.download", "app", 200, probe=release_read("")),
    "GET /apps/{app_id}/releases/{version}": Rule("apps.download", "app", 200, probe=release_read("/1.4.2")),
    "GET /apps/{app_id}/releases/{version}/gate": Rule(
        "apps.download", "app", 200, probe=release_read("/1.4.2/gate")
    ),
    "DELETE /reports/groups/{group_hash}": Rule("apps.delete", "app", 200, probe=delete_group),
    "POST /reports/ingest": Rule("report key", "app", 202),
    "POST /reports/beacon": Rule("report key", "app", 204),
    "GET /": Rule("public", "none", 200),
    "GET /ui/{proxy+}": Rule("public", "none", 200),
}


def test_every_route_of_the_template_has_an_expectation() -> None:
    assert set(EXPECTED) == set(all_routes())
    jwt_rules = {key for key, rule in EXPECTED.items() if rule.need not in ("public", "report key")}
    assert all(EXPECTED[key].probe is not None for key in jwt_rules)
    assert {key for key, rule in EXPECTED.items() if rule.need == "report key"} == REPORT_KEY_ROUTES


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_tenancy_matrix(module_stack: Any, who: str) -> None:
    world = build_world(module_stack, prefix=f"w{list(PRINCIPALS).index(who)}")
    principal = PRINCIPALS[who]
    headers = world.headers(principal)
    wrong = {}
    for route, rule in EXPECTED.items():
        if rule.probe is None:
            continue
        observed, wanted = rule.probe(world, principal, headers), rule.expected(principal)
        if observed != wanted:
            wrong[route] = f"expected {wanted}, got {observed}"
    assert wrong == {}


def test_report_keys_only_reach_their_own_app(module_stack: Any) -> None:
    stack = module_stack
    world = build_world(stack, prefix="keys")
    before = (world.alpha_group() or {})["count"]
    # The key of another app of the same owner, naming alpha: refused.
    refused = ingest(stack, world.keys["beta"], report(name="alpha"), device="d-beta")
    assert (refused.status, refused.json()) == (
        403,
        {"error": "report key does not belong to this application"},
    )
    # Another owner's `alpha` key counts into that owner's app, never into t1's `alpha`.
    counted = ingest(stack, world.keys["t2 alpha"], report(name="alpha"), device="d-t2")
    assert counted.status == 202 and counted.json()["group_hash"] == world.group_hash
    assert (world.alpha_group() or {})["count"] == before
    assert (group_item(stack, world.apps["t2 alpha"], world.group_hash) or {})["count"] == 1
    own = ingest(stack, world.keys["alpha"], report(name="alpha"), device="d-alpha")
    assert own.status == EXPECTED["POST /reports/ingest"].ok
    assert (world.alpha_group() or {})["count"] == before + 1


def test_public_routes_answer_without_a_token(module_stack: Any) -> None:
    stack = module_stack
    anyone: list[dict[str, str]] = [{}, stack.auth(role="ingest", owner="t2")]
    for route, path in [("GET /", "/"), ("GET /ui/{proxy+}", "/ui/app.js")]:
        for headers in anyone:
            answer = stack.http("GET", path, headers=headers)
            assert answer.status == EXPECTED[route].ok, (route, answer.status)
