"""Report keys: `rpk_` + 64 lowercase hex, shown once; only their SHA-256 is stored (SPEC §2).

Ingest authenticates a key with one GetItem on its hash, so no comparison of secrets happens in
our code and no plaintext ever reaches a table or a log line.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from fleetreport.apps.models import ReportKey
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

KEY_PATTERN = re.compile(r"^rpk_[0-9a-f]{64}$")
KEY_PREFIX_LENGTH = len("rpk_") + 8  # `rpk_1a2b3c4d`: enough to tell keys apart, useless to an attacker
KEY_SORT = "KEY"


@dataclass(frozen=True)
class IssuedKey:
    """A freshly generated key: the plaintext goes to the caller once, the rest to storage."""

    plaintext: str = ""
    key_id: str = ""
    key_hash: str = ""
    prefix: str = ""


def issue_report_key() -> IssuedKey:
    plaintext = "rpk_" + secrets.token_hex(32)
    return IssuedKey(
        plaintext=plaintext,
        key_id=str(uuid.uuid4()),
        key_hash=hash_report_key(plaintext),
        prefix=plaintext[:KEY_PREFIX_LENGTH],
    )


def hash_report_key(plaintext: str) -> str:
    """Lowercase hex SHA-256 of the plaintext key (keys are 256 random bits: no salt or KDF needed)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def key_item_pk(key_hash: str) -> str:
    return f"KEY#{key_hash}"


def lookup_report_key(plaintext: str) -> ReportKey | None:
    """The app a report key belongs to, with one strongly consistent GetItem; None when unknown.

    Strongly consistent so that a revoked or regenerated key stops working at once.
    """
    if not isinstance(plaintext, str) or not KEY_PATTERN.fullmatch(plaintext):
        return None
    answer = table(get_settings().apps_table).get_item(
        Key={"pk": key_item_pk(hash_report_key(plaintext)), "sk": KEY_SORT}, ConsistentRead=True
    )
    item: dict[str, Any] | None = answer.get("Item")
    if item is None:
        return None
    return ReportKey(
        tenant=item["tenant"],
        app_id=item["app_id"],
        app_name=item["app_name"],
        reports_enabled=bool(item.get("reports", True)),
        key_id=item.get("key_id", ""),
    )
