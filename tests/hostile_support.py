"""Hypothesis strategies read from docs/openapi.json, and the checks every answer must pass.

Values are drawn half from what the document describes (enums, patterns, types, required fields) and
half from hostile noise (any JSON, any text), so runs reach deep validation as well as the edges.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import strategies as st

OPENAPI = json.loads((Path(__file__).resolve().parents[1] / "docs" / "openapi.json").read_text())

# Text that tends to break things: quotes, separators our keys use, control characters, unicode,
# traversal, numbers and dates in odd spellings.
NASTY = [
    "", " ", "0", "-1", "1e309", "NaN", "true", "null", "../..", "%2e%2e%2f", "a#b", "t1#t2", "\x00",
    "\r\n", "'; DROP TABLE x; --", "<script>", "ü", "名前", "\U0001f4a5", "2026-02-30",
    "2026-05-20T10:00:00Z", "9" * 40, "x" * 2000,
]  # fmt: skip
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
ANY_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    node: Any = OPENAPI
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return resolve(node)


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values the schema describes (a subset of JSON Schema: what the document uses), or noise."""
    schema = resolve(schema)
    if depth > 4:
        return JSON_LEAF
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        return st.one_of([from_schema(choice, depth + 1) for choice in choices])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    if kind == "object":
        properties, required = schema.get("properties", {}), set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: from_schema(sub, depth + 1) for name, sub in properties.items() if name in required},
            optional={n: from_schema(sub, depth + 1) for n, sub in properties.items() if n not in required},
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), depth + 1), max_size=3)
    if kind == "string":
        if schema.get("examples"):
            return st.one_of(st.sampled_from(schema["examples"]), TEXT)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        return TEXT
    if kind == "integer":
        return st.integers(min_value=-(2**40), max_value=2**40)
    if kind == "boolean":
        return st.booleans()
    return ANY_JSON


def described_or_noise(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.one_of(from_schema(schema), ANY_JSON)


def query_value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """One query-string value: what the parameter's schema describes (as text), or nasty text."""
    schema = resolve(schema)
    if schema.get("type") == "array":
        schema = resolve(schema.get("items", {}))
    typed = from_schema(schema).map(lambda v: v if isinstance(v, str) else json.dumps(v))
    return st.one_of(
        typed, TEXT, st.sampled_from(["1", "100", "2026-05-20", "true", "open", "UTC", "GMT+05:30"])
    )


def operations() -> dict[str, dict[str, Any]]:
    """`METHOD /path` -> the OpenAPI operation."""
    return {
        f"{method.upper()} {path}": op for path, ops in OPENAPI["paths"].items() for method, op in ops.items()
    }


def check_answer(route: str, operation: dict[str, Any], status: int, content_type: str, body: bytes) -> None:
    """No 5xx, a documented status, JSON errors, and JSON bodies that match their documented schema."""
    assert status < 500, (route, status, body[:300])
    documented = operation["responses"]
    assert str(status) in documented, (route, status, sorted(documented), body[:300])
    content = documented[str(status)].get("content", {})
    if "application/json" not in content or not content_type.startswith("application/json"):
        assert status < 400 or content_type.startswith("application/json"), (route, status, content_type)
        return
    document = json.loads(body)
    if status >= 400:
        message = document.get("error", document.get("displayMessage"))
        assert isinstance(message, str) and message, (route, status, document)
    schema = content["application/json"].get("schema")
    if schema:
        root = {**schema, "components": OPENAPI.get("components", {})}
        errors = [e.message for e in jsonschema.Draft202012Validator(root).iter_errors(document)]
        assert not errors, (route, status, document, errors[:3])
