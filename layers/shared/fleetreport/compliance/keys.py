"""Key layout of ComplianceTable (docs/data-model.md): one place builds every key."""

from __future__ import annotations

TENANTS_PK = "TENANTS"
CONSUMER_PREFIX = "C#"
OWNER_KEY_INDEX = "ByOwnerKey"
# Sort keys of snapshots are `{status_date}#{event_id}`; every key of one instant sorts below
# `{status_date}$` ('$' follows '#'), which makes "dated at or before T" an exact key condition.
AFTER_INSTANT = "$"


def consumer_pk(tenant: str) -> str:
    return f"T#{tenant}"


def consumer_sk(uuid: str) -> str:
    return f"{CONSUMER_PREFIX}{uuid}"


def owner_scope(tenant: str, owner_key: str) -> str:
    return f"{tenant}#{owner_key}"


def snapshot_pk(tenant: str, uuid: str) -> str:
    return f"S#{tenant}#{uuid}"


def snapshot_sk(status_date: str, event_id: str) -> str:
    return f"{status_date}#{event_id}"


def at_or_before(instant: str) -> str:
    """Upper bound (exclusive) of snapshot sort keys dated at or before `instant`."""
    return instant + AFTER_INSTANT


def change_log_pk(tenant: str, day: str) -> str:
    """`day` is the UTC day `yyyy-mm-dd` of the change's instant."""
    return f"L#{tenant}#{day}"


def change_log_sk(instant: str, uuid: str, kind: str) -> str:
    return f"{instant}#{uuid}#{kind}"
