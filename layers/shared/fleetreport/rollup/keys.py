"""Key layout of RollupsTable (docs/data-model.md, RollupsTable): one place builds every key."""

from __future__ import annotations

RUN_PK = "RUN"


def status_pk(tenant: str, owner_key: str | None = None) -> str:
    """`ST#{tenant}` counts every consumer; `ST#{tenant}#{owner_key}` one Candlepin owner.

    Tenants never contain `#` (rejected at the door), so the two forms cannot collide whatever the
    owner key is (an owner key may even be `*`).
    """
    return f"ST#{tenant}" if owner_key is None else f"ST#{tenant}#{owner_key}"


def slice_pk(tenant: str, day: str) -> str:
    """`SL#{tenant}#{day}`: the parts of a status day saved by a rollup that stopped mid-day (one item
    per change-log shard, `sk` = the shard as two digits; rollup/slices.py)."""
    return f"SL#{tenant}#{day}"


def group_pk(app_id: str) -> str:
    return f"GT#{app_id}"


def group_month_sk(day: str) -> str:
    """The month item holding the app's days of that month: `M#{yyyy-mm}`."""
    return f"M#{day[:7]}"


def group_part_sk(day: str, part: int) -> str:
    """A part of a day too big to sit in its month item: `D#{yyyy-mm-dd}#{n}`."""
    return f"D#{day}#{part}"


def group_parts_prefix(day: str) -> str:
    return f"D#{day}#"


MONTH_PREFIX = "M#"


def day_attribute(day: str) -> str:
    """The month item's attribute holding the day's rows inline: `d{dd}`."""
    return f"d{day[8:10]}"


def parts_attribute(day: str) -> str:
    """The month item's attribute saying the day is in `n` part items: `p{dd}`."""
    return f"p{day[8:10]}"
