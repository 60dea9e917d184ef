"""Key layout of RollupsTable (docs/data-model.md, RollupsTable): one place builds every key."""

from __future__ import annotations

RUN_PK = "RUN"


def status_pk(tenant: str, owner_key: str | None = None) -> str:
    """`ST#{tenant}` counts every consumer; `ST#{tenant}#{owner_key}` one Candlepin owner.

    Tenants never contain `#` (rejected at the door), so the two forms cannot collide whatever the
    owner key is (an owner key may even be `*`).
    """
    return f"ST#{tenant}" if owner_key is None else f"ST#{tenant}#{owner_key}"


def group_pk(app_id: str) -> str:
    return f"GT#{app_id}"


def group_sk(day: str, part: int = 0) -> str:
    """A day's group counts: `{day}`, then `{day}#{n}` for overflow parts (they sort right after it)."""
    return day if part == 0 else f"{day}#{part}"


def day_of_group_sk(sort_key: str) -> str:
    return sort_key[:10]


def after_day(day: str) -> str:
    """An exclusive upper bound above every sort key of `day` (`#` parts included)."""
    return day + "~"
