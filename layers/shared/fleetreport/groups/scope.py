"""Which apps a principal may see (SPEC §2): admins every app of their owner, team users only their
allowed apps that really belong to their owner. Another owner's apps are never in scope."""

from __future__ import annotations

from fleetreport.apps.store import find_apps_by_name, list_apps
from fleetreport.auth.principal import Principal

WHOLE_OWNER = None  # "every app of the owner": served by the owner index without listing apps


def apps_in_scope(principal: Principal, app_name: str | None = None) -> list[str] | None:
    """App ids the request may read, narrowed to the app called `app_name` when given.

    Returns WHOLE_OWNER (None) for an admin without an app filter, so the caller can read the
    owner's index partition directly; otherwise a (possibly empty) list of app ids.
    """
    if principal.is_admin and app_name is None:
        return WHOLE_OWNER
    if not principal.is_admin and not principal.allowed_apps:
        return []
    if app_name is not None:
        candidates = find_apps_by_name(principal.owner, app_name)
    else:
        candidates = [app.app_id for app in list_apps(principal.owner)]
    return [app_id for app_id in candidates if principal.sees_app(app_id)]


def app_ids_in_scope(principal: Principal, app_name: str | None = None) -> list[str]:
    """Like apps_in_scope, but always an explicit list (point reads need the candidate keys)."""
    scope = apps_in_scope(principal, app_name)
    if scope is WHOLE_OWNER:
        return [app.app_id for app in list_apps(principal.owner)]
    return scope
