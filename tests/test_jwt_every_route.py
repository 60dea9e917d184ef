"""JWT attacks (SPEC §8) on EVERY protected route of template.yaml: 401 with a JSON error, never a 500,
and nothing written.

test_auth checks each rejection's reason once, at `authenticate()` and on `GET /apps`; this module
sweeps the same attacks over every JWT route (a new route is swept as soon as the template has it),
with the HS256 secret and with RS256 keys from a JWKS endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from auth_support import HS_SECRET, JwksServer, claims, hmac_signed, hs256, rsa_pair, unsigned
from fleetreport.settings import get_settings
from routes_support import REPORT_KEY_ROUTES, all_routes, jwt_routes, request_for

RSA = rsa_pair("rsa-1")
IMPOSTOR = rsa_pair("rsa-1")  # the published kid, other key material
ISSUER, AUDIENCE = "https://idp.example", "fleetreport"
JWT_VARS = ("JWT_ALGORITHM", "JWT_SECRET", "JWT_SECRET_ARN", "JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE")
TABLES = ("AppsTable", "GroupsTable", "BlobsTable", "CountersTable", "ComplianceTable", "RollupsTable")


def valid(**overrides: Any) -> dict[str, Any]:
    """Claims that would pass in the configured deployment (issuer and audience set)."""
    return claims(**{"iss": ISSUER, "aud": AUDIENCE, **overrides})


def later(seconds: int) -> int:
    return int(time.time()) + seconds


# case -> (token or full Authorization value, expected message); HS256 with iss/aud configured.
Attack = Callable[[], tuple[str, str]]
HS256_ATTACKS: dict[str, Attack] = {
    "alg none": lambda: (f"Bearer {unsigned(valid())}", "invalid token"),
    "alg none, capitalised": lambda: (f"Bearer {unsigned(valid()).replace('none', 'NONE')}", "invalid token"),
    "RS256 token (alg confusion)": lambda: (f"Bearer {RSA.sign(valid())}", "invalid token"),
    "wrong secret": lambda: (f"Bearer {hs256(valid(), 'x' * 48)}", "invalid token"),
    "expired": lambda: (f"Bearer {hs256(valid(exp=later(-120)))}", "token expired"),
    "not yet valid": lambda: (f"Bearer {hs256(valid(nbf=later(300)))}", "token not yet valid"),
    "wrong iss": lambda: (f"Bearer {hs256(valid(iss='https://evil.example'))}", "invalid token issuer"),
    "wrong aud": lambda: (f"Bearer {hs256(valid(aud='someone-else'))}", "invalid token audience"),
    "missing iss": lambda: (f"Bearer {hs256(valid(iss=None))}", "invalid token issuer"),
    "missing aud": lambda: (f"Bearer {hs256(valid(aud=None))}", "invalid token audience"),
    "missing exp": lambda: (f"Bearer {hs256(valid(exp=None))}", "invalid token claims"),
    "missing sub": lambda: (f"Bearer {hs256(valid(sub=None))}", "invalid token claims"),
    "missing owner": lambda: (f"Bearer {hs256(valid(owner=None))}", "invalid token claims"),
    "missing role": lambda: (f"Bearer {hs256(valid(role=None))}", "invalid token claims"),
    "no header": lambda: ("", "missing authorization header"),
    "no scheme": lambda: (hs256(valid()), "invalid authorization header"),
    "basic scheme": lambda: ("Basic dXNlcjpwYXNz", "invalid authorization header"),
    "bearer without token": lambda: ("Bearer", "invalid authorization header"),
    "two tokens": lambda: (f"Bearer {hs256(valid())} {hs256(valid())}", "invalid authorization header"),
    "garbage token": lambda: ("Bearer abc.def.ghi", "invalid token"),
    "report key as a JWT": lambda: ("Bearer rpk_" + "0" * 64, "invalid token"),
}
# Correctly signed tokens whose claims have the wrong JSON type (or text with no UTF-8 form): each is
# signed by the real signer of the configured algorithm, so only the claims can be refused.
MISTYPED_CLAIMS: dict[str, dict[str, Any]] = {
    "role a list": {"role": ["admin"]},
    "role an object": {"role": {"admin": True}},
    "role a number": {"role": 1},
    "role true": {"role": True},
    "owner a list": {"owner": ["t1"]},
    "owner an object": {"owner": {"id": "t1"}},
    "owner a number": {"owner": 1},
    "owner a lone surrogate": {"owner": "t\ud800"},
    "sub a number": {"sub": 7},
    "sub a list": {"sub": ["user-1"]},
    "sub a lone surrogate": {"sub": "user-\udfff"},
    "permissions a list": {"role": "team", "permissions": ["apps"]},
    "permissions a number": {"role": "team", "permissions": 1},
    "permissions.apps a list": {"role": "team", "permissions": {"apps": ["edit"]}},
    "permissions.apps.edit a string": {"role": "team", "permissions": {"apps": {"edit": "true"}}},
    "permissions.apps.edit a number": {"role": "team", "permissions": {"apps": {"edit": 1}}},
    "permissions.reports.read an object": {"role": "team", "permissions": {"reports": {"read": {}}}},
    "allowed_apps an object": {"role": "team", "allowed_apps": {"a": 1}},
    "allowed_apps a string": {"role": "team", "allowed_apps": "app-1"},
    "allowed_apps holding a list": {"role": "team", "allowed_apps": [["app-1"]]},
    "allowed_apps holding a lone surrogate": {"role": "team", "allowed_apps": ["\ud800"]},
}
# Registered claims of the wrong type: PyJWT checks these itself (its encoder even refuses some, so
# they are signed by hand with the same secret).
MISTYPED_REGISTERED: dict[str, tuple[dict[str, Any], str]] = {
    "iss a list": ({"iss": [ISSUER]}, "invalid token issuer"),
    "aud an object": ({"aud": {"aud": AUDIENCE}}, "invalid token audience"),
    "exp a list": ({"exp": [later(600)]}, "invalid token"),
    "nbf an object": ({"nbf": {}}, "invalid token"),
    "iat a string": ({"iat": "now"}, "invalid token"),
    "jti a number": ({"jti": 5}, "invalid token"),
}
RS256_ATTACKS: dict[str, Attack] = {
    "HS256 signed with the RSA public key": lambda: (
        f"Bearer {hmac_signed(valid(), RSA.public_pem, 'rsa-1')}",
        "invalid token",
    ),
    "HS256 signed with a shared secret": lambda: (f"Bearer {hs256(valid())}", "invalid token"),
    "alg none": lambda: (f"Bearer {unsigned(valid())}", "invalid token"),
    "wrong key, published kid": lambda: (f"Bearer {IMPOSTOR.sign(valid())}", "invalid token"),
    "unknown kid": lambda: (f"Bearer {RSA.sign(valid(), kid='nope')}", "invalid token"),
    "expired": lambda: (f"Bearer {RSA.sign(valid(exp=later(-120)))}", "token expired"),
    "not yet valid": lambda: (f"Bearer {RSA.sign(valid(nbf=later(300)))}", "token not yet valid"),
    "wrong aud": lambda: (f"Bearer {RSA.sign(valid(aud='other'))}", "invalid token audience"),
}


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer([RSA.jwk()]).running() as server:
        yield server


@pytest.fixture
def configure(module_stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def apply(**values: str) -> None:
        for name in JWT_VARS:
            monkeypatch.delenv(name, raising=False)
        for name, value in {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, **values}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def stored_items(stack: Any) -> int:
    return sum(stack.table(name).scan(Select="COUNT")["Count"] for name in TABLES)


def sweep(stack: Any, authorization: str, message: str) -> None:
    """Every JWT route answers 401 `{"error": message}` as JSON, and nothing is stored anywhere."""
    headers = {"Authorization": authorization} if authorization else {}
    before = stored_items(stack)
    for key, route in jwt_routes().items():
        method, path, body = request_for(route)
        answer = stack.http(method, path, headers=headers, body=body)
        assert answer.status == 401, (key, answer.status, answer.text)
        assert (answer.header("content-type") or "").startswith("application/json"), key
        assert answer.json() == {"error": message}, key
    assert stored_items(stack) == before


@pytest.mark.parametrize("case", list(HS256_ATTACKS))
def test_hs256_attack_is_401_on_every_route(
    module_stack: Any, configure: Callable[..., None], case: str
) -> None:
    configure(JWT_ALGORITHM="HS256", JWT_SECRET=HS_SECRET)
    sweep(module_stack, *HS256_ATTACKS[case]())


@pytest.mark.parametrize("case", list(RS256_ATTACKS))
def test_rs256_attack_is_401_on_every_route(
    module_stack: Any, configure: Callable[..., None], jwks: JwksServer, case: str
) -> None:
    configure(JWT_ALGORITHM="RS256", JWT_JWKS_URL=jwks.url)
    sweep(module_stack, *RS256_ATTACKS[case]())


@pytest.mark.parametrize("case", list(MISTYPED_CLAIMS))
def test_signed_claims_of_the_wrong_type_are_401_on_every_route(
    module_stack: Any, configure: Callable[..., None], jwks: JwksServer, case: str
) -> None:
    configure(JWT_ALGORITHM="HS256", JWT_SECRET=HS_SECRET)
    sweep(module_stack, f"Bearer {hs256(valid(**MISTYPED_CLAIMS[case]))}", "invalid token claims")
    configure(JWT_ALGORITHM="RS256", JWT_JWKS_URL=jwks.url)
    sweep(module_stack, f"Bearer {RSA.sign(valid(**MISTYPED_CLAIMS[case]))}", "invalid token claims")


@pytest.mark.parametrize("case", list(MISTYPED_REGISTERED))
def test_signed_registered_claims_of_the_wrong_type_are_401_on_every_route(
    module_stack: Any, configure: Callable[..., None], case: str
) -> None:
    configure(JWT_ALGORITHM="HS256", JWT_SECRET=HS_SECRET)
    overrides, message = MISTYPED_REGISTERED[case]
    sweep(module_stack, f"Bearer {hmac_signed(valid(**overrides), HS_SECRET.encode())}", message)


def test_the_sweep_covers_every_route_but_the_public_and_report_key_ones(module_stack: Any) -> None:
    routes = all_routes()
    assert len(jwt_routes()) == len(routes) - 4  # the UI's two, ingest and the beacon
    assert {"GET /apps", "GET /reports/{report_key}/run", "POST /events"} <= set(jwt_routes())
    assert {"GET /apps/{app_id}/releases", "GET /apps/{app_id}/releases/{version}/gate"} <= set(jwt_routes())


def test_the_same_valid_token_gets_past_authentication_on_every_route(
    module_stack: Any, configure: Callable[..., None], jwks: JwksServer
) -> None:
    """The control: without it, a route answering 401 to everything would pass the sweeps."""
    for algorithm, token in [("HS256", hs256(valid())), ("RS256", RSA.sign(valid()))]:
        if algorithm == "HS256":
            configure(JWT_ALGORITHM="HS256", JWT_SECRET=HS_SECRET)
        else:
            configure(JWT_ALGORITHM="RS256", JWT_JWKS_URL=jwks.url)
        for key, route in jwt_routes().items():
            method, path, body = request_for(route)
            headers = {"Authorization": f"Bearer {token}"}
            answer = module_stack.http(method, path, headers=headers, body=body)
            # An admin's valid token: never unauthenticated, never denied, never a server error.
            assert answer.status not in (401, 403) and answer.status < 500, (algorithm, key, answer.text)


def test_a_jwt_is_not_a_report_key(module_stack: Any, configure: Callable[..., None]) -> None:
    configure(JWT_ALGORITHM="HS256", JWT_SECRET=HS_SECRET)
    for key in REPORT_KEY_ROUTES:
        method, path, _ = request_for(all_routes()[key])
        headers = {"Authorization": f"Bearer {hs256(valid())}", "X-Device-ID": "d"}
        answer = module_stack.http(method, path, headers=headers, body={})
        assert (answer.status, answer.json()) == (401, {"error": "invalid report key"}), key
