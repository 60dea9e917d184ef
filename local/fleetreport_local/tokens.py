"""Mint development JWTs signed with the local stack's HS256 secret."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import jwt

# The local stack and `fleetreport token` share this secret unless FLEETREPORT_DEV_SECRET overrides it.
DEV_SECRET = "fleetreport-local-development-secret-0123456789"  # noqa: S105 - local only, documented

ALL_PERMISSIONS = {"apps": {"download": True, "edit": True, "delete": True}, "reports": {"read": True}}


def dev_secret() -> str:
    return os.environ.get("FLEETREPORT_DEV_SECRET", DEV_SECRET)


def mint_token(
    *,
    role: str = "admin",
    owner: str = "demo",
    sub: str | None = None,
    permissions: dict[str, Any] | None = None,
    allowed_apps: list[str] | None = None,
    ttl: int = 3600,
    secret: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub or f"{role}-{uuid.uuid4().hex[:8]}",
        "owner": owner,
        "role": role,
        "iat": now,
        "exp": now + ttl,
    }
    if role == "team":
        claims["permissions"] = permissions if permissions is not None else ALL_PERMISSIONS
        claims["allowed_apps"] = list(allowed_apps or [])
    elif permissions is not None:
        claims["permissions"] = permissions
    claims.update(extra or {})
    return jwt.encode(claims, secret or dev_secret(), algorithm="HS256")
