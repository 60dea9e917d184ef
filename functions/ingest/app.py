"""The ingest function: `POST /reports/ingest` counts a health report into its group (report keys)."""

import base64
import binascii
from typing import Any

from aws_lambda_powertools.event_handler import Response
from fleetreport import snapstart
from fleetreport.groups import openapi
from fleetreport.groups.ingest import ingest_report
from fleetreport.http import api_handler, json_response, make_resolver
from fleetreport.releases import openapi as releases_openapi
from fleetreport.releases.beacon import accept_beacon
from fleetreport.storage.aws import dynamodb, s3

app = make_resolver()
dynamodb()
# The S3 client is the costliest to build and only reports with details need it: built on
# first use, or before the SnapStart snapshot on AWS (bench/RESULTS.md, cold start notes).
snapstart.warm(s3)


def raw_body() -> bytes | None:
    """The body's bytes as the client sent them (API Gateway base64-encodes binary bodies); None when
    the encoding is broken, which ingest reports as an invalid body in its turn (check 4)."""
    event = app.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError):
            return None
    return body.encode("utf-8")


@app.post(
    "/reports/ingest",
    summary="Report a client health event",
    responses=openapi.INGEST_RESPONSES,
    openapi_extensions=openapi.INGEST_BODY,
)
def ingest() -> Response[Any]:
    result = ingest_report(app.current_event.headers or {}, raw_body())
    return json_response(202, result.body())


@app.post(
    "/reports/beacon",
    summary="A device is running a version (release health)",
    responses=releases_openapi.BEACON_RESPONSES,
    openapi_extensions=releases_openapi.BEACON_BODY,
)
def beacon() -> Response[Any]:
    accept_beacon(app.current_event.headers or {}, raw_body())
    return Response(status_code=204, content_type=None, body="")


lambda_handler = api_handler(app)
