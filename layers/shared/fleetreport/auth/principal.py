"""Who is asking, and what they may do: faynoSync's CheckPermission plus owner/app scoping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from fleetreport.errors import PermissionDenied

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
