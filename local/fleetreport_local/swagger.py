"""Swagger UI and the OpenAPI document, served by the local stack only (they are no route of the template,
so nothing here is ever deployed).

`GET /swagger` is the page, `/swagger/<file>` its vendored swagger-ui-dist assets (offline: nothing is
fetched from a CDN), `/openapi.json` the committed `docs/openapi.json` (kept current by its staleness
test and `make openapi`).
"""

from __future__ import annotations

from pathlib import Path

from fleetreport_local.openapi import DOCUMENT_PATH

STATIC = Path(__file__).resolve().parent / "static" / "swagger"
PAGE_PATHS = ("/swagger", "/swagger/", "/swagger/index.html")
DOCUMENT_URL = "/openapi.json"
ASSET_PREFIX = "/swagger/"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-initializer.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
}
# Swagger UI sets inline styles and data: images; requests go to this origin (or a deployed API).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' https://*.amazonaws.com; base-uri 'none'; frame-ancestors 'none'"
)

Answer = tuple[int, list[tuple[str, str]], bytes]


def local_docs(method: str, path: str) -> Answer | None:
    """The answer for a docs path, or None when `path` is not one (the gateway then says 404)."""
    if method.upper() not in ("GET", "HEAD"):
        return None
    if path in PAGE_PATHS:
        return _file(STATIC / "index.html", "text/html; charset=utf-8")
    if path == DOCUMENT_URL:
        if not DOCUMENT_PATH.is_file():
            return 404, [("content-type", "application/json")], b'{"message":"run make openapi"}'
        return _file(DOCUMENT_PATH, "application/json")
    if path.startswith(ASSET_PREFIX) and path[len(ASSET_PREFIX) :] in ASSET_TYPES:
        name = path[len(ASSET_PREFIX) :]
        return _file(STATIC / name, ASSET_TYPES[name])
    return None


def _file(path: Path, content_type: str) -> Answer:
    headers = [
        ("content-type", content_type),
        ("cache-control", "no-cache"),
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
    ]
    return 200, headers, path.read_bytes()
