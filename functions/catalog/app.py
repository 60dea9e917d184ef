"""The report catalogue: `GET /reports` and `GET /reports/{report_key}` (Gutterball contract)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from fleetreport.http import json_response
from fleetreport.reports import openapi
from fleetreport.reports.access import report_reader
from fleetreport.reports.catalogue import catalogue, find_report
from fleetreport.reports.web import gutterball_handler, gutterball_resolver

app = gutterball_resolver()


@app.get("/reports", summary="List the report catalogue", responses=openapi.LIST_RESPONSES)
def list_reports() -> Response[Any]:
    report_reader(app.current_event.headers)
    return json_response(200, [entry.to_json() for entry in catalogue()])


@app.get("/reports/<report_key>", summary="Describe one report", responses=openapi.GET_RESPONSES)
def get_report(report_key: openapi.ReportKey) -> Response[Any]:
    report_reader(app.current_event.headers)
    return json_response(200, find_report(report_key).catalogue_entry().to_json())


lambda_handler = gutterball_handler(app)
