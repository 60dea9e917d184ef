"""Helpers for JWT tests: key pairs, a JWKS endpoint on 127.0.0.1, and hand-made tokens.

Some attack tokens (`alg: none`, HS256 signed with an RSA public key) cannot be produced by PyJWT,
which refuses to; they are assembled here byte by byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

HS_SECRET = "a-test-secret-that-is-long-enough-0123456789"


@dataclass(frozen=True)
class KeyPair:
    kid: str
    private_key: Any
    algorithm: str

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwk(self) -> dict[str, Any]:
        to_jwk = RSAAlgorithm.to_jwk if self.algorithm == "RS256" else ECAlgorithm.to_jwk
        key: dict[str, Any] = to_jwk(self.private_key.public_key(), as_dict=True)
        key.update(kid=self.kid, use="sig", alg=self.algorithm)
        return key

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm=self.algorithm, headers={"kid": kid or self.kid}
        )


def rsa_pair(kid: str) -> KeyPair:
    return KeyPair(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")


def ec_pair(kid: str) -> KeyPair:
    return KeyPair(kid, ec.generate_private_key(ec.SECP256R1()), "ES256")


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid admin token's claims; `None` values remove the claim."""
    now = int(time.time())
    base: dict[str, Any] = {"sub": "user-1", "owner": "t1", "role": "admin", "iat": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(claims_: dict[str, Any], secret: str = HS_SECRET) -> str:
    return jwt.encode(claims_, secret, algorithm="HS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims_: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims_).encode())}"


def unsigned(claims_: dict[str, Any]) -> str:
    """`alg: none` with an empty signature."""
    return _segments({"alg": "none", "typ": "JWT"}, claims_) + "."


def hmac_signed(claims_: dict[str, Any], key: bytes, kid: str | None = None) -> str:
    """HS256 with an arbitrary key, e.g. the RSA public key (the classic HS/RS confusion attack)."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = _segments(header, claims_)
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


class JwksServer:
    """Serves `{"keys": [...]}` at /jwks.json on 127.0.0.1 and counts the fetches."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.document = json.dumps({"keys": keys}).encode()
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.document)))
                self.end_headers()
                self.wfile.write(server.document)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    @contextmanager
    def running(self) -> Iterator[JwksServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
            thread.join(timeout=5)
