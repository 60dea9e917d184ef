"""Build docs/openapi.json: every API function's Powertools schema, merged into one OpenAPI 3.1 document.

Each function of template.yaml is its own resolver, so Powertools can only describe one function at a
time. This module imports every handler the way the local stack does (the template's env), asks each
`app` for its schema, and merges them: paths, component schemas (a name defined twice differently is
an error), security per route, a tag per function, operation ids from the template's event names.
Then it removes what our resolvers never answer (Powertools' 422: validation errors are 400s) and
checks that the document and template.yaml list the same routes. Output is deterministic (sorted keys),
so the committed copy can be compared byte for byte.

    python -m fleetreport_local.openapi                        # print
    python -m fleetreport_local.openapi --write docs/openapi.json
    python -m fleetreport_local.openapi --check docs/openapi.json   # exit 1 when stale
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fleetreport.settings import get_settings
from fleetreport.storage.aws import reset_clients

from fleetreport_local.invoker import Invoker, function_environment
from fleetreport_local.template import ROOT, Function, Template, load_template

DOCUMENT_PATH = ROOT / "docs" / "openapi.json"
TITLE = "fleetreport API"
DESCRIPTION = """\
Serverless reporting for a fleet of installed software: client health reports folded into report
groups (the faynoSync report-groups contract) and compliance snapshots with a report catalogue (the
Gutterball Reporting API contract). The guide with examples is `docs/api.md`.

**Authentication.** Every route but `POST /reports/ingest` takes `Authorization: Bearer <JWT>`
(claims `sub`, `owner`, `role` = admin|team|ingest, team users' `permissions` and `allowed_apps`).
`POST /reports/ingest` takes the app's report key: `Authorization: Bearer rpk_<64 hex>` and
`X-Device-ID`.

**Errors.** Report-group, app and event routes answer `{"error": "<message>"}`; the report catalogue
and report runs answer `{"displayMessage": "<param>: <message>", "requestUuid": "<uuid>"}` for report
errors, with the same uuid in `X-Request-Uuid` on every answer. Authentication errors are `{"error"}`
bodies everywhere."""
SERVERS = [
    {"url": "/", "description": "the origin serving this document (the local stack: `make run`)"},
    {
        "url": "https://{apiId}.execute-api.{region}.amazonaws.com",
        "description": "a deployed stack (the `ApiUrl` output of `sam deploy`)",
        "variables": {"apiId": {"default": "your-api-id"}, "region": {"default": "us-east-1"}},
    },
]
SECURITY_SCHEMES = {
    "bearerJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "HS256 (shared secret) or RS256/ES256 (JWKS); `exp` required. Locally: "
        "`fleetreport token --role admin --owner demo`.",
    },
    "reportKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "rpk_<64 hex>",
        "description": "the app's report key, shown once by `POST /apps` or `POST /report-keys/regenerate`",
    },
}
REPORT_KEY_ROUTES = {("post", "/reports/ingest")}
QUERY_PARAMETERS_EXTENSION = "x-query-parameters"  # see fleetreport.reports.openapi
ERROR_BODY = {"type": "object", "properties": {"error": {"type": "string"}}}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class OpenAPIError(Exception):
    """The functions cannot be described as one API (conflicting schemas, undocumented routes...)."""


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


@contextmanager
def template_environment(template: Template) -> Iterator[None]:
    """The env vars the functions get from the template, for the time of the imports only."""
    saved = dict(os.environ)
    os.environ.update(function_environment(template))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        reset_clients()


def function_schemas(template: Template) -> list[tuple[Function, dict[str, Any] | None]]:
    """(function, its Powertools schema or None when it has no resolver), for every routed function."""
    invoker = Invoker(template)
    routed_ids = {route.function for route in template.routes()}
    routed = [logical_id for logical_id in template.functions() if logical_id in routed_ids]
    found: list[tuple[Function, dict[str, Any] | None]] = []
    with template_environment(template):
        for logical_id in routed:
            app = getattr(invoker.module(logical_id), "app", None)
            schema = None
            if app is not None and hasattr(app, "get_openapi_schema"):
                model = app.get_openapi_schema(title=TITLE, version=project_version())
                schema = json.loads(model.model_dump_json(by_alias=True, exclude_none=True))
            found.append((invoker.function(logical_id), schema))
    return found


def event_names(template: Template, function: Function) -> dict[tuple[str, str], str]:
    """(method, path) → the template's name for that route event (`ListGroups`)."""
    events = template.raw["Resources"][function.logical_id]["Properties"].get("Events", {})
    return {
        (event["Properties"]["Method"].lower(), event["Properties"]["Path"]): name
        for name, event in events.items()
        if event["Type"] == "HttpApi"
    }


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def static_operation(function: Function, path: str) -> dict[str, Any]:
    """A route of a function without a resolver (the dashboard's static files): public, no JSON."""
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{([^}]+)\}", path)
    ]
    operation: dict[str, Any] = {
        "summary": "The operator dashboard" if path == "/" else "A dashboard asset",
        "responses": {
            "200": {"description": "the file", "content": {"*/*": {"schema": {"type": "string"}}}},
            "304": {"description": "not modified (`If-None-Match` matched the ETag)"},
            "404": {"description": "no such file", "content": {"application/json": {"schema": ERROR_BODY}}},
        },
    }
    if parameters:
        operation["parameters"] = [without_null(parameter) for parameter in parameters]
    return operation


def merge(template: Template, described: list[tuple[Function, dict[str, Any] | None]]) -> dict[str, Any]:
    """One document from every function's schema (or static routes), routes checked against the template."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    tags = []
    for function, schema in described:
        tags.append({"name": function.name, "description": template_description(template, function)})
        names = event_names(template, function)
        if schema is None:
            operations = {(method, path): static_operation(function, path) for method, path in names}
        else:
            operations = {
                (method, path): operation
                for path, item in schema.get("paths", {}).items()
                for method, operation in item.items()
                if method in METHODS
            }
            add_schemas(schemas, schema.get("components", {}).get("schemas", {}), function)
        for (method, path), operation in sorted(operations.items()):
            if (method, path) not in names:
                raise OpenAPIError(
                    f"{function.name}: {method.upper()} {path} is not a route of template.yaml"
                )
            if method in paths.get(path, {}):
                raise OpenAPIError(f"{method.upper()} {path} is described by two functions")
            finish_operation(operation, method, path, function, names[(method, path)], public=schema is None)
            paths.setdefault(path, {})[method] = operation
    check_routes(template, paths)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": project_version(), "description": DESCRIPTION},
        "servers": SERVERS,
        "security": [{"bearerJwt": []}],
        "tags": tags,
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
    prune_schemas(document)
    return document


def template_description(template: Template, function: Function) -> str:
    return str(template.raw["Resources"][function.logical_id]["Properties"].get("Description", ""))


def add_schemas(schemas: dict[str, Any], new: dict[str, Any], function: Function) -> None:
    for name, schema in new.items():
        if name in schemas and schemas[name] != schema:
            raise OpenAPIError(
                f"{function.name}: component schema {name!r} conflicts with another function's"
            )
        schemas[name] = schema


def finish_operation(
    operation: dict[str, Any], method: str, path: str, function: Function, event: str, public: bool
) -> None:
    """Tag, operation id, security, lifted query parameters, and our error mapping instead of 422."""
    operation["tags"] = [function.name]
    if is_generated_operation_id(operation.get("operationId"), method, path):
        operation["operationId"] = lower_camel(event)
    if public:
        operation["security"] = []
    elif (method, path) in REPORT_KEY_ROUTES:
        operation["security"] = [{"reportKey": []}]
    else:
        operation["security"] = [{"bearerJwt": []}]
    lifted = operation.pop(QUERY_PARAMETERS_EXTENSION, [])
    parameters = operation.get("parameters", []) + lifted
    keys = [(parameter["in"], parameter["name"]) for parameter in parameters]
    if len(set(keys)) != len(keys):
        raise OpenAPIError(f"{method.upper()} {path}: a parameter is declared twice")
    if parameters:
        operation["parameters"] = [without_null(parameter) for parameter in parameters]
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    if not public and (parameters or "requestBody" in operation) and "400" not in responses:
        responses["400"] = {
            "description": 'request validation failed: `{"error": "invalid request body"}`',
            "content": {"application/json": {"schema": copy.deepcopy(ERROR_BODY)}},
        }


def without_null(parameter: dict[str, Any]) -> dict[str, Any]:
    """A query/path/header value is absent or a string, never null: `str | None` is just `str`."""
    schema = parameter.get("schema", {})
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1 and len(schema["anyOf"]) == 2:
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        parameter = {**parameter, "schema": {**options[0], **rest}}
    return parameter


def is_generated_operation_id(operation_id: str | None, method: str, path: str) -> bool:
    """Powertools' default id is `<function name><path with \\W as _>_<method>`."""
    return operation_id is None or operation_id.endswith(re.sub(r"\W", "_", path) + "_" + method)


def check_routes(template: Template, paths: dict[str, dict[str, Any]]) -> None:
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    routed = {(route.method, route.path) for route in template.routes()}
    missing = sorted(routed - documented)
    if missing:
        raise OpenAPIError(f"routes of template.yaml missing from the document: {missing}")


def prune_schemas(document: dict[str, Any]) -> None:
    """Drop component schemas nothing refers to (Powertools' validation-error models, once 422 is gone)."""
    schemas = document["components"]["schemas"]
    reachable: set[str] = set()
    pending = references(document["paths"])
    while pending:
        name = pending.pop()
        if name not in reachable and name in schemas:
            reachable.add(name)
            pending |= references(schemas[name])
    for name in set(schemas) - reachable:
        del schemas[name]


def references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def build_document(template: Template | None = None) -> dict[str, Any]:
    template = template or load_template()
    return merge(template, function_schemas(template))


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fleetreport_local.openapi", description=__doc__.split("\n")[0]
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PATH", type=Path, help="write the document to PATH")
    group.add_argument("--check", metavar="PATH", type=Path, help="exit 1 when PATH differs from the routes")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
        return 0
    if args.check:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != text:
            print(f"{args.check} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
