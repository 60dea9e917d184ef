"""The rules of the admin routes (SPEC §3.6): who may do what to which app, and what comes back.

Admins manage every app of their owner. Team users need `apps.edit` and see only their
`allowed_apps`; they cannot create apps (a new app could never be in the allowed list their token
carries). The `ingest` role has no business here. Apps outside the requester's scope are 404s, so
their existence never leaks.
"""

from __future__ import annotations

from typing import Any

from fleetreport.apps.models import APP_ID, App, parse_app_change, parse_new_app, parse_regenerate
from fleetreport.apps.store import AppStore, default_store
from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest, NotFound, PermissionDenied


def create_app(principal: Principal, body: Any, store: AppStore | None = None) -> dict[str, Any]:
    """`POST /apps` → the new app, with its plaintext key (the only time it is shown) if reports are on."""
    if not principal.is_admin:
        raise PermissionDenied()
    new = parse_new_app(body)
    app, key = (store or default_store()).create(principal.owner, new)
    answer: dict[str, Any] = {"id": app.app_id, "name": app.name, "reports": app.reports}
    if key is not None:
        answer["report_key"] = key.plaintext
    answer["created_at"] = app.created_at
    return answer


def list_apps(principal: Principal, store: AppStore | None = None) -> dict[str, Any]:
    """`GET /apps` → `{"items": [app, ...]}` within the requester's scope."""
    principal.require("apps", "edit")
    apps = (store or default_store()).all_apps(principal.owner)
    return {"items": [app.to_json() for app in apps if principal.sees_app(app.app_id)]}


def update_app(principal: Principal, app_id: str, body: Any, store: AppStore | None = None) -> dict[str, Any]:
    """`PATCH /apps/{app_id}` → the app; `report_key` only when this change issued a new key."""
    principal.require("apps", "edit")
    change = parse_app_change(body)
    store = store or default_store()
    app = visible_app(principal, app_id, store)
    updated, key = store.update(principal.owner, app, change)
    answer = updated.to_json()
    if key is not None:
        answer["report_key"] = key.plaintext
    return answer


def list_report_keys(principal: Principal, store: AppStore | None = None) -> dict[str, Any]:
    """`GET /report-keys/list` → one row per app with reports on (prefix only, never the key)."""
    principal.require("apps", "edit")
    apps = (store or default_store()).all_apps(principal.owner)
    working = [app for app in apps if app.reports and app.key_id and principal.sees_app(app.app_id)]
    return {"report_keys": [app.key_json() for app in working]}


def regenerate_report_key(principal: Principal, body: Any, store: AppStore | None = None) -> dict[str, Any]:
    """`POST /report-keys/regenerate` → the new plaintext key; the old one stops working at once."""
    principal.require("apps", "edit")
    app_id = parse_regenerate(body)
    store = store or default_store()
    app = visible_app(principal, app_id, store)
    if not app.reports:
        raise BadRequest("reports are disabled for this app")
    _, key = store.regenerate(principal.owner, app)
    return {"app_id": app.app_id, "key_value": key.plaintext}


def visible_app(principal: Principal, app_id: str, store: AppStore) -> App:
    """The app if it is the requester's to see, else 404 (unknown, foreign and not-allowed look alike)."""
    if not isinstance(app_id, str) or not APP_ID.fullmatch(app_id) or not principal.sees_app(app_id):
        raise NotFound("app not found")
    app = store.get(principal.owner, app_id)
    if app is None:
        raise NotFound("app not found")
    return app
