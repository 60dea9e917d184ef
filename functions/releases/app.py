"""The releases function: release health per version and the rollout gate (JWT; SPEC §12)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from fleetreport import snapstart  # noqa: F401 (registers the SnapStart runtime hooks)
from fleetreport.auth.jwt import authenticate
from fleetreport.http import api_handler, json_response, make_resolver
from fleetreport.releases import openapi, reads
from fleetreport.storage.aws import dynamodb

app = make_resolver(authenticate)  # every route: the JWT is checked before the request's shape
dynamodb()

Text = Annotated[str | None, Query()]


@app.get("/apps/<app_id>/releases", summary="Release health per version", responses=openapi.LIST_RESPONSES)
def list_releases(
    app_id: str,
    days: Annotated[str | None, Query(description="UTC days in each version's series, 1..90 (14)")] = None,
    channel: Text = None,
    platform: Text = None,
    limit: Annotated[str | None, Query(description="versions per page, 1..100 (20)")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    answer = reads.list_releases(
        principal, app_id, days=days, channel=channel, platform=platform, limit=limit, cursor=cursor
    )
    return json_response(200, answer.to_json())


@app.get(
    "/apps/<app_id>/releases/<version>",
    summary="Release health of one version",
    responses=openapi.GET_RESPONSES,
)
def get_release(
    app_id: str, version: str, days: Text = None, channel: Text = None, platform: Text = None
) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    answer = reads.get_release(principal, app_id, version, days=days, channel=channel, platform=platform)
    return json_response(200, answer.to_json())


@app.get(
    "/apps/<app_id>/releases/<version>/gate",
    summary="May a staged rollout of this version widen?",
    responses=openapi.GATE_RESPONSES,
)
def release_gate(app_id: str, version: str, channel: Text = None) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(200, reads.release_gate(principal, app_id, version, channel=channel).to_json())


lambda_handler = api_handler(app)
