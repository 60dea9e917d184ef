"""Running a catalogue report: validate → run → sort/page → shape (DTO or filtered document) → JSON/CSV.

Validation order: the report's declared parameters (declaration order, first failure wins), then the
paging parameters, then `format`. Parameters a report does not declare are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fleetreport.auth.principal import Principal
from fleetreport.errors import InvalidParameter
from fleetreport.reports import filtering
from fleetreport.reports.csvformat import days_to_csv, rows_to_csv
from fleetreport.reports.definition import DaysResult, ReportContext, ReportDefinition, RowsResult
from fleetreport.reports.paging import PageRequest, cut_page, page_headers, parse_page_request, sort_items
from fleetreport.reports.params import QueryParams, ReportParams, validate

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"
FORMATS = ("json", "csv")


@dataclass
class RunRequest:
    definition: ReportDefinition
    tenant: str
    query: QueryParams
    base_url: str  # scheme://host/path of the request, for Link headers
    accept: str | None
    now: datetime
    table: Any
    principal: Principal | None = None


@dataclass
class RunAnswer:
    body: str
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def run_report(request: RunRequest) -> RunAnswer:
    definition = request.definition
    params = validate(definition.parameters, request.query)
    paging = parse_page_request(request.query, definition.sort_fields, definition.default_sort)
    as_csv = wants_csv(request.query, request.accept)
    result = definition.run(
        ReportContext(request.tenant, params, request.now, request.table, request.principal)
    )
    if isinstance(result, DaysResult):
        days, headers = _arrange(result.days, definition.sort_fields, paging, request)
        if as_csv:
            return RunAnswer(days_to_csv(days), CSV_TYPE, headers)
        return RunAnswer(_json(dict(days)), JSON_TYPE, headers)
    rows, headers = _arrange(result.rows, definition.sort_fields, paging, request)
    shaped = [shape_row(result, row, params) for row in rows]
    if as_csv:
        return RunAnswer(rows_to_csv(shaped), CSV_TYPE, headers)
    return RunAnswer(_json(shaped), JSON_TYPE, headers)


def _arrange(
    items: list[Any], sort_fields: Mapping[str, Any], paging: PageRequest | None, request: RunRequest
) -> tuple[list[Any], dict[str, str]]:
    """Sort when asked (paging included), then cut the page and describe it in headers."""
    if paging is None:
        return items, {}
    arranged = sort_items(items, sort_fields[paging.sort_by], paging.descending)
    if not paging.paged:
        return arranged, {}
    headers = page_headers(request.base_url, request.query, paging, len(arranged))
    return cut_page(arranged, paging), headers


def shape_row(result: RowsResult, row: Any, params: ReportParams) -> dict[str, Any]:
    """The minimized DTO, or with custom_results the full stored snapshot, include/exclude applied."""
    if not params.boolean("custom_results", False):
        return result.render(row)
    document = result.document(row)
    if params.has("include"):
        return filtering.include_only(document, params.texts("include"))
    if params.has("exclude"):
        return filtering.exclude(document, params.texts("exclude"))
    return document


def wants_csv(query: QueryParams, accept: str | None) -> bool:
    """`format=csv|json` decides; otherwise an Accept header naming text/csv asks for CSV."""
    chosen = query.first("format")
    if chosen is not None:
        if chosen.strip().lower() not in FORMATS:
            raise InvalidParameter("format", "Parameter must be one of: json, csv.")
        return chosen.strip().lower() == "csv"
    return bool(accept) and CSV_TYPE in (accept or "").lower()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
