"""Compliance events: `POST /events` (JWT, role ingest/admin) and the compliance-events SQS queue.

HTTP: the whole body is validated first and nothing is stored if any event is malformed (400 naming
the field); then every event is stored under the poster's owner → 200 with a summary.
SQS: each message is stored on its own; a bad one becomes a batch item failure (retried, then DLQ).
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from fleetreport.auth.jwt import authenticate
from fleetreport.compliance import openapi
from fleetreport.compliance.events import EventError, parse_events
from fleetreport.compliance.ingest import IngestSummary, InvalidBody, ingest_events, loads_strict
from fleetreport.compliance.queue import consume_batch, is_sqs_batch
from fleetreport.errors import BadRequest, PermissionDenied
from fleetreport.http import api_handler, json_response, logger, make_resolver, metrics

MAX_EVENTS_PER_REQUEST = 100

app = make_resolver()


@app.post(
    "/events",
    summary="Post Candlepin compliance events",
    responses=openapi.post_responses(MAX_EVENTS_PER_REQUEST),
    openapi_extensions=openapi.post_body(MAX_EVENTS_PER_REQUEST),
)
def post_events() -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    if not principal.may_ingest_events():
        raise PermissionDenied()
    try:
        body = loads_strict(app.current_event.decoded_body)
    except InvalidBody:
        raise BadRequest("invalid request body") from None
    if isinstance(body, list) and len(body) > MAX_EVENTS_PER_REQUEST:
        raise BadRequest(f"events: at most {MAX_EVENTS_PER_REQUEST} events per request")
    try:
        events = parse_events(body)
    except EventError as error:
        raise BadRequest(str(error)) from None
    summary = ingest_events(principal.owner, events, app.lambda_context)
    record_metrics(summary)
    return json_response(200, summary.as_dict())


def record_metrics(summary: IngestSummary) -> None:
    metrics.add_metric(name="SnapshotsStored", unit=MetricUnit.Count, value=summary.snapshots_stored)


http_handler = api_handler(app)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def queue_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response, summary = consume_batch(event, context)
    record_metrics(summary)
    logger.info("compliance events consumed", extra={"summary": summary.as_dict()})
    return response


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One function, two event sources: SQS batches and HTTP API requests."""
    if is_sqs_batch(event):
        return queue_handler(event, context)
    return http_handler(event, context)
