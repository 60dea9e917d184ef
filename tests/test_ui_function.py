"""The ui function: the dashboard's page and assets, served safely, routed as API Gateway routes them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fleetreport_local.invoker import HttpResult, Invoker
from fleetreport_local.template import ROOT, load_template

STATIC = ROOT / "functions" / "ui" / "static"


@pytest.fixture(scope="module")
def ui() -> Invoker:
    """The handlers, routed by template.yaml; the ui function touches no AWS resource, so no moto."""
    return Invoker(load_template())


def get(ui: Invoker, path: str, headers: dict[str, str] | None = None) -> HttpResult:
    return ui.http("GET", path, headers=headers)


def test_index_is_served_at_root_as_html_that_is_always_revalidated(ui: Invoker) -> None:
    result = get(ui, "/")
    assert result.status == 200
    assert result.header("Content-Type") == "text/html; charset=utf-8"
    assert result.header("Cache-Control") == "no-cache"
    assert '<script type="module" src="/ui/app.js"></script>' in result.text


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/chart.js", "text/javascript; charset=utf-8"),
        ("/ui/styles.css", "text/css; charset=utf-8"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ],
)
def test_assets_are_served_with_their_content_type_and_a_short_cache(
    ui: Invoker, path: str, content_type: str
) -> None:
    result = get(ui, path)
    assert result.status == 200
    assert result.header("Content-Type") == content_type
    assert result.header("Cache-Control") == "public, max-age=300, must-revalidate"
    assert result.body == (STATIC / path.removeprefix("/ui/")).read_bytes()


def test_every_answer_carries_a_strict_content_security_policy(ui: Invoker) -> None:
    for path in ("/", "/ui/app.js", "/ui/missing.js"):
        result = get(ui, path)
        csp = result.header("Content-Security-Policy") or ""
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["connect-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in csp
        assert result.header("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/ui/../app.py",
        "/ui/%2e%2e/app.py",
        "/ui/..%2fapp.py",
        "/ui/%2E%2E%2F%2E%2E%2Ftemplate.yaml",
        "/ui/static/../../app.py",
        "/ui//etc/passwd",
        "/ui/%2fetc%2fpasswd",
        "/ui/..%5capp.py",
        "/ui/./app.js",
        "/ui/.hidden.js",
        "/ui/app.js%00.css",
    ],
)
def test_paths_that_leave_the_static_folder_are_not_found(ui: Invoker, path: str) -> None:
    result = get(ui, path)
    assert result.status == 404
    assert result.json() == {"error": "not found"}
    assert "lambda_handler" not in result.text


@pytest.mark.parametrize("path", ["/ui/missing.js", "/ui/app.py", "/ui/index", "/ui/dom.js/x.js"])
def test_unknown_assets_and_types_are_not_found(ui: Invoker, path: str) -> None:
    assert get(ui, path).status == 404


def test_an_unchanged_asset_is_revalidated_with_304(ui: Invoker) -> None:
    etag = get(ui, "/ui/styles.css").header("ETag")
    assert etag
    again = get(ui, "/ui/styles.css", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert get(ui, "/ui/styles.css", headers={"If-None-Match": '"other"'}).status == 200


def _static_files(*suffixes: str) -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.suffix in suffixes)


def test_the_page_has_no_inline_script_style_or_handler_that_the_csp_would_block() -> None:
    index = (STATIC / "index.html").read_text()
    sources = [re.search(r'\bsrc="/ui/([^"]+)"', attrs) for attrs in re.findall(r"<script\b([^>]*)>", index)]
    assert sources and all(sources), "the page loads its code from files under /ui/"
    assert all((STATIC / src.group(1)).is_file() for src in sources if src)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", index)
    assert "<style" not in index
    for path in _static_files(".html", ".js"):
        text = path.read_text()
        assert not re.search(r"\sstyle=|\son[a-z]+=\"", text), path.name
        assert "innerHTML" not in text and "eval(" not in text, path.name


def test_the_page_loads_nothing_from_another_origin_and_every_import_exists() -> None:
    allowed = {"http://www.w3.org/2000/svg"}
    for path in _static_files(".html", ".js", ".css", ".svg"):
        text = path.read_text()
        assert set(re.findall(r"https?://[^\s\"'`)]+", text)) <= allowed, path.name
        for target in re.findall(r"""from\s+["'](\./[^"']+)["']""", text):
            assert (path.parent / target).is_file(), f"{path.name} imports missing {target}"
    for target in re.findall(r'(?:src|href)="/ui/([^"]+)"', (STATIC / "index.html").read_text()):
        assert (STATIC / target).is_file(), target
