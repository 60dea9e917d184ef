"""How the Gutterball routes look in the OpenAPI document, generated from the report declarations.

The query parameters of `GET /reports/{report_key}/run` and its `x-reports` extension come from the
same `Param` declarations that drive validation and the catalogue, so the document cannot drift from
them. The schemas only describe answers; nothing parses a request with them.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path

from fleetreport.reports.catalogue import REPORTS
from fleetreport.reports.definition import CatalogueEntry, ReportDefinition
from fleetreport.reports.engine import FORMATS
from fleetreport.reports.paging import DEFAULT_PER_PAGE, MAX_PER_PAGE, ORDERS
from fleetreport.reports.params import BOOLEANS, Param
from fleetreport.reports.web import ReportErrorBody

ReportKey = Annotated[
    str, Path(description="a key of the catalogue: " + ", ".join(report.key for report in REPORTS))
]

# The local OpenAPI builder appends these to the parameters Powertools derives from the signature.
QUERY_PARAMETERS_EXTENSION = "x-query-parameters"


# The catalogue's answers are pydantic models (`CatalogueEntry`) that serialize them, and Powertools
# derives their schema. A run's answers stay plain JSON Schema here: rows are built as dicts by the
# report DTOs (hot path, thousands per page) and custom_results are Gutterball's free-form documents.
_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_GB_DATE = {"type": ["string", "null"], "description": "yyyy-MM-dd'T'HH:mm:ss.SSS+0000"}
_STATUS = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "description": "valid, invalid or partial (as Candlepin reported it)"},
        "date": _GB_DATE,
        "reasons": {
            "type": "array",
            "items": {"type": "object"},
            "description": "absent with include_reasons=false",
        },
        "managementEnabled": {"type": ["boolean", "null"]},
    },
}
CONSUMER_STATUS_ROW = {
    "title": "ConsumerStatusRow",
    "description": "consumer_status: the latest snapshot of one consumer (minimized DTO).",
    "type": "object",
    "properties": {
        "status": _STATUS,
        "consumer": {
            "type": "object",
            "properties": {
                "uuid": _STRING,
                "name": _NULLABLE_STRING,
                "lastCheckin": _GB_DATE,
                "owner": {
                    "type": "object",
                    "properties": {"key": _NULLABLE_STRING, "displayName": _NULLABLE_STRING},
                },
                "facts": {"type": ["object", "null"]},
                "consumerState": {"type": "object", "properties": {"created": _GB_DATE, "deleted": _GB_DATE}},
            },
        },
    },
}
CONSUMER_TREND_ROW = {
    "title": "ConsumerTrendRow",
    "description": "consumer_trend: one snapshot of the consumer (minimized DTO), oldest first.",
    "type": "object",
    "properties": {
        "status": _STATUS,
        "consumer": {"type": "object", "properties": {"uuid": _STRING, "lastCheckin": _GB_DATE}},
    },
}
# What a run answers, by report: rows of a DTO, custom_results documents, or a map of day → counts.
RUN_RESULT = {
    "anyOf": [
        {"type": "array", "items": CONSUMER_STATUS_ROW},
        {"type": "array", "items": CONSUMER_TREND_ROW},
        {"title": "CustomResults", "type": "array", "items": {"type": "object"}},
        {
            "title": "DayCounts",
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    ]
}

_ERROR = {"application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}
_UUID_HEADER = {
    "X-Request-Uuid": {
        "description": "the request's uuid (also in error bodies)",
        "schema": {"type": "string"},
    }
}
_PAGE_HEADERS = {
    "Link": {
        "description": 'paged answers: `<url>; rel="next", <url>; rel="prev", <url>; rel="first", '
        '<url>; rel="last"` (next/prev only where they exist); each URL repeats the request\'s query '
        "with `page=N`",
        "schema": {"type": "string"},
    },
    "X-Total-Count": {"description": "paged answers: items before paging", "schema": {"type": "integer"}},
}


def _report_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _UUID_HEADER,
        "content": {"application/json": {"model": ReportErrorBody}},
    }


def _plain_error(description: str) -> dict[str, Any]:
    return {"description": description, "headers": _UUID_HEADER, "content": _ERROR}


_AUTH_ERRORS = {
    401: _plain_error("missing, malformed or invalid bearer JWT"),
    403: _plain_error("Permission denied (needs reports.read)"),
    503: _plain_error("temporarily unavailable"),
}

LIST_RESPONSES: dict[int, Any] = {
    200: {
        "description": "every report, in a stable order",
        "headers": _UUID_HEADER,
        # Derived by Powertools from the model that serializes the answer.
        "content": {"application/json": {"model": list[CatalogueEntry]}},
    },
    **_AUTH_ERRORS,
}
GET_RESPONSES: dict[int, Any] = {
    200: {
        "description": "the report and its parameters",
        "headers": _UUID_HEADER,
        "content": {"application/json": {"model": CatalogueEntry}},
    },
    404: _report_error("Report <key> not found."),
    **_AUTH_ERRORS,
}
RUN_RESPONSES: dict[int, Any] = {
    200: {
        "description": "consumer_status / consumer_trend: a JSON array of rows (the full stored snapshots "
        "with custom_results=true); status_trend / group_trend: an object of day key → {status: count}. "
        "`Accept: text/csv` or `format=csv`: CSV with flattened dotted columns.",
        "headers": {**_UUID_HEADER, **_PAGE_HEADERS},
        "content": {
            "application/json": {"schema": RUN_RESULT},
            "text/csv": {"schema": {"type": "string"}},
        },
    },
    400: _report_error("`<param>: <message>` for the first invalid parameter (declaration order)"),
    404: _report_error("Report <key> not found."),
    **_AUTH_ERRORS,
}


def _schema(param: Param) -> dict[str, Any]:
    if param.kind == "integer":
        return {"type": "integer", "format": "int32"}
    if param.kind == "boolean":
        return {"type": "string", "enum": sorted(BOOLEANS), "description": "any case"}
    if param.kind == "date":
        return {"type": "string", "examples": ["2026-05-20", "2026-05-20T10:00:00.000+0000"]}
    if param.kind == "timezone":
        return {"type": "string", "examples": ["UTC", "America/Chicago", "GMT-0600"]}
    return {"type": "string"}


def _declaration(param: Param) -> dict[str, Any]:
    entry = {**param.catalogue_entry().model_dump(by_alias=True), "type": param.kind}
    if param.must_have:
        entry["mustBeUsedWith"] = list(param.must_have)
    if param.must_not_have:
        entry["mustNotBeUsedWith"] = list(param.must_not_have)
    return entry


def reports_extension(reports: tuple[ReportDefinition, ...] = REPORTS) -> dict[str, Any]:
    """`x-reports`: each report's exact parameter declarations (order = validation order) and sort fields."""
    return {
        report.key: {
            "description": report.description,
            "parameters": [_declaration(param) for param in report.parameters],
            "sortBy": list(report.sort_fields),
            "defaultSortBy": report.default_sort,
        }
        for report in reports
    }


def report_query_parameters(reports: tuple[ReportDefinition, ...] = REPORTS) -> list[dict[str, Any]]:
    """One query parameter per declared name (first declaration wins its place), naming the reports
    that accept it; a name multi-valued in any report is an array (repeat the name)."""
    by_name: dict[str, list[tuple[str, Param]]] = {}
    for report in reports:
        for param in report.parameters:
            by_name.setdefault(param.name, []).append((report.key, param))
    parameters = []
    for name, declared in by_name.items():
        first = declared[0][1]
        schema = _schema(first)
        if any(param.multi_valued for _, param in declared):
            schema = {"type": "array", "items": schema}
        uses = "\n".join(f"- {key}: {param.description}" + _flags(param) for key, param in declared)
        parameters.append(
            {"name": name, "in": "query", "required": False, "schema": schema, "description": uses}
        )
    return parameters + _paging_parameters(reports)


def _flags(param: Param) -> str:
    flags = ["mandatory"] if param.mandatory else []
    flags += ["multi-valued"] if param.multi_valued else []
    flags += [f"must be used with {', '.join(param.must_have)}"] if param.must_have else []
    flags += [f"must not be used with {', '.join(param.must_not_have)}"] if param.must_not_have else []
    return f" ({'; '.join(flags)})" if flags else ""


def _paging_parameters(reports: tuple[ReportDefinition, ...]) -> list[dict[str, Any]]:
    sort_fields = "; ".join(f"{report.key}: {', '.join(report.sort_fields)}" for report in reports)

    def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    return [
        query("page", {"type": "integer", "minimum": 1}, "page number (default 1); turns paging on"),
        query(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            # No schema default: Swagger UI would send it, and paging would be on for every try.
            f"page size (default {DEFAULT_PER_PAGE} when paging); turns paging on",
        ),
        query("order", {"type": "string", "enum": list(ORDERS)}, "any case; default descending"),
        query("sort_by", {"type": "string"}, f"default `date`. Allowed: {sort_fields}"),
        query("format", {"type": "string", "enum": list(FORMATS)}, "csv = `Accept: text/csv`"),
    ]


RUN_EXTENSIONS: dict[str, Any] = {
    "x-reports": reports_extension(),
    QUERY_PARAMETERS_EXTENSION: report_query_parameters(),
}
RUN_DESCRIPTION = (
    "Runs a report of the catalogue. Parameters are validated in declaration order (`x-reports` lists "
    "each report's exact declarations); unknown parameters are ignored. Any of page/per_page/order/sort_by "
    "turns sorting on; page/per_page also cut a page and add `Link` and `X-Total-Count`. A page past the "
    "end is 200 with `[]`/`{}`."
)
