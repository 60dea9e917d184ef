"""The ui function: serves the operator dashboard's static page and assets (it never touches data).

The page calls the API on the same origin with the operator's token, so this handler only has to hand
out files safely: a fixed set of types, no path outside `static/`, and a strict Content-Security-Policy.
It is a plain Lambda handler (no resolver) so that it imports in microseconds.
"""

import base64
import hashlib
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

STATIC = Path(__file__).resolve().parent / "static"
ASSET_PREFIX = "/ui/"

TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
BINARY_TYPES = {".png": "image/png", ".ico": "image/x-icon", ".woff2": "font/woff2"}

# No inline script or style, data only from this origin; presigned blob links are plain navigations.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The page is small and unversioned (no build step): always revalidate the page, let assets live briefly.
INDEX_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=300, must-revalidate"

_cache: dict[Path, tuple[bytes, str]] = {}


def _read(path: Path) -> tuple[bytes, str]:
    """File bytes and a strong ETag, read once per container (the files never change under it)."""
    if path not in _cache:
        data = path.read_bytes()
        _cache[path] = (data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
    return _cache[path]


def resolve_asset(raw_path: str) -> Path | None:
    """The file under static/ that `/ui/<relative>` names, or None (traversal, hidden, unknown type)."""
    relative = unquote(raw_path[len(ASSET_PREFIX) :])
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    # Split by hand: PurePosixPath would quietly drop "." and "" segments.
    if any(part in ("", ".", "..") or part.startswith(".") for part in relative.split("/")):
        return None
    if PurePosixPath(relative).suffix.lower() not in TEXT_TYPES | BINARY_TYPES:
        return None
    path = (STATIC / relative).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        return None
    return path


def _not_found() -> dict[str, Any]:
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store", **SECURITY_HEADERS},
        "body": '{"error": "not found"}',
    }


def _file_response(path: Path, cache_control: str, if_none_match: str | None) -> dict[str, Any]:
    data, etag = _read(path)
    headers = {"Cache-Control": cache_control, "ETag": etag, **SECURITY_HEADERS}
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return {"statusCode": 304, "headers": headers, "body": ""}
    suffix = path.suffix.lower()
    if suffix in BINARY_TYPES:
        headers["Content-Type"] = BINARY_TYPES[suffix]
        body, encoded = base64.b64encode(data).decode("ascii"), True
    else:
        headers["Content-Type"] = TEXT_TYPES[suffix]
        body, encoded = data.decode("utf-8"), False
    return {"statusCode": 200, "headers": headers, "body": body, "isBase64Encoded": encoded}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raw_path = event.get("rawPath") or "/"
    if_none_match = (event.get("headers") or {}).get("if-none-match")
    if raw_path == "/":
        return _file_response(STATIC / "index.html", INDEX_CACHE, if_none_match)
    if raw_path.startswith(ASSET_PREFIX):
        path = resolve_asset(raw_path)
        if path is not None:
            return _file_response(path, ASSET_CACHE, if_none_match)
    return _not_found()
