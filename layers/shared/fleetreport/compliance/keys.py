"""Key layout of ComplianceTable (docs/data-model.md): one place builds every key."""

from __future__ import annotations

import zlib

TENANTS_PK = "TENANTS"
CONSUMER_PREFIX = "C#"
OWNER_KEY_INDEX = "ByOwnerKey"
# Sort keys of snapshots are `{status_date}#{event_id}`; every key of one instant sorts below
# `{status_date}$` ('$' follows '#'), which makes "dated at or before T" an exact key condition.
AFTER_INSTANT = "$"


# A tenant's consumer items are spread over CONSUMER_SHARDS partition keys by a hash of the uuid (SPEC §9,
# W2): 100,000 consumers changing status in 5 minutes write ~333 consumer items a second, more than one
# partition key may take (300 WCU); spread, each key takes a sixteenth. Listing a tenant's consumers
# merges the shards' Queries in sort-key order (`consumer_partitions`). Fixed: items are found by it.
CONSUMER_SHARDS = 16


def tenant_pk(tenant: str) -> str:
    """The tenant's own prefix; every ComplianceTable key of the tenant's consumers starts with it."""
    return f"T#{tenant}"


def consumer_shard_of(uuid: str) -> int:
    return zlib.crc32(uuid.encode("utf-8")) % CONSUMER_SHARDS


def consumer_pk(tenant: str, uuid: str) -> str:
    """`T#{tenant}#C@{n}`: tenants never contain `#`, so no tenant's key aliases another's."""
    return f"{tenant_pk(tenant)}#C@{consumer_shard_of(uuid)}"


def consumer_key(tenant: str, uuid: str) -> dict[str, str]:
    return {"pk": consumer_pk(tenant, uuid), "sk": consumer_sk(uuid)}


def consumer_partitions(tenant: str) -> list[str]:
    """Every partition key holding the tenant's consumer items."""
    return [f"{tenant_pk(tenant)}#C@{shard}" for shard in range(CONSUMER_SHARDS)]


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


# The change log of a tenant-day is spread over LOG_SHARDS partitions by a hash of the consumer's uuid,
# so every change of one consumer lands in one shard: a rollup can take a day a shard at a time (a
# bounded slice, SPEC §9) and a burst of changes spreads its writes. Fixed: days already logged are
# read with the same count. Shard 0 keeps the unsharded name (days logged before sharding sit there).
LOG_SHARDS = 16


def change_log_pk(tenant: str, day: str, shard: int = 0) -> str:
    """`day` is the UTC day `yyyy-mm-dd` of the change's instant; `shard` from `log_shard_of`."""
    base = f"L#{tenant}#{day}"
    return base if shard == 0 else f"{base}@{shard}"


def log_shard_of(uuid: str) -> int:
    """The change-log shard of a consumer (stable across processes, unlike `hash`)."""
    return zlib.crc32(uuid.encode("utf-8")) % LOG_SHARDS


def change_log_sk(instant: str, uuid: str, kind: str) -> str:
    return f"{instant}#{uuid}#{kind}"
