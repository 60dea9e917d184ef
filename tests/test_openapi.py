"""The OpenAPI document: generated from the real routes, committed current, valid, complete, and served
with Swagger UI by the local stack only."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fleetreport.reports.catalogue import REPORTS
from fleetreport_local import openapi
from fleetreport_local.gateway import Gateway
from fleetreport_local.template import load_template
from openapi_spec_validator import validate

COMMITTED = openapi.DOCUMENT_PATH
HTTP_METHODS = set(openapi.METHODS)


@pytest.fixture(scope="module")
def described() -> list[tuple[Any, dict[str, Any] | None]]:
    return openapi.function_schemas(load_template())


@pytest.fixture(scope="module")
def generated(described: list[tuple[Any, dict[str, Any] | None]]) -> dict[str, Any]:
    return openapi.merge(load_template(), copy.deepcopy(described))


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_committed_document_matches_the_routes(generated: dict[str, Any]) -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi.render(generated), (
        "docs/openapi.json is stale: run `make openapi`"
    )


def test_committed_document_is_valid_openapi_3_1(committed: dict[str, Any]) -> None:
    assert committed["openapi"].startswith("3.1")
    validate(committed)


def test_every_template_route_is_documented_and_nothing_else(committed: dict[str, Any]) -> None:
    routes = {(route.method, route.path) for route in load_template().routes()}
    documented = {(method, path) for method, path, _ in operations(committed)}
    assert documented == routes


def test_paths_use_api_gateway_parameter_syntax_with_declared_parameters(committed: dict[str, Any]) -> None:
    for method, path, operation in operations(committed):
        assert "<" not in path and ">" not in path, path
        in_path = set(re.findall(r"\{([^}]+)\}", path))
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == in_path, f"{method} {path}"


def test_no_422_validation_answers_anywhere(committed: dict[str, Any]) -> None:
    for method, path, operation in operations(committed):
        assert "422" not in operation["responses"], f"{method} {path}"
    assert "HTTPValidationError" not in committed["components"]["schemas"]


def test_validated_operations_document_400(committed: dict[str, Any]) -> None:
    for method, path, operation in operations(committed):
        if operation["security"] and (operation.get("parameters") or "requestBody" in operation):
            assert "400" in operation["responses"], f"{method} {path}"


def test_ingest_takes_a_report_key_and_every_other_api_route_a_jwt(committed: dict[str, Any]) -> None:
    schemes = committed["components"]["securitySchemes"]
    assert schemes["bearerJwt"]["bearerFormat"] == "JWT"
    assert schemes["reportKey"]["scheme"] == "bearer"
    for method, path, operation in operations(committed):
        if (method, path) == ("POST", "/reports/ingest"):
            assert operation["security"] == [{"reportKey": []}]
        elif operation["tags"] == ["ui"]:
            assert operation["security"] == []  # the dashboard's static files are public
        else:
            assert operation["security"] == [{"bearerJwt": []}], f"{method} {path}"


def error_shape(response: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    schema = response["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return set(schema["properties"])


def test_every_api_error_answer_has_its_documented_body(committed: dict[str, Any]) -> None:
    schemas = committed["components"]["schemas"]
    for method, path, operation in operations(committed):
        if operation["tags"] == ["ui"]:
            continue
        responses = operation["responses"]
        assert {"401", "503"} <= set(responses), f"{method} {path}"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert error_shape(response, schemas) in ({"error"}, {"displayMessage", "requestUuid"}), (
                    f"{method} {path} {status}"
                )


def test_report_errors_are_gutterball_bodies_and_auth_errors_are_error_bodies(
    committed: dict[str, Any],
) -> None:
    schemas = committed["components"]["schemas"]
    run = committed["paths"]["/reports/{report_key}/run"]["get"]["responses"]
    assert error_shape(run["400"], schemas) == {"displayMessage", "requestUuid"}
    assert error_shape(run["404"], schemas) == {"displayMessage", "requestUuid"}
    assert error_shape(run["401"], schemas) == {"error"}
    assert error_shape(committed["paths"]["/reports/groups"]["get"]["responses"]["400"], schemas) == {"error"}


def test_run_parameters_and_x_reports_come_from_the_report_declarations(committed: dict[str, Any]) -> None:
    run = committed["paths"]["/reports/{report_key}/run"]["get"]
    query = {p["name"]: p for p in run["parameters"] if p["in"] == "query"}
    for report in REPORTS:
        declared = run["x-reports"][report.key]
        entry = report.catalogue_entry().to_json()
        assert [
            {k: p[k] for k in ("name", "description", "mandatory", "multiValued")}
            for p in declared["parameters"]
        ] == entry["parameters"]
        assert declared["sortBy"] == list(report.sort_fields)
        for param in report.parameters:
            assert f"- {report.key}: {param.description}" in query[param.name]["description"]
            if param.multi_valued:
                assert query[param.name]["schema"]["type"] == "array"
    assert {"page", "per_page", "order", "sort_by", "format"} <= set(query)
    assert "x-query-parameters" not in run


def test_run_answers_describe_paging_and_request_uuid_headers_and_csv(committed: dict[str, Any]) -> None:
    ok = committed["paths"]["/reports/{report_key}/run"]["get"]["responses"]["200"]
    assert {"Link", "X-Total-Count", "X-Request-Uuid"} <= set(ok["headers"])
    assert {"application/json", "text/csv"} <= set(ok["content"])


def test_conflicting_component_schemas_fail_the_merge(
    described: list[tuple[Any, dict[str, Any] | None]],
) -> None:
    clashing = copy.deepcopy(described)
    with_schemas = [schema for _, schema in clashing if schema is not None]
    for number, schema in enumerate(with_schemas[:2]):
        schema.setdefault("components", {}).setdefault("schemas", {})["Clash"] = {"title": str(number)}
    with pytest.raises(openapi.OpenAPIError, match="Clash"):
        openapi.merge(load_template(), clashing)


def test_check_mode_exits_1_when_the_document_is_stale(generated: dict[str, Any], tmp_path: Path) -> None:
    current = tmp_path / "openapi.json"
    current.write_text(openapi.render(generated), encoding="utf-8")
    assert openapi.main(["--check", str(current)]) == 0
    stale = json.loads(current.read_text())
    stale["info"]["version"] = "0.0.0-stale"
    current.write_text(openapi.render(stale), encoding="utf-8")
    assert openapi.main(["--check", str(current)]) == 1


# ---------------------------------------------------------------- Swagger UI on the local stack
def never_invoked(function: str, event: dict[str, Any]) -> Any:
    raise AssertionError(f"{function} was invoked for a docs path")


@pytest.fixture
def gateway() -> Gateway:
    return Gateway(load_template(), never_invoked)


def test_swagger_page_uses_only_local_assets(gateway: Gateway) -> None:
    reply = gateway.handle("GET", "/swagger", [], None)
    assert reply.status == 200
    assert (reply.header("content-type") or "").startswith("text/html")
    page = reply.body.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/swagger/swagger-ui-bundle.js" in assets and "/swagger/swagger-ui.css" in assets
    assert not [url for url in assets if "//" in url], "the page must work offline"
    for asset in assets:
        if asset.startswith("/swagger/"):
            assert gateway.handle("GET", asset, [], None).status == 200, asset
    initializer = gateway.handle("GET", "/swagger/swagger-initializer.js", [], None).body.decode()
    assert '"/openapi.json"' in initializer and "validatorUrl: null" in initializer


def test_local_stack_serves_the_committed_document(gateway: Gateway, committed: dict[str, Any]) -> None:
    reply = gateway.handle("GET", "/openapi.json", [], None)
    assert reply.status == 200
    assert reply.header("content-type") == "application/json"
    assert json.loads(reply.body) == committed


def test_docs_paths_are_read_only_and_unknown_assets_are_not_found(gateway: Gateway) -> None:
    assert gateway.handle("POST", "/swagger", [], b"{}").status == 404
    assert gateway.handle("GET", "/swagger/../template.yaml", [], None).status == 404
    assert gateway.handle("GET", "/swagger/swagger-ui.js.map", [], None).status == 404


def test_docs_are_no_route_of_the_template_so_never_deployed() -> None:
    template = load_template()
    for path in ("/swagger", "/swagger/swagger-ui-bundle.js", "/openapi.json"):
        assert template.match("GET", path) is None, path
