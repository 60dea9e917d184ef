"""The rules of the admin routes (SPEC §3.6): who may do what to which app, and what comes back.

Admins manage every app of their owner. Team users need `apps.edit` and see only their
`allowed_apps`; they cannot create apps (a new app could never be in the allowed list their token
carries). The `ingest` role has no business here. Apps outside the requester's scope are 404s, so
their existence never leaks. The answers' shapes are `fleetreport.apps.answers` (the admin function
builds them): alerts import this module and must not pay for building those pydantic classes.
"""

from __future__ import annotations

from typing import Any

from fleetreport.apps.models import APP_ID, App, parse_app_change, parse_new_app, parse_regenerate
from fleetreport.apps.store import AppStore, default_store
from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest, NotFound, PermissionDenied


def create_app(principal: Principal, body: Any, store: AppStore | None = None) -> tuple[App, str | None]:
    """`POST /apps` → the new app, and its plaintext key (the only time it is shown) if reports are on."""
    if not principal.is_admin:
        raise PermissionDenied()
    new = parse_new_app(body)
    app, key = (store or default_store()).create(principal.owner, new)
    return app, None if key is None else key.plaintext


def list_apps(principal: Principal, store: AppStore | None = None) -> list[App]:
    """`GET /apps` → the apps within the requester's scope."""
    principal.require("apps", "edit")
    apps = (store or default_store()).all_apps(principal.owner)
    return [app for app in apps if principal.sees_app(app.app_id)]


def update_app(
    principal: Principal, app_id: str, body: Any, store: AppStore | None = None
) -> tuple[App, str | None]:
    """`PATCH /apps/{app_id}` → the app, and the plaintext key only when this change issued a new one."""
    principal.require("apps", "edit")
    change = parse_app_change(body)
    store = store or default_store()
    app = visible_app(principal, app_id, store)
    updated, key = store.update(principal.owner, app, change)
    return updated, None if key is None else key.plaintext


def list_report_keys(principal: Principal, store: AppStore | None = None) -> list[App]:
    """`GET /report-keys/list` → one row per app with reports on (prefix only, never the key)."""
    principal.require("apps", "edit")
    apps = (store or default_store()).all_apps(principal.owner)
    return [app for app in apps if app.reports and app.key_id and principal.sees_app(app.app_id)]


def regenerate_report_key(principal: Principal, body: Any, store: AppStore | None = None) -> tuple[App, str]:
    """`POST /report-keys/regenerate` → the app and its new plaintext key; the old key stops working."""
    principal.require("apps", "edit")
    app_id = parse_regenerate(body)
    store = store or default_store()
    app = visible_app(principal, app_id, store)
    if not app.reports:
        raise BadRequest("reports are disabled for this app")
    _, key = store.regenerate(principal.owner, app)
    return app, key.plaintext


def visible_app(principal: Principal, app_id: str, store: AppStore) -> App:
    """The app if it is the requester's to see, else 404 (unknown, foreign and not-allowed look alike)."""
    if not isinstance(app_id, str) or not APP_ID.fullmatch(app_id) or not principal.sees_app(app_id):
        raise NotFound("app not found")
    app = store.get(principal.owner, app_id)
    if app is None:
        raise NotFound("app not found")
    return app
