"""JWT authentication (SPEC §2, §8): every rejection is a 401 with a JSON error, never a 500.

Each rejection is checked twice: at `authenticate()` and through a real route (`GET /apps`).
RS256/ES256 keys come from a JWKS served by a real HTTP server thread on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from auth_support import (
    HS_SECRET,
    JwksServer,
    claims,
    ec_pair,
    hmac_signed,
    hs256,
    rsa_pair,
    unsigned,
)
from fleetreport.auth.jwt import authenticate, verify_configuration
from fleetreport.auth.principal import Permissions, Principal
from fleetreport.errors import Unauthorized
from fleetreport.settings import ConfigError, get_settings, parse_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
JWT_VARS = ("JWT_ALGORITHM", "JWT_SECRET", "JWT_SECRET_ARN", "JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE")

RSA = rsa_pair("rsa-1")
EC = ec_pair("ec-1")
OTHER_RSA = rsa_pair("rsa-1")  # same kid as the published key, different key material


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer([RSA.jwk(), EC.jwk()]).running() as server:
        yield server


@pytest.fixture
def configure(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace every JWT setting: `configure(JWT_ALGORITHM="RS256", JWT_JWKS_URL=...)`."""

    def apply(**values: str) -> None:
        for name in JWT_VARS:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    apply(JWT_ALGORITHM="HS256", JWT_SECRET=HS_SECRET)
    return apply


def assert_rejected(stack: Any, headers: dict[str, str], message: str) -> None:
    """401 with `message` both from authenticate() and from a real route."""
    with pytest.raises(Unauthorized) as raised:
        authenticate(headers)
    assert raised.value.message == message
    answer = stack.http("GET", "/apps", headers=headers)
    assert (answer.status, answer.json()) == (401, {"error": message})
    assert answer.header("content-type") == "application/json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------------- HS256 rejections
NOW = int(time.time())
HS256_REJECTIONS: dict[str, tuple[Callable[[], str], str]] = {
    "alg none": (lambda: unsigned(claims()), "invalid token"),
    "alg none with HS256 header names": (lambda: unsigned(claims()).replace("none", "None"), "invalid token"),
    "RS256 token when HS256 is configured": (lambda: RSA.sign(claims()), "invalid token"),
    "wrong secret": (lambda: hs256(claims(), "another-secret-that-is-long-enough-xyz"), "invalid token"),
    "tampered payload": (lambda: _tamper(hs256(claims(role="team")), role="admin"), "invalid token"),
    "expired beyond leeway": (lambda: hs256(claims(exp=int(time.time()) - 120)), "token expired"),
    "nbf in the future": (lambda: hs256(claims(nbf=int(time.time()) + 300)), "token not yet valid"),
    "iat in the future": (lambda: hs256(claims(iat=int(time.time()) + 300)), "token not yet valid"),
    "missing exp": (lambda: hs256(claims(exp=None)), "invalid token claims"),
    "missing sub": (lambda: hs256(claims(sub=None)), "invalid token claims"),
    "missing owner": (lambda: hs256(claims(owner=None)), "invalid token claims"),
    "missing role": (lambda: hs256(claims(role=None)), "invalid token claims"),
    "unknown role": (lambda: hs256(claims(role="root")), "invalid token claims"),
    "non-string sub": (lambda: hs256(claims(sub=42)), "invalid token claims"),
    "empty owner": (lambda: hs256(claims(owner="")), "invalid token claims"),
    "non-string owner": (lambda: hs256(claims(owner=["t1"])), "invalid token claims"),
    "owner with a key separator": (lambda: hs256(claims(owner="t1#t2")), "invalid token claims"),
    "permissions not an object": (
        lambda: hs256(claims(role="team", permissions="all")),
        "invalid token claims",
    ),
    "permission area not an object": (
        lambda: hs256(claims(role="team", permissions={"apps": ["edit"]})),
        "invalid token claims",
    ),
    "permission flag not a bool": (
        lambda: hs256(claims(role="team", permissions={"apps": {"edit": "yes"}})),
        "invalid token claims",
    ),
    "allowed_apps not a list": (
        lambda: hs256(claims(role="team", allowed_apps="app-1")),
        "invalid token claims",
    ),
    "allowed_apps with a non-string": (
        lambda: hs256(claims(role="team", allowed_apps=["app-1", 2])),
        "invalid token claims",
    ),
    "exp not a number": (lambda: hs256(claims(exp="tomorrow")), "invalid token"),
    "garbage token": (lambda: "garbage", "invalid token"),
    "three dots": (lambda: "a.b.c.d", "invalid token"),
    "three garbage segments": (lambda: "abc.def.ghi", "invalid token"),
    "empty segments": (lambda: "..", "invalid token"),
}


def _tamper(token: str, **changes: Any) -> str:
    import base64

    header, payload, signature = token.split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    document.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("case", list(HS256_REJECTIONS))
def test_bad_hs256_token_is_401_with_its_reason(
    stack: Any, configure: Callable[..., None], case: str
) -> None:
    make_token, message = HS256_REJECTIONS[case]
    assert_rejected(stack, bearer(make_token()), message)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing authorization header"),
        ({"Authorization": ""}, "missing authorization header"),
        ({"Authorization": "   "}, "missing authorization header"),
        ({"Authorization": "TOKEN_WITHOUT_SCHEME"}, "invalid authorization header"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid authorization header"),
        ({"Authorization": "Bearer"}, "invalid authorization header"),
        ({"Authorization": "Bearer    "}, "invalid authorization header"),
        ({"Authorization": "Bearer a.b.c extra"}, "invalid authorization header"),
        ({"Authorization": "Token abc.def.ghi"}, "invalid authorization header"),
        ({"Authorization": "Bearer " + "a" * 9000}, "invalid authorization header"),
        ({"Authorization": "Bearer rpk_" + "0" * 64}, "invalid token"),
    ],
)
def test_malformed_authorization_header_is_401(
    stack: Any, configure: Callable[..., None], headers: dict[str, str], message: str
) -> None:
    assert_rejected(stack, headers, message)


def test_expired_error_is_json_on_every_jwt_route(stack: Any, configure: Callable[..., None]) -> None:
    headers = bearer(hs256(claims(exp=int(time.time()) - 3600)))
    for method, path in [("GET", "/apps"), ("POST", "/apps"), ("GET", "/report-keys/list")]:
        answer = stack.http(method, path, headers=headers, body={"name": "x"} if method == "POST" else None)
        assert (answer.status, answer.json()) == (401, {"error": "token expired"})


# ---------------------------------------------------------------------- HS256 acceptance
def test_valid_hs256_token_yields_its_principal(stack: Any, configure: Callable[..., None]) -> None:
    token = hs256(
        claims(
            role="team",
            owner="acme",
            sub="u-7",
            permissions={"apps": {"download": True, "edit": False}, "reports": {"read": True}},
            allowed_apps=["a1", "a2"],
        )
    )
    principal = authenticate({"authorization": f"  bearer   {token}  "})
    assert (principal.sub, principal.owner, principal.role) == ("u-7", "acme", "team")
    assert principal.permissions == Permissions(apps_download=True, reports_read=True)
    assert principal.allowed_apps == frozenset({"a1", "a2"})


def test_missing_permissions_and_allowed_apps_mean_nothing_allowed(
    stack: Any, configure: Callable[..., None]
) -> None:
    principal = authenticate({"AUTHORIZATION": f"BEARER {hs256(claims(role='team'))}"})
    assert principal.permissions == Permissions()
    assert principal.allowed_apps == frozenset()
    assert not principal.can("apps", "download")


def test_clock_skew_within_leeway_is_accepted(stack: Any, configure: Callable[..., None]) -> None:
    now = int(time.time())
    for skewed in (claims(exp=now - 30), claims(nbf=now + 30), claims(iat=now + 30)):
        assert authenticate(bearer(hs256(skewed))).owner == "t1"
        assert stack.http("GET", "/apps", headers=bearer(hs256(skewed))).status == 200


def test_issuer_and_audience_are_checked_only_when_configured(
    stack: Any, configure: Callable[..., None]
) -> None:
    assert authenticate(bearer(hs256(claims(iss="anyone", aud="anything")))).owner == "t1"
    configure(JWT_SECRET=HS_SECRET, JWT_ISSUER="https://idp.example", JWT_AUDIENCE="fleetreport")
    good = claims(iss="https://idp.example", aud=["other", "fleetreport"])
    assert authenticate(bearer(hs256(good))).owner == "t1"
    assert_rejected(stack, bearer(hs256({**good, "iss": "https://evil.example"})), "invalid token issuer")
    assert_rejected(stack, bearer(hs256({**good, "aud": "someone-else"})), "invalid token audience")
    assert_rejected(stack, bearer(hs256(claims(aud="fleetreport"))), "invalid token issuer")
    assert_rejected(stack, bearer(hs256(claims(iss="https://idp.example"))), "invalid token audience")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.text(max_size=300),
        st.builds(lambda t: "Bearer " + t, st.text(alphabet="abcXYZ019-_.=+/ ", max_size=300)),
    )
)
def test_no_authorization_value_escapes_as_anything_but_401(
    stack: Any, configure: Callable[..., None], value: str
) -> None:
    with pytest.raises(Unauthorized):
        authenticate({"Authorization": value})


CORRUPTIONS = {  # one way a signed token goes wrong -> the 401 message it must get
    "wrong key": "invalid token",
    "expired": "token expired",
    "not yet valid": "token not yet valid",
    "no exp": "invalid token claims",
    "no sub": "invalid token claims",
    "bad role": "invalid token claims",
    "bad owner": "invalid token claims",
    "bad sub": "invalid token claims",
    "bad allowed_apps": "invalid token claims",
}
_NAME = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60).filter(
    str.strip
)
_JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
_NOT_A_NAME = st.one_of(
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.just(""),
    st.just("  "),
    st.just("x" * 300),
    st.text(alphabet="\x00\x1f\x7f", min_size=1, max_size=3),
)


@st.composite
def signed_tokens(draw: st.DrawFn) -> tuple[str, str | None, dict[str, Any]]:
    """(token, expected 401 message or None, claims): valid claims of any role with random names,
    optional iat/nbf in the past and team permissions, then at most one corruption."""
    now = int(time.time())
    role = draw(st.sampled_from(["admin", "team", "ingest"]))
    token_claims: dict[str, Any] = {
        "sub": draw(_NAME),
        "owner": draw(_NAME.filter(lambda owner: "#" not in owner)),
        "role": role,
        "exp": now + draw(st.integers(61, 10**7)),
    }
    for name in ("iat", "nbf"):
        if draw(st.booleans()):
            token_claims[name] = now - draw(st.integers(0, 10**7))
    if role == "team":
        flags = {
            area: {action: draw(st.booleans()) for action in actions}
            for area, actions in {"apps": ("download", "edit", "delete"), "reports": ("read",)}.items()
        }
        token_claims["permissions"] = flags
        token_claims["allowed_apps"] = draw(st.lists(st.text(min_size=1, max_size=40), max_size=5))
    corruption = draw(st.one_of(st.none(), st.sampled_from(sorted(CORRUPTIONS))))
    secret = HS_SECRET
    if corruption == "wrong key":
        secret = draw(st.text(min_size=32, max_size=64).filter(lambda other: other != HS_SECRET))
    elif corruption == "expired":
        token_claims["exp"] = now - draw(st.integers(61, 10**7))
    elif corruption == "not yet valid":
        token_claims["nbf"] = now + draw(st.integers(61, 10**7))
    elif corruption in ("no exp", "no sub"):
        del token_claims[corruption.split()[1]]
    elif corruption == "bad role":
        token_claims["role"] = draw(
            st.one_of(_JSON_SCALAR, st.lists(_JSON_SCALAR, max_size=2)).filter(
                lambda value: value not in ("admin", "team", "ingest")
            )
        )
    elif corruption == "bad owner":
        token_claims["owner"] = draw(st.one_of(_NOT_A_NAME, _NAME.map(lambda name: name + "#x")))
    elif corruption == "bad sub":
        token_claims["sub"] = draw(_NOT_A_NAME)
    elif corruption == "bad allowed_apps":
        not_app_ids = st.lists(st.one_of(st.integers(), st.just("")), min_size=1, max_size=3)
        token_claims["allowed_apps"] = draw(st.one_of(st.just(""), st.integers(), not_app_ids))
    token = jwt.encode(token_claims, secret.encode(), algorithm="HS256")
    return token, CORRUPTIONS.get(corruption or ""), token_claims


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=signed_tokens())
def test_signed_tokens_with_random_claims_are_checked_claim_by_claim(
    stack: Any, configure: Callable[..., None], case: tuple[str, str | None, dict[str, Any]]
) -> None:
    """Tokens that decode and carry a signature: the signature, the time claims and every claim the
    principal is built from are reached; a valid token becomes exactly the principal its claims say."""
    token, rejection, token_claims = case
    if rejection is not None:
        with pytest.raises(Unauthorized) as raised:
            authenticate(bearer(token))
        assert raised.value.message == rejection
        return
    principal = authenticate(bearer(token))
    granted = token_claims.get("permissions", {})
    flags = {
        f"{area}_{action}": flag for area, actions in granted.items() for action, flag in actions.items()
    }
    assert principal == Principal(
        sub=token_claims["sub"],
        owner=token_claims["owner"],
        role=token_claims["role"],
        permissions=Permissions(**flags),
        allowed_apps=frozenset(token_claims.get("allowed_apps", [])),
    )


# ---------------------------------------------------------------------- Secrets Manager
@pytest.mark.parametrize("stored", [HS_SECRET, json.dumps({"secret": HS_SECRET})])
def test_hs256_secret_is_read_once_from_secrets_manager(
    stack: Any, configure: Callable[..., None], stored: str
) -> None:
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name=f"jwt-{len(stored)}", SecretString=stored)["ARN"]
    configure(JWT_SECRET_ARN=arn)
    verify_configuration()
    client.update_secret(SecretId=arn, SecretString="changed-but-cached-" + "x" * 40)
    assert authenticate(bearer(hs256(claims()))).owner == "t1"
    assert stack.http("GET", "/apps", headers=bearer(hs256(claims()))).status == 200


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("short", "JWT_SECRET_ARN: must be at least 32 characters"),
        (json.dumps({"key": HS_SECRET}), 'JWT_SECRET_ARN: the JSON SecretString needs a "secret" string'),
        ("{not json", "JWT_SECRET_ARN: the SecretString is not valid JSON"),
    ],
)
def test_unusable_stored_secret_fails_at_start(
    stack: Any, configure: Callable[..., None], stored: str, expected: str
) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="jwt-bad", SecretString=stored)["ARN"]
    configure(JWT_SECRET_ARN=arn)
    with pytest.raises(ConfigError, match=f"^{expected}$"):
        verify_configuration()
    answer = stack.http("GET", "/apps", headers=bearer(hs256(claims())))
    assert (answer.status, answer.json()) == (500, {"error": "server misconfigured"})


def test_unknown_secret_arn_fails_at_start_naming_the_setting(
    stack: Any, configure: Callable[..., None]
) -> None:
    configure(JWT_SECRET_ARN="arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf")
    with pytest.raises(
        ConfigError, match=r"^JWT_SECRET_ARN: cannot read the secret \(ResourceNotFoundException\)$"
    ):
        verify_configuration()


# ---------------------------------------------------------------------- RS256 / ES256 via JWKS
@pytest.fixture
def rs256(configure: Callable[..., None], jwks: JwksServer) -> JwksServer:
    configure(JWT_ALGORITHM="RS256", JWT_JWKS_URL=jwks.url)
    return jwks


@pytest.fixture
def es256(configure: Callable[..., None], jwks: JwksServer) -> JwksServer:
    configure(JWT_ALGORITHM="ES256", JWT_JWKS_URL=jwks.url)
    return jwks


def test_rs256_token_from_jwks_is_accepted(stack: Any, rs256: JwksServer) -> None:
    assert authenticate(bearer(RSA.sign(claims(owner="acme")))).owner == "acme"
    assert stack.http("GET", "/apps", headers=bearer(RSA.sign(claims()))).status == 200


def test_es256_token_from_jwks_is_accepted(stack: Any, es256: JwksServer) -> None:
    assert authenticate(bearer(EC.sign(claims(owner="acme")))).owner == "acme"
    assert stack.http("GET", "/apps", headers=bearer(EC.sign(claims()))).status == 200


def test_jwks_is_fetched_once_and_cached(stack: Any, rs256: JwksServer) -> None:
    before = rs256.fetches
    for _ in range(5):
        authenticate(bearer(RSA.sign(claims())))
    assert rs256.fetches - before <= 1


RS256_REJECTIONS: dict[str, tuple[Callable[[], str], str]] = {
    "HS256 signed with the RSA public key": (
        lambda: hmac_signed(claims(), RSA.public_pem, "rsa-1"),
        "invalid token",
    ),
    "HS256 signed with the shared secret": (lambda: hs256(claims()), "invalid token"),
    "alg none": (lambda: unsigned(claims()), "invalid token"),
    "ES256 token when RS256 is configured": (lambda: EC.sign(claims()), "invalid token"),
    "wrong private key with a published kid": (lambda: OTHER_RSA.sign(claims()), "invalid token"),
    "unknown kid": (lambda: RSA.sign(claims(), kid="not-published"), "invalid token"),
    "expired": (lambda: RSA.sign(claims(exp=int(time.time()) - 120)), "token expired"),
    "nbf in the future": (lambda: RSA.sign(claims(nbf=int(time.time()) + 300)), "token not yet valid"),
    "missing exp": (lambda: RSA.sign(claims(exp=None)), "invalid token claims"),
    "bad role": (lambda: RSA.sign(claims(role="superuser")), "invalid token claims"),
    "garbage": (lambda: "abc.def.ghi", "invalid token"),
}


@pytest.mark.parametrize("case", list(RS256_REJECTIONS))
def test_bad_rs256_token_is_401(stack: Any, rs256: JwksServer, case: str) -> None:
    make_token, message = RS256_REJECTIONS[case]
    assert_rejected(stack, bearer(make_token()), message)


def test_rs256_token_signed_for_es256_config_is_401(stack: Any, es256: JwksServer) -> None:
    assert_rejected(stack, bearer(RSA.sign(claims())), "invalid token")
    assert_rejected(stack, bearer(hmac_signed(claims(), EC.public_pem, "ec-1")), "invalid token")


def test_unreachable_jwks_is_503_not_500(stack: Any, configure: Callable[..., None]) -> None:
    configure(JWT_ALGORITHM="RS256", JWT_JWKS_URL="http://127.0.0.1:9/jwks.json")
    answer = stack.http("GET", "/apps", headers=bearer(RSA.sign(claims())))
    assert (answer.status, answer.json()) == (503, {"error": "temporarily unavailable"})


# ---------------------------------------------------------------------- configuration
@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"JWT_ALGORITHM": "HS256"}, "JWT_SECRET: HS256 needs JWT_SECRET or JWT_SECRET_ARN"),
        ({"JWT_SECRET": "too-short"}, "JWT_SECRET: must be at least 32 characters"),
        ({"JWT_SECRET": "-----BEGIN PUBLIC KEY-----" + "A" * 40}, "JWT_SECRET: is a PEM key"),
        ({"JWT_SECRET_ARN": "not-an-arn"}, "JWT_SECRET_ARN: must be a Secrets Manager secret ARN"),
        ({"JWT_ALGORITHM": "RS256"}, "JWT_JWKS_URL: RS256 needs a JWKS URL"),
        ({"JWT_ALGORITHM": "ES256", "JWT_SECRET": HS_SECRET}, "JWT_JWKS_URL: ES256 needs a JWKS URL"),
        (
            {"JWT_ALGORITHM": "RS256", "JWT_JWKS_URL": "ftp://idp.example/jwks"},
            "JWT_JWKS_URL: must be an https://",
        ),
        ({"JWT_ALGORITHM": "RS256", "JWT_JWKS_URL": "https://"}, "JWT_JWKS_URL: must be an https://"),
        (
            {"JWT_ALGORITHM": "RS256", "JWT_JWKS_URL": "http://idp.example/jwks"},
            "JWT_JWKS_URL: must be an https://",
        ),
        (
            {"JWT_ALGORITHM": "RS256", "JWT_JWKS_URL": "http://127.0.0.1.evil.example/j"},
            "JWT_JWKS_URL: must be",
        ),
        ({"JWT_ALGORITHM": "HS512", "JWT_SECRET": HS_SECRET}, "JWT_ALGORITHM: Input should be"),
        ({"JWT_ALGORITHM": "none", "JWT_SECRET": HS_SECRET}, "JWT_ALGORITHM: Input should be"),
        (
            {"JWT_SECRET": HS_SECRET, "JWT_LEEWAY_SECONDS": "61"},
            "JWT_LEEWAY_SECONDS: Input should be less than",
        ),
    ],
)
def test_bad_jwt_configuration_fails_at_start_with_one_line_naming_the_setting(
    env: dict[str, str], setting: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        verify_configuration(parse_settings(env))
    message = str(raised.value)
    assert message.startswith(setting)
    assert "\n" not in message
    assert HS_SECRET not in message


def test_misconfigured_route_answers_json_500_without_leaking(
    stack: Any, configure: Callable[..., None]
) -> None:
    configure(JWT_ALGORITHM="RS256")
    answer = stack.http("GET", "/apps", headers=bearer(RSA.sign(claims())))
    assert (answer.status, answer.json()) == (500, {"error": "server misconfigured"})


# ---------------------------------------------------------------------- cold start: lazy imports
def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "shared"), **env}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=60, check=False
    )


HIDE_CRYPTOGRAPHY = """
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "cryptography" or name.startswith("cryptography."):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, _Hide())
"""


def test_importing_the_auth_module_loads_neither_pyjwt_nor_cryptography() -> None:
    result = _python(
        "import sys, fleetreport.auth.jwt\n"
        "print(sorted(m for m in ('jwt', 'cryptography') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_hs256_works_without_cryptography_installed() -> None:
    """What a Lambda without the CryptoLayer sees: HS256 verifies, `cryptography` is never needed."""
    token = hs256(claims(owner="acme"))
    result = _python(
        HIDE_CRYPTOGRAPHY + "from fleetreport.auth.jwt import authenticate\n"
        f"print(authenticate({{'Authorization': 'Bearer {token}'}}).owner)\n"
        "print('cryptography' in sys.modules)",
        JWT_ALGORITHM="HS256",
        JWT_SECRET=HS_SECRET,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["acme", "False"]


def test_asymmetric_algorithm_without_cryptography_fails_at_start() -> None:
    result = _python(
        HIDE_CRYPTOGRAPHY + "from fleetreport.auth.jwt import verify_configuration\nverify_configuration()",
        JWT_ALGORITHM="RS256",
        JWT_JWKS_URL="https://idp.example/.well-known/jwks.json",
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.endswith(
        "ConfigError: JWT_ALGORITHM: RS256 needs the cryptography package (attach the CryptoLayer)"
    )
