"""Runs a catalogue report: `GET /reports/{report_key}/run` (Gutterball contract, SPEC §4.3-§4.6)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from fleetreport.compliance.timefmt import utc_now
from fleetreport.reports import openapi
from fleetreport.reports.access import query_params, report_reader, request_base_url
from fleetreport.reports.catalogue import find_report
from fleetreport.reports.engine import RunRequest, run_report
from fleetreport.reports.web import gutterball_handler, gutterball_resolver
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

app = gutterball_resolver()


@app.get(
    "/reports/<report_key>/run",
    summary="Run a report",
    description=openapi.RUN_DESCRIPTION,
    responses=openapi.RUN_RESPONSES,
    openapi_extensions=openapi.RUN_EXTENSIONS,
)
def run(report_key: openapi.ReportKey) -> Response[Any]:
    principal = report_reader(app.current_event.headers)
    event = app.current_event
    answer = run_report(
        RunRequest(
            definition=find_report(report_key),
            tenant=principal.owner,
            query=query_params(event.raw_query_string),
            base_url=request_base_url(event),
            accept=event.headers.get("accept"),
            now=utc_now(),
            table=table(get_settings().compliance_table),
            principal=principal,
        )
    )
    return Response(
        status_code=200, content_type=answer.content_type, body=answer.body, headers=answer.headers
    )


lambda_handler = gutterball_handler(app)
