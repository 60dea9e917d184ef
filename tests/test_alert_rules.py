"""Per-app alert rules (SPEC §10): GET/PUT /apps/{app_id}/alerts through the real admin handler."""

from __future__ import annotations

import re
from typing import Any

import pytest

SECRET = re.compile(r"^whsec_[0-9a-f]{64}$")
UNKNOWN_APP = "00000000-0000-4000-8000-000000000000"
RULES = {
    "signals": ["group.new", "group.spike"],
    "types": ["crash"],
    "webhook_url": "https://hooks.example.com/T000/B000/xyz",
    "min_interval_minutes": 30,
}


DEFAULT_HEALTH = {"release_health": {"threshold": 99.0, "min_devices": 250}}  # SPEC §12 defaults


def admin(stack: Any, owner: str = "t1") -> dict[str, str]:
    return stack.auth(role="admin", owner=owner)


def create(stack: Any, name: str = "desktop", owner: str = "t1") -> str:
    answer = stack.http("POST", "/apps", headers=admin(stack, owner), body={"name": name, "reports": True})
    assert answer.status == 201, answer.text
    return str(answer.json()["id"])


def put(stack: Any, headers: dict[str, str], app_id: str, body: Any) -> Any:
    return stack.http("PUT", f"/apps/{app_id}/alerts", headers=headers, body=body)


def get(stack: Any, headers: dict[str, str], app_id: str) -> Any:
    return stack.http("GET", f"/apps/{app_id}/alerts", headers=headers)


def test_first_put_answers_the_rules_and_the_secret_once(stack: Any) -> None:
    app_id = create(stack)
    first = put(stack, admin(stack), app_id, RULES)
    assert first.status == 200, first.text
    body = first.json()
    assert SECRET.match(body.pop("webhook_secret"))
    assert body == {"app_id": app_id, **RULES, **DEFAULT_HEALTH, "configured": True}
    again = put(stack, admin(stack), app_id, {**RULES, "min_interval_minutes": 5}).json()
    assert "webhook_secret" not in again and again["min_interval_minutes"] == 5
    shown = get(stack, admin(stack), app_id)
    assert shown.status == 200 and "webhook_secret" not in shown.json() and "whsec_" not in shown.text
    assert shown.json() == {
        "app_id": app_id,
        **RULES,
        **DEFAULT_HEALTH,
        "min_interval_minutes": 5,
        "configured": True,
    }


def test_rotate_secret_issues_a_new_one(stack: Any) -> None:
    app_id = create(stack)
    first = put(stack, admin(stack), app_id, RULES).json()["webhook_secret"]
    rotated = put(stack, admin(stack), app_id, {**RULES, "rotate_secret": True}).json()["webhook_secret"]
    assert SECRET.match(rotated) and rotated != first


def test_get_before_any_put_shows_the_defaults(stack: Any) -> None:
    app_id = create(stack)
    body = get(stack, admin(stack), app_id).json()
    assert body == {
        "app_id": app_id,
        "signals": [
            "group.new",
            "group.regressed",
            "group.spike",
            "group.unmuted",
            "release.unhealthy",
            "release.recovered",
        ],
        "types": [],
        "webhook_url": None,
        "min_interval_minutes": 60,
        "release_health": {"threshold": 99.0, "min_devices": 250},
        "configured": False,
    }


def test_rules_without_a_webhook_are_fine(stack: Any) -> None:
    app_id = create(stack)
    body = put(stack, admin(stack), app_id, {"signals": ["group.regressed"]}).json()
    assert (body["webhook_url"], body["signals"], body["min_interval_minutes"]) == (
        None,
        ["group.regressed"],
        60,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook_url": "http://hooks.example.com/x"}, "invalid webhook_url"),
        ({"webhook_url": "http://127.0.0.1:9000/hook"}, "invalid webhook_url"),
        ({"webhook_url": "ftp://example.com/x"}, "invalid webhook_url"),
        ({"webhook_url": "https://"}, "invalid webhook_url"),
        ({"webhook_url": "https://user:pw@example.com/x"}, "invalid webhook_url"),
        ({"webhook_url": "https://exa mple.com/x"}, "invalid webhook_url"),
        ({"webhook_url": "https://example.com:99999/x"}, "invalid webhook_url"),
        ({"webhook_url": 5}, "invalid webhook_url"),
        ({"webhook_url": "https://example.com/" + "a" * 2100}, "invalid webhook_url"),
        (
            {"signals": ["group.exploded"]},
            "invalid signals: a non-empty list of group.new, group.regressed, group.spike, group.unmuted, "
            "release.unhealthy, release.recovered",
        ),
        (
            {"signals": []},
            "invalid signals: a non-empty list of group.new, group.regressed, group.spike, group.unmuted, "
            "release.unhealthy, release.recovered",
        ),
        (
            {"signals": "group.new"},
            "invalid signals: a non-empty list of group.new, group.regressed, group.spike, group.unmuted, "
            "release.unhealthy, release.recovered",
        ),
        (
            {"types": ["meltdown"]},
            "invalid types: a list of "
            "crash, install_failure, rollback_failure, startup_failure, update_failure",
        ),
        ({"min_interval_minutes": -1}, "invalid min_interval_minutes: a whole number from 0 to 10080"),
        ({"min_interval_minutes": 10081}, "invalid min_interval_minutes: a whole number from 0 to 10080"),
        ({"min_interval_minutes": "60"}, "invalid min_interval_minutes: a whole number from 0 to 10080"),
        ({"min_interval_minutes": True}, "invalid min_interval_minutes: a whole number from 0 to 10080"),
        ({"rotate_secret": "yes"}, "invalid rotate_secret"),
    ],
)
def test_bad_rules_are_400_with_clear_messages(stack: Any, change: dict[str, Any], message: str) -> None:
    app_id = create(stack)
    answer = put(stack, admin(stack), app_id, {**RULES, **change})
    assert (answer.status, answer.json()) == (400, {"error": message})
    assert get(stack, admin(stack), app_id).json()["configured"] is False


def test_a_body_that_is_not_an_object_is_400(stack: Any) -> None:
    app_id = create(stack)
    for body in ["[1]", "nope", ""]:
        answer = stack.http("PUT", f"/apps/{app_id}/alerts", headers=admin(stack), body=body)
        assert (answer.status, answer.json()) == (400, {"error": "invalid request body"})


def test_http_to_loopback_only_when_the_stack_allows_it(stack: Any, settings_env: Any) -> None:
    app_id = create(stack)
    settings_env(ALERTS_ALLOW_HTTP_LOOPBACK="true")
    assert put(stack, admin(stack), app_id, {"webhook_url": "http://127.0.0.1:9000/hook"}).status == 200
    answer = put(stack, admin(stack), app_id, {"webhook_url": "http://10.0.0.1/hook"})
    assert (answer.status, answer.json()) == (400, {"error": "invalid webhook_url"})


def test_team_users_see_and_edit_rules_only_of_allowed_apps_with_apps_edit(stack: Any) -> None:
    allowed, other = create(stack, "allowed"), create(stack, "other")
    editor = stack.auth(role="team", owner="t1", allowed_apps=[allowed], permissions={"apps": {"edit": True}})
    reader = stack.auth(
        role="team", owner="t1", allowed_apps=[allowed], permissions={"apps": {"download": True}}
    )
    assert put(stack, editor, allowed, RULES).status == 200
    assert get(stack, editor, allowed).status == 200
    for call in (lambda: put(stack, editor, other, RULES), lambda: get(stack, editor, other)):
        answer = call()
        assert (answer.status, answer.json()) == (404, {"error": "app not found"})
    for call in (lambda: put(stack, reader, allowed, RULES), lambda: get(stack, reader, allowed)):
        answer = call()
        assert (answer.status, answer.json()) == (403, {"error": "Permission denied"})


def test_another_owners_app_and_unknown_apps_are_404(stack: Any) -> None:
    foreign = create(stack, "theirs", owner="t2")
    for app_id in (foreign, UNKNOWN_APP, "not-an-id"):
        for answer in (put(stack, admin(stack), app_id, RULES), get(stack, admin(stack), app_id)):
            assert (answer.status, answer.json()) == (404, {"error": "app not found"})


def test_rules_need_a_jwt(stack: Any) -> None:
    app_id = create(stack)
    assert put(stack, {}, app_id, RULES).status == 401
    assert get(stack, {}, app_id).status == 401
    assert stack.http("GET", "/alerts").status == 401


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"signal": "group.boom"},
            "invalid signal: one of group.new, group.regressed, group.spike, group.unmuted, "
            "release.unhealthy, release.recovered",
        ),
        ({"limit": "0"}, "invalid limit: a whole number from 1 to 200"),
        ({"limit": "201"}, "invalid limit: a whole number from 1 to 200"),
        ({"cursor": "garbage!"}, "invalid cursor"),
    ],
)
def test_bad_alert_list_queries_are_400(stack: Any, query: dict[str, str], message: str) -> None:
    answer = stack.http("GET", "/alerts", headers=admin(stack), query=query)
    assert (answer.status, answer.json()) == (400, {"error": message})


def test_no_alerts_yet_is_an_empty_page(stack: Any) -> None:
    create(stack)
    answer = stack.http("GET", "/alerts", headers=admin(stack))
    assert (answer.status, answer.json()) == (200, {"items": []})
