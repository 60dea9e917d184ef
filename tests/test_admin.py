"""Apps and report keys (SPEC §3.6) through the real admin handler, on moto tables from template.yaml."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from fleetreport.apps.keys import hash_report_key, lookup_report_key
from fleetreport.apps.models import ReportKey
from fleetreport.apps.store import find_apps_by_name, list_apps
from fleetreport_local import seed_apps
from fleetreport_local.seeding import SeedContext
from groups_support import ingest, report

KEY = re.compile(r"^rpk_[0-9a-f]{64}$")
UNKNOWN_APP = "00000000-0000-4000-8000-000000000000"
NO_PERMISSIONS: dict[str, Any] = {"apps": {}, "reports": {}}


def edit_only() -> dict[str, Any]:
    return {"apps": {"edit": True}}


def admin(stack: Any, owner: str = "t1") -> dict[str, str]:
    return stack.auth(role="admin", owner=owner)


def team(stack: Any, allowed: list[str], permissions: dict[str, Any] | None = None) -> dict[str, str]:
    return stack.auth(role="team", owner="t1", allowed_apps=allowed, permissions=permissions or edit_only())


def create(stack: Any, name: str = "desktop", reports: bool = True, owner: str = "t1") -> dict[str, Any]:
    answer = stack.http("POST", "/apps", headers=admin(stack, owner), body={"name": name, "reports": reports})
    assert answer.status == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def error(answer: Any) -> tuple[int, Any]:
    return answer.status, answer.json()


def key_items(stack: Any) -> list[dict[str, Any]]:
    return [item for item in stack.table("AppsTable").scan()["Items"] if item["pk"].startswith("KEY#")]


# ---------------------------------------------------------------------- POST /apps
def test_create_app_returns_the_plaintext_key_once(stack: Any) -> None:
    body = create(stack, "desktop-client")
    assert set(body) == {"id", "name", "reports", "report_key", "created_at"}
    assert (body["name"], body["reports"]) == ("desktop-client", True)
    assert KEY.match(body["report_key"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["created_at"])
    listed = stack.http("GET", "/apps", headers=admin(stack)).json()["items"]
    assert "report_key" not in listed[0] and "key_hash" not in listed[0]
    assert body["report_key"] not in stack.http("GET", "/report-keys/list", headers=admin(stack)).text


def test_only_the_hash_of_a_key_is_stored(stack: Any) -> None:
    plaintext = create(stack)["report_key"]
    items = stack.table("AppsTable").scan()["Items"]
    assert plaintext not in repr(items)
    assert [item["pk"] for item in key_items(stack)] == [f"KEY#{hash_report_key(plaintext)}"]


def test_app_without_reports_gets_no_key(stack: Any) -> None:
    body = create(stack, reports=False)
    assert "report_key" not in body and body["reports"] is False
    assert key_items(stack) == []


def test_reports_default_to_off(stack: Any) -> None:
    answer = stack.http("POST", "/apps", headers=admin(stack), body={"name": "quiet"})
    assert answer.status == 201 and answer.json()["reports"] is False


def test_duplicate_name_in_the_owner_is_409(stack: Any) -> None:
    create(stack, "desktop")
    answer = stack.http("POST", "/apps", headers=admin(stack), body={"name": "desktop", "reports": True})
    assert error(answer) == (409, {"error": "app already exists"})
    assert len(stack.http("GET", "/apps", headers=admin(stack)).json()["items"]) == 1
    assert len(key_items(stack)) == 1


def test_same_name_in_another_owner_is_fine(stack: Any) -> None:
    first, second = create(stack, "desktop", owner="t1"), create(stack, "desktop", owner="t2")
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "invalid request body"),
        ("not json", "invalid request body"),
        ("[1, 2]", "invalid request body"),
        ('"desktop"', "invalid request body"),
        ({}, "missing name"),
        ({"name": None, "reports": True}, "missing name"),
        ({"name": ""}, "missing name"),
        ({"name": "bad/name"}, "invalid name"),
        ({"name": "bad_name"}, "invalid name"),
        ({"name": "x" * 129}, "invalid name"),
        ({"name": 42}, "invalid name"),
        ({"name": "ok", "reports": "yes"}, "invalid reports"),
        ({"name": "ok", "reports": 1}, "invalid reports"),
    ],
)
def test_bad_create_body_is_400(stack: Any, body: Any, message: str) -> None:
    answer = stack.http("POST", "/apps", headers=admin(stack), body=body)
    assert error(answer) == (400, {"error": message})


def test_longest_valid_name_is_accepted(stack: Any) -> None:
    assert create(stack, "Desk top-" + "x" * 119)["name"].endswith("x")


@pytest.mark.parametrize("role", ["team", "ingest"])
def test_only_admins_create_apps(stack: Any, role: str) -> None:
    answer = stack.http("POST", "/apps", headers=stack.auth(role=role, owner="t1"), body={"name": "x"})
    assert error(answer) == (403, {"error": "Permission denied"})


# ---------------------------------------------------------------------- GET /apps
def test_list_apps_shows_the_owner_s_apps_only(stack: Any) -> None:
    mine = [create(stack, "alpha")["id"], create(stack, "beta", reports=False)["id"]]
    create(stack, "gamma", owner="t2")
    items = stack.http("GET", "/apps", headers=admin(stack)).json()["items"]
    assert [item["id"] for item in items] == mine
    assert set(items[0]) == {"id", "name", "reports", "key_prefix", "created_at", "updated_at"}
    assert "key_prefix" not in items[1]
    assert stack.http("GET", "/apps", headers=admin(stack, "t3")).json() == {"items": []}


def test_team_user_lists_only_allowed_apps(stack: Any) -> None:
    alpha, beta = create(stack, "alpha")["id"], create(stack, "beta")["id"]
    items = stack.http("GET", "/apps", headers=team(stack, [beta])).json()["items"]
    assert [item["id"] for item in items] == [beta]
    assert stack.http("GET", "/apps", headers=team(stack, [])).json() == {"items": []}
    both = stack.http("GET", "/apps", headers=team(stack, [beta, alpha])).json()["items"]
    assert [item["id"] for item in both] == [alpha, beta]


# ---------------------------------------------------------------------- PATCH /apps/{app_id}
def test_disabling_reports_revokes_the_key(stack: Any) -> None:
    """faynoSync's TestReportIngestDisablingReportsRevokesKey: turning reports off deletes the key, so
    the old key is unknown at once (401 "invalid report key"), and stays so when reports come back."""
    app = create(stack, "desktop")
    answer = stack.http("PATCH", f"/apps/{app['id']}", headers=admin(stack), body={"reports": False})
    assert answer.status == 200
    assert answer.json()["reports"] is False and "report_key" not in answer.json()
    assert "key_prefix" not in answer.json()
    assert lookup_report_key(app["report_key"]) is None
    assert stack.table("AppsTable").scan(FilterExpression="begins_with(pk, :k)",
                                         ExpressionAttributeValues={":k": "KEY#"})["Items"] == []  # fmt: skip
    listed = stack.http("GET", "/apps", headers=admin(stack)).json()["items"]
    assert "key_prefix" not in listed[0]
    assert stack.http("GET", "/report-keys/list", headers=admin(stack)).json() == {"report_keys": []}
    refused = ingest(stack, app["report_key"], report(name="desktop"))
    assert (refused.status, refused.json()) == (401, {"error": "invalid report key"})
    again = stack.http("PATCH", f"/apps/{app['id']}", headers=admin(stack), body={"reports": True}).json()
    assert again["report_key"] != app["report_key"]
    assert ingest(stack, app["report_key"], report(name="desktop")).status == 401
    assert ingest(stack, again["report_key"], report(name="desktop")).status == 202


def test_enabling_reports_issues_a_new_key_shown_once(stack: Any) -> None:
    app = create(stack, reports=False)
    answer = stack.http("PATCH", f"/apps/{app['id']}", headers=admin(stack), body={"reports": True})
    assert answer.status == 200
    key = answer.json()["report_key"]
    assert KEY.match(key) and answer.json()["key_prefix"] == key[:12]
    found = lookup_report_key(key)
    assert found == ReportKey(
        tenant="t1",
        app_id=app["id"],
        app_name="desktop",
        reports_enabled=True,
        key_id=found.key_id if found else "",
    )
    again = stack.http("PATCH", f"/apps/{app['id']}", headers=admin(stack), body={"reports": True})
    assert again.status == 200 and "report_key" not in again.json()
    assert lookup_report_key(key) is not None


def test_re_enabling_reports_never_brings_the_old_key_back(stack: Any) -> None:
    app = create(stack)
    for reports in (False, True):
        stack.http("PATCH", f"/apps/{app['id']}", headers=admin(stack), body={"reports": reports})
    assert lookup_report_key(app["report_key"]) is None
    assert len(key_items(stack)) == 1  # only the new key


def test_rename_moves_the_name_guard_and_the_key_s_app_name(stack: Any) -> None:
    app = create(stack, "old-name")
    answer = stack.http("PATCH", f"/apps/{app['id']}", headers=admin(stack), body={"name": "new-name"})
    assert answer.status == 200 and answer.json()["name"] == "new-name"
    assert lookup_report_key(app["report_key"]).app_name == "new-name"
    assert find_apps_by_name("t1", "new-name") == [app["id"]]
    assert find_apps_by_name("t1", "old-name") == []
    create(stack, "old-name")  # the old name is free again


def test_rename_to_a_taken_name_is_409_and_changes_nothing(stack: Any) -> None:
    first, _ = create(stack, "first"), create(stack, "second")
    answer = stack.http("PATCH", f"/apps/{first['id']}", headers=admin(stack), body={"name": "second"})
    assert error(answer) == (409, {"error": "app already exists"})
    assert find_apps_by_name("t1", "first") == [first["id"]]
    assert lookup_report_key(first["report_key"]).app_name == "first"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "invalid request body"),
        ("{", "invalid request body"),
        ([], "invalid request body"),
        ({}, "no fields to update"),
        ({"reports": "off"}, "invalid reports"),
        ({"name": "no/slash"}, "invalid name"),
    ],
)
def test_bad_patch_body_is_400(stack: Any, body: Any, message: str) -> None:
    app = create(stack)
    answer = stack.http("PATCH", f"/apps/{app['id']}", headers=admin(stack), body=body)
    assert error(answer) == (400, {"error": message})


@pytest.mark.parametrize("app_id", [UNKNOWN_APP, "not-a-uuid", "x" * 2000])
def test_patch_unknown_app_is_404(stack: Any, app_id: str) -> None:
    answer = stack.http("PATCH", f"/apps/{app_id}", headers=admin(stack), body={"reports": False})
    assert error(answer) == (404, {"error": "app not found"})


# ---------------------------------------------------------------------- report keys
def test_report_key_list_shows_prefixes_of_enabled_apps(stack: Any) -> None:
    app = create(stack, "desktop")
    create(stack, "quiet", reports=False)
    create(stack, "foreign", owner="t2")
    rows = stack.http("GET", "/report-keys/list", headers=admin(stack)).json()["report_keys"]
    assert len(rows) == 1
    assert set(rows[0]) == {"id", "app_id", "app_name", "key_prefix", "updated_at"}
    assert (rows[0]["app_id"], rows[0]["app_name"]) == (app["id"], "desktop")
    assert rows[0]["key_prefix"] == app["report_key"][:12] and rows[0]["key_prefix"].startswith("rpk_")


def test_regenerate_replaces_the_key_at_once(stack: Any) -> None:
    app = create(stack)
    answer = stack.http("POST", "/report-keys/regenerate", headers=admin(stack), body={"app_id": app["id"]})
    assert answer.status == 200
    body = answer.json()
    assert set(body) == {"app_id", "key_value"} and body["app_id"] == app["id"]
    assert KEY.match(body["key_value"]) and body["key_value"] != app["report_key"]
    assert lookup_report_key(app["report_key"]) is None
    assert lookup_report_key(body["key_value"]).app_id == app["id"]
    assert len(key_items(stack)) == 1
    row = stack.http("GET", "/report-keys/list", headers=admin(stack)).json()["report_keys"][0]
    assert row["key_prefix"] == body["key_value"][:12]


def test_regenerate_for_app_with_reports_off_is_400(stack: Any) -> None:
    app = create(stack, reports=False)
    answer = stack.http("POST", "/report-keys/regenerate", headers=admin(stack), body={"app_id": app["id"]})
    assert error(answer) == (400, {"error": "reports are disabled for this app"})


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (None, 400, "invalid request body"),
        ({}, 400, "missing app_id"),
        ({"app_id": 7}, 400, "invalid app_id"),
        ({"app_id": UNKNOWN_APP}, 404, "app not found"),
        ({"app_id": "nope"}, 404, "app not found"),
    ],
)
def test_bad_regenerate_request(stack: Any, body: Any, status: int, message: str) -> None:
    answer = stack.http("POST", "/report-keys/regenerate", headers=admin(stack), body=body)
    assert error(answer) == (status, {"error": message})


def test_lookup_report_key_rejects_malformed_and_unknown_keys(stack: Any) -> None:
    create(stack)
    for candidate in ("", "rpk_", "rpk_" + "A" * 64, "rpk_" + "0" * 64, "Bearer rpk_" + "0" * 64):
        assert lookup_report_key(candidate) is None


def test_find_apps_by_name_and_list_apps_are_owner_scoped(stack: Any) -> None:
    app = create(stack, "desktop", owner="t1")
    create(stack, "desktop", owner="t2")
    assert find_apps_by_name("t1", "desktop") == [app["id"]]
    assert find_apps_by_name("t1", "Desktop") == []
    assert [a.app_id for a in list_apps("t1")] == [app["id"]]
    assert list_apps("nobody") == []


# ---------------------------------------------------------------------- tenancy matrix
def _requests(app_id: str) -> dict[str, tuple[str, str, Any]]:
    return {
        "list apps": ("GET", "/apps", None),
        "patch app": ("PATCH", f"/apps/{app_id}", {"reports": True}),
        "list keys": ("GET", "/report-keys/list", None),
        "regenerate": ("POST", "/report-keys/regenerate", {"app_id": app_id}),
    }


# who -> expected status of (list apps, patch app, list keys, regenerate); lists answer 200, maybe empty.
MATRIX: dict[str, tuple[int, int, int, int]] = {
    "admin of the owner": (200, 200, 200, 200),
    "admin of another owner": (200, 404, 200, 404),
    "team, allowed, apps.edit": (200, 200, 200, 200),
    "team, not allowed, apps.edit": (200, 404, 200, 404),
    "team, allowed, download+delete only": (403, 403, 403, 403),
    "team, allowed, no permissions": (403, 403, 403, 403),
    "ingest": (403, 403, 403, 403),
    "no token": (401, 401, 401, 401),
}


def _headers(stack: Any, who: str, app_id: str) -> dict[str, str]:
    return {
        "admin of the owner": lambda: admin(stack),
        "admin of another owner": lambda: admin(stack, "t2"),
        "team, allowed, apps.edit": lambda: team(stack, [app_id]),
        "team, not allowed, apps.edit": lambda: team(stack, [UNKNOWN_APP]),
        "team, allowed, download+delete only": lambda: team(
            stack, [app_id], {"apps": {"download": True, "delete": True}, "reports": {"read": True}}
        ),
        "team, allowed, no permissions": lambda: team(stack, [app_id], NO_PERMISSIONS),
        "ingest": lambda: stack.auth(role="ingest", owner="t1"),
        "no token": lambda: {},
    }[who]()


@pytest.mark.parametrize("who", list(MATRIX))
def test_tenancy_matrix(stack: Any, who: str) -> None:
    app = create(stack, "desktop")
    headers = _headers(stack, who, app["id"])
    for expected, (name, (method, path, body)) in zip(MATRIX[who], _requests(app["id"]).items(), strict=True):
        answer = stack.http(method, path, headers=headers, body=body)
        assert answer.status == expected, (name, answer.text)
        if answer.status == 200 and name.startswith("list"):
            rows = next(iter(answer.json().values()))
            sees = who in ("admin of the owner", "team, allowed, apps.edit")
            assert [row.get("app_id", row.get("id")) for row in rows] == ([app["id"]] if sees else [])
        if answer.status == 403:
            assert answer.json() == {"error": "Permission denied"}
        if answer.status == 404:
            assert answer.json() == {"error": "app not found"}


# ---------------------------------------------------------------------- local seeding
def test_seed_creates_the_demo_apps_with_working_keys(stack: Any) -> None:
    ctx = SeedContext(
        api="http://127.0.0.1:3000",
        aws_endpoint=None,  # type: ignore[arg-type]  # moto intercepts the default endpoint
        tenant="demo",
        admin_token="token",
        template=stack.template,
        session=boto3.Session(),
    )
    seed_apps._issued.clear()
    lines = "\n".join(seed_apps.seed(ctx))
    keys = re.findall(r"rpk_[0-9a-f]{64}", lines)
    assert {lookup_report_key(k).app_name for k in set(keys)} == {"desktop-client", "mobile-client"}
    app_id, key = seed_apps.create_app(ctx, "desktop-client")
    assert key in keys and find_apps_by_name("demo", "desktop-client") == [app_id]
    seed_apps._issued.clear()  # a new process cannot show old keys: it re-keys the existing app
    same_id, new_key = seed_apps.create_app(ctx, "desktop-client")
    assert same_id == app_id and new_key != key and lookup_report_key(key) is None
