"""JWT authentication for every protected route (SPEC §2): `Authorization: Bearer <jwt>` → Principal.

The algorithm is pinned to the configured one (no `none`, no HS/RS confusion); `exp`, `sub`, `owner`
and `role` are required; `iss`/`aud` are checked when configured; clock skew is bounded by
JWT_LEEWAY_SECONDS (≤ 60). Every rejection is a 401 `{"error": ...}`, never a 500.

PyJWT is imported on first use, and the JWKS machinery (which needs `cryptography`) only when an
asymmetric algorithm is configured, so importing a handler stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fleetreport.auth.principal import InvalidClaims, Principal, principal_from_claims
from fleetreport.errors import DomainError, TemporarilyUnavailable, Unauthorized
from fleetreport.settings import ConfigError, Settings, check_hs256_secret, get_settings

MAX_TOKEN_LENGTH = 8192
REQUIRED_CLAIMS = ["exp", "sub", "owner", "role"]


class Misconfigured(DomainError):
    """The JWT settings are unusable: the one-line ConfigError is logged, the client gets a plain 500."""

    status = 500

    def __init__(self) -> None:
        super().__init__("server misconfigured")


@dataclass(frozen=True)
class Verifier:
    """Everything needed to check one token, resolved once per settings (secret fetched, JWKS client)."""

    algorithm: str
    key_for: Callable[[str], Any]  # token -> verification key (the secret, or the JWKS key for its kid)
    issuer: str
    audience: str
    leeway: int

    def claims(self, token: str) -> dict[str, Any]:
        import jwt

        options: dict[str, Any] = {
            "require": REQUIRED_CLAIMS,
            "verify_iss": bool(self.issuer),
            "verify_aud": bool(self.audience),
        }
        claims: dict[str, Any] = jwt.decode(
            token,
            self.key_for(token),
            algorithms=[self.algorithm],
            options=options,  # type: ignore[arg-type]
            issuer=self.issuer or None,
            audience=self.audience or None,
            leeway=self.leeway,
        )
        return claims


def authenticate(headers: Mapping[str, str] | None) -> Principal:
    """The principal behind the request's bearer JWT, or Unauthorized (401) saying what was wrong."""
    token = bearer_token(headers)
    verifier = _current_verifier()
    try:
        claims = verifier.claims(token)
    except DomainError:
        raise
    except Exception as error:  # PyJWT raises many types, some not its own; all mean "not this token"
        raise _rejection(error) from None
    try:
        return principal_from_claims(claims)
    except InvalidClaims:
        raise Unauthorized("invalid token claims") from None


def verify_configuration(settings: Settings | None = None) -> None:
    """Check the JWT settings at start-up; raises ConfigError (one line naming the setting).

    Resolves the key material too: a Secrets Manager secret is fetched, and an asymmetric algorithm
    needs `cryptography` to be importable.
    """
    _verifier(settings or get_settings())


def bearer_token(headers: Mapping[str, str] | None) -> str:
    """The token of `Authorization: Bearer <token>` (header name and scheme case-insensitive)."""
    value = _header(headers or {}, "authorization")
    if value is None or not value.strip():
        raise Unauthorized("missing authorization header")
    parts = value.strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
        raise Unauthorized("invalid authorization header")
    token = parts[1].strip()
    if any(c.isspace() for c in token) or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthorized("invalid authorization header")
    return token


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return value if isinstance(value, str) else None
    return None


def _rejection(error: Exception) -> DomainError:
    """Map a verification failure to its 401 message (or a 503 when the JWKS endpoint is down)."""
    import jwt

    if isinstance(error, jwt.PyJWKClientConnectionError):
        from fleetreport.http import logger

        logger.warning("JWKS endpoint unreachable")
        return TemporarilyUnavailable()
    if isinstance(error, jwt.MissingRequiredClaimError) and error.claim in ("iss", "aud"):
        return Unauthorized("invalid token issuer" if error.claim == "iss" else "invalid token audience")
    messages: list[tuple[type[Exception], str]] = [
        (jwt.ExpiredSignatureError, "token expired"),
        (jwt.ImmatureSignatureError, "token not yet valid"),
        (jwt.InvalidIssuerError, "invalid token issuer"),
        (jwt.InvalidAudienceError, "invalid token audience"),
        (jwt.MissingRequiredClaimError, "invalid token claims"),
        (jwt.exceptions.InvalidSubjectError, "invalid token claims"),
    ]
    for kind, message in messages:
        if isinstance(error, kind):
            return Unauthorized(message)
    return Unauthorized("invalid token")


def _current_verifier() -> Verifier:
    try:
        return _verifier(get_settings())
    except ConfigError as error:
        from fleetreport.http import logger

        logger.error(f"JWT configuration error: {error}")
        raise Misconfigured() from None


@lru_cache(maxsize=4)
def _verifier(settings: Settings) -> Verifier:
    """Checked and resolved once per settings object (get_settings() is itself cached per container)."""
    settings.check_jwt()
    if settings.jwt_algorithm == "HS256":
        secret = settings.jwt_secret or secret_from_arn(settings.jwt_secret_arn)
        key_for: Callable[[str], Any] = _constant(secret.encode("utf-8"))
    else:
        from fleetreport.auth import jwks

        jwks.require_cryptography(settings.jwt_algorithm)
        url = settings.jwt_jwks_url
        jwks.jwks_client(url)  # built (not fetched) now, so a bad URL fails here
        key_for = lambda token: jwks.signing_key_for(url, token)  # noqa: E731
    return Verifier(
        algorithm=settings.jwt_algorithm,
        key_for=key_for,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )


def _constant(key: bytes) -> Callable[[str], bytes]:
    return lambda _token: key


@lru_cache(maxsize=4)
def secret_from_arn(arn: str) -> str:
    """The HS256 secret held in Secrets Manager, fetched once per container.

    The SecretString is either the secret itself or a JSON object `{"secret": "..."}`.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from fleetreport.http import is_transient
    from fleetreport.storage.aws import CLIENT_CONFIG

    try:
        answer = boto3.client("secretsmanager", config=CLIENT_CONFIG).get_secret_value(SecretId=arn)
    except ClientError as error:
        if is_transient(error):
            raise TemporarilyUnavailable() from None
        code = error.response.get("Error", {}).get("Code", "error")
        raise ConfigError(f"JWT_SECRET_ARN: cannot read the secret ({code})") from None
    except BotoCoreError:
        raise TemporarilyUnavailable() from None
    secret = _secret_value(answer.get("SecretString"))
    check_hs256_secret("JWT_SECRET_ARN", secret)
    return secret


def _secret_value(raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise ConfigError("JWT_SECRET_ARN: the secret has no SecretString")
    if raw.lstrip().startswith("{"):
        try:
            document = json.loads(raw)
        except ValueError:
            raise ConfigError("JWT_SECRET_ARN: the SecretString is not valid JSON") from None
        value = document.get("secret") if isinstance(document, dict) else None
        if not isinstance(value, str):
            raise ConfigError('JWT_SECRET_ARN: the JSON SecretString needs a "secret" string') from None
        return value
    return raw
