"""Who is asking, and what they may do: faynoSync's CheckPermission plus owner/app scoping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from fleetreport.errors import PermissionDenied
from fleetreport.jsontext import is_utf8_text

Role = Literal["admin", "team", "ingest"]
Area = Literal["apps", "reports"]
Action = Literal["download", "edit", "delete", "read"]


@dataclass(frozen=True)
class Permissions:
    apps_download: bool = False
    apps_edit: bool = False
    apps_delete: bool = False
    reports_read: bool = False

    def allows(self, area: Area, action: Action) -> bool:
        return bool(getattr(self, f"{area}_{action}", False))


@dataclass(frozen=True)
class Principal:
    sub: str
    owner: str
    role: Role
    permissions: Permissions = field(default_factory=Permissions)
    allowed_apps: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, area: Area, action: Action) -> bool:
        """Admins may do everything within their owner; team users what their permissions say."""
        if self.role == "admin":
            return True
        if self.role == "team":
            return self.permissions.allows(area, action)
        return False

    def require(self, area: Area, action: Action) -> None:
        if not self.can(area, action):
            raise PermissionDenied()

    def may_ingest_events(self) -> bool:
        return self.role in ("admin", "ingest")

    def sees_app(self, app_id: str) -> bool:
        """Apps are already owner-scoped by storage; team users are further limited to allowed_apps."""
        return self.role == "admin" or app_id in self.allowed_apps

    def visible_apps(self, app_ids: Iterable[str]) -> list[str]:
        return [app_id for app_id in app_ids if self.sees_app(app_id)]


# Tenants become key prefixes (`T#{owner}`, `{owner}#{owner_key}`): a `#` would let one tenant's keys
# alias another's, and DynamoDB key size is bounded, so both are rejected at the door.
MAX_OWNER_LENGTH = 128
MAX_SUB_LENGTH = 256
MAX_ALLOWED_APPS = 1000
ROLES: frozenset[str] = frozenset({"admin", "team", "ingest"})
PERMISSION_FLAGS: dict[str, tuple[str, ...]] = {"apps": ("download", "edit", "delete"), "reports": ("read",)}


class InvalidClaims(ValueError):
    """The verified token's claims do not describe a principal (authentication turns this into a 401)."""


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Build the principal from verified JWT claims; any missing or mistyped claim is an InvalidClaims."""
    role = claims.get("role")
    if not isinstance(role, str) or role not in ROLES:  # a list or object is unhashable: check the type first
        raise InvalidClaims("role")
    return Principal(
        sub=_bounded_string(claims.get("sub"), MAX_SUB_LENGTH, "sub"),
        owner=_owner(claims.get("owner")),
        role=cast(Role, role),
        permissions=_permissions(claims.get("permissions")),
        allowed_apps=_allowed_apps(claims.get("allowed_apps")),
    )


def _bounded_string(value: Any, limit: int, name: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidClaims(name)
    if any(ord(c) < 32 or ord(c) == 127 for c in value) or not is_utf8_text(value):
        raise InvalidClaims(name)
    return value


def _owner(value: Any) -> str:
    owner = _bounded_string(value, MAX_OWNER_LENGTH, "owner")
    if "#" in owner:
        raise InvalidClaims("owner")
    return owner


def _permissions(value: Any) -> Permissions:
    """`{"apps": {"download", "edit", "delete"}, "reports": {"read"}}`; missing keys are false."""
    if value is None:
        return Permissions()
    if not isinstance(value, dict):
        raise InvalidClaims("permissions")
    flags: dict[str, bool] = {}
    for area, actions in PERMISSION_FLAGS.items():
        granted = value.get(area, {})
        if granted is None:
            granted = {}
        if not isinstance(granted, dict):
            raise InvalidClaims("permissions")
        for action in actions:
            flag = granted.get(action, False)
            if not isinstance(flag, bool):
                raise InvalidClaims("permissions")
            flags[f"{area}_{action}"] = flag
    return Permissions(**flags)


def _allowed_apps(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or len(value) > MAX_ALLOWED_APPS:
        raise InvalidClaims("allowed_apps")
    if not all(_is_app_id(app_id) for app_id in value):
        raise InvalidClaims("allowed_apps")
    return frozenset(value)


def _is_app_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 128 and is_utf8_text(value)
