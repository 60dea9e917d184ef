"""Signing keys for RS256/ES256 tokens, from a JWKS URL (Cognito/OIDC), cached per container.

Imported only when an asymmetric algorithm is configured: PyJWT's JWKS support needs `cryptography`,
which ships in its own layer that HS256 deployments do not attach (SPEC §7 cold start).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fleetreport.settings import ConfigError

# Keys rotate rarely; an unknown `kid` forces at most one refetch per cooldown (PyJWT's own guard),
# so a flood of made-up key ids cannot turn into a flood of requests to the identity provider.
JWKS_CACHE_SECONDS = 300
JWKS_REFRESH_COOLDOWN_SECONDS = 30
JWKS_TIMEOUT_SECONDS = 5


def require_cryptography(algorithm: str) -> None:
    """Fail at start, naming the setting, when the crypto layer is missing for an asymmetric algorithm."""
    from jwt.algorithms import has_crypto

    if not has_crypto:
        raise ConfigError(
            f"JWT_ALGORITHM: {algorithm} needs the cryptography package (attach the CryptoLayer)"
        )


@lru_cache(maxsize=4)
def jwks_client(url: str) -> Any:
    """One PyJWKClient per URL and container: the key set is fetched once and kept for 5 minutes."""
    from jwt import PyJWKClient

    return PyJWKClient(
        url,
        cache_keys=True,
        lifespan=JWKS_CACHE_SECONDS,
        timeout=JWKS_TIMEOUT_SECONDS,
        cooldown_duration=JWKS_REFRESH_COOLDOWN_SECONDS,
    )


def signing_key_for(url: str, token: str) -> Any:
    """The JWKS key named by the token's `kid` header (PyJWT errors propagate to the caller)."""
    return jwks_client(url).get_signing_key_from_jwt(token)
