"""Typed settings, parsed once from the environment; a bad value fails loudly with the setting's name."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message is one line naming the setting."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    reports_enabled: bool = Field(True, alias="REPORTS_ENABLED")
    reports_max_body_bytes: int = Field(262144, alias="REPORTS_MAX_BODY_BYTES", ge=1)
    reports_max_details_compressed_bytes: int = Field(
        131072, alias="REPORTS_MAX_DETAILS_COMPRESSED_BYTES", ge=1
    )
    reports_max_details_decompressed_bytes: int = Field(
        1048576, alias="REPORTS_MAX_DETAILS_DECOMPRESSED_BYTES", ge=1
    )
    reports_blob_retention_days: int = Field(30, alias="REPORTS_BLOB_RETENTION_DAYS", ge=1)
    reports_max_blobs_per_group: int = Field(10, alias="REPORTS_MAX_BLOBS_PER_GROUP", ge=1)
    # Days a group is kept after its last report (DynamoDB TTL on `expires_at`); 0 keeps it forever.
    reports_group_retention_days: int = Field(90, alias="REPORTS_GROUP_RETENTION_DAYS", ge=0, le=36500)
    reports_storage_prefix: str = Field("reports", alias="REPORTS_STORAGE_PREFIX")
    rate_limit_per_key_per_minute: int = Field(100, alias="REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE", ge=0)
    rate_limit_per_device_per_group_per_hour: int = Field(
        1, alias="REPORTS_RATE_LIMIT_PER_DEVICE_PER_GROUP_PER_HOUR", ge=0
    )
    rate_limit_per_group_per_minute: int = Field(30, alias="REPORTS_RATE_LIMIT_PER_GROUP_PER_MINUTE", ge=0)

    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = Field("HS256", alias="JWT_ALGORITHM")
    jwt_secret: str = Field("", alias="JWT_SECRET", repr=False)
    jwt_secret_arn: str = Field("", alias="JWT_SECRET_ARN")
    jwt_jwks_url: str = Field("", alias="JWT_JWKS_URL")
    jwt_issuer: str = Field("", alias="JWT_ISSUER")
    jwt_audience: str = Field("", alias="JWT_AUDIENCE")
    jwt_leeway_seconds: int = Field(60, alias="JWT_LEEWAY_SECONDS", ge=0, le=60)

    apps_table: str = Field("", alias="APPS_TABLE")
    groups_table: str = Field("", alias="GROUPS_TABLE")
    blobs_table: str = Field("", alias="BLOBS_TABLE")
    counters_table: str = Field("", alias="COUNTERS_TABLE")
    compliance_table: str = Field("", alias="COMPLIANCE_TABLE")
    rollups_table: str = Field("", alias="ROLLUPS_TABLE")
    idempotency_table: str = Field("", alias="IDEMPOTENCY_TABLE")
    blob_bucket: str = Field("", alias="BLOB_BUCKET")
    events_queue_url: str = Field("", alias="EVENTS_QUEUE_URL")
    rollup_queue_url: str = Field("", alias="ROLLUP_QUEUE_URL")
    # Status-day items one fan-out unit reads before it saves its parts and continues on redelivery:
    # under SPEC §9's 50,000, with room for the shard that overshoots and the group days.
    rollup_unit_items: int = Field(40_000, alias="ROLLUP_UNIT_ITEMS", ge=1)
    events_default_tenant: str = Field("", alias="EVENTS_DEFAULT_TENANT")

    # Alerts (SPEC §10, docs/alerts.md)
    alerts_table: str = Field("", alias="ALERTS_TABLE")
    alerts_bus: str = Field("", alias="ALERTS_BUS")
    alert_spike_min: int = Field(10, alias="ALERT_SPIKE_MIN", ge=0)
    alerts_allow_http_loopback: bool = Field(False, alias="ALERTS_ALLOW_HTTP_LOOPBACK")
    alerts_retention_days: int = Field(30, alias="ALERTS_RETENTION_DAYS", ge=1)
    dashboard_url: str = Field("", alias="DASHBOARD_URL")
    alerts_webhook_timeout_seconds: float = Field(5.0, alias="ALERTS_WEBHOOK_TIMEOUT_SECONDS", gt=0, le=25)

    # Release health (SPEC §12, docs/releases.md)
    releases_table: str = Field("", alias="RELEASES_TABLE")
    beacons_per_device_per_day: int = Field(24, alias="REPORTS_BEACONS_PER_DEVICE_PER_DAY", ge=0)
    release_crash_types: str = Field("crash", alias="RELEASE_CRASH_TYPES")

    def crash_types(self) -> frozenset[str]:
        """The event types that make a device count as crashed (comma-separated setting)."""
        return frozenset(t.strip() for t in self.release_crash_types.split(",") if t.strip())

    @field_validator("reports_storage_prefix")
    @classmethod
    def _prefix_is_a_path_segment(cls, value: str) -> str:
        value = value.strip("/")
        if not value or ".." in value.split("/"):
            raise ValueError("must be a non-empty S3 key prefix")
        return value

    @field_validator("jwt_jwks_url")
    @classmethod
    def _jwks_is_https(cls, value: str) -> str:
        if value and not _is_jwks_url(value):
            raise ValueError("must be an https:// URL (http:// only for 127.0.0.1/localhost)")
        return value

    def check_jwt(self) -> None:
        """The JWT settings must describe a usable verifier; called once by `auth.jwt` and at start-up.

        Raises ConfigError with one line naming the setting (never its value when it is a secret).
        """
        if not 0 <= self.jwt_leeway_seconds <= 60:
            raise ConfigError("JWT_LEEWAY_SECONDS: must be between 0 and 60")
        if self.jwt_algorithm == "HS256":
            if not (self.jwt_secret or self.jwt_secret_arn):
                raise ConfigError("JWT_SECRET: HS256 needs JWT_SECRET or JWT_SECRET_ARN")
            if self.jwt_secret:
                check_hs256_secret("JWT_SECRET", self.jwt_secret)
            elif not SECRET_ARN.fullmatch(self.jwt_secret_arn):
                raise ConfigError("JWT_SECRET_ARN: must be a Secrets Manager secret ARN")
        elif not self.jwt_jwks_url:
            raise ConfigError(f"JWT_JWKS_URL: {self.jwt_algorithm} needs a JWKS URL")
        elif not _is_jwks_url(self.jwt_jwks_url):
            raise ConfigError("JWT_JWKS_URL: must be an https:// URL (http:// only for 127.0.0.1/localhost)")


SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$")


def check_hs256_secret(setting: str, secret: str) -> None:
    """An HS256 secret must be long enough to resist guessing and must not be a PEM key (HS/RS mix-up)."""
    if len(secret) < 32:
        raise ConfigError(f"{setting}: must be at least 32 characters")
    if secret.lstrip().startswith("-----BEGIN"):
        raise ConfigError(f"{setting}: is a PEM key; HS256 needs a shared secret (use RS256 with a JWKS URL)")


def _is_jwks_url(value: str) -> bool:
    """https with a host, or plain http to the loopback host (local stack and tests)."""
    try:
        url = urlsplit(value)
        host = url.hostname
    except ValueError:
        return False
    if not host or url.username or url.password or any(c.isspace() for c in value):
        return False
    if url.scheme == "https":
        return True
    return url.scheme == "http" and host in ("127.0.0.1", "localhost")


def parse_settings(env: dict[str, str]) -> Settings:
    """Parse settings from a mapping (the environment); raises ConfigError naming the bad setting."""
    try:
        return Settings.model_validate({k: v for k, v in env.items() if v != ""})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = error["loc"][0] if error["loc"] else "settings"
        shown = "" if "SECRET" in str(name) else f" (got {error.get('input')!r})"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}{shown}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return parse_settings(dict(os.environ))
