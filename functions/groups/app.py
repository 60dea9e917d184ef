"""The groups function: list, read, triage and delete report groups (JWT; faynoSync's contract)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from fleetreport import jsontext, snapstart
from fleetreport.auth.jwt import authenticate
from fleetreport.auth.principal import Action, Principal
from fleetreport.errors import NotFound
from fleetreport.groups import lookup, openapi, query, triage
from fleetreport.groups.activity import parse_activity
from fleetreport.groups.answers import BlobList
from fleetreport.http import api_handler, json_response, make_resolver
from fleetreport.settings import get_settings
from fleetreport.storage.aws import dynamodb, s3

dynamodb()
# The S3 client is the costliest to build and only blob lists and deletes need it: built on
# first use, or before the SnapStart snapshot on AWS (bench/RESULTS.md, cold start notes).
snapstart.warm(s3)


def authenticated(headers: Any) -> Principal:
    """Who asks, checked in the routes' own order (reports off → 404, then the JWT → 401)."""
    if not get_settings().reports_enabled:
        raise NotFound("not found")
    return authenticate(headers)


app = make_resolver(authenticated)  # every route: checked before the request's shape

Text = Annotated[str | None, Query()]


def principal_for(action: Action) -> Principal:
    """Report groups exist only while reports are enabled (the routes are off otherwise, as in
    faynoSync); then the JWT, then the permission the route needs."""
    principal = authenticated(app.current_event.headers)
    principal.require("apps", action)
    return principal


@app.get("/reports/groups", summary="List report groups", responses=openapi.LIST_RESPONSES)
def list_groups(
    app_name: Annotated[str | None, Query(alias="app")] = None,
    version: Text = None,
    channel: Text = None,
    platform: Text = None,
    arch: Text = None,
    type: Text = None,
    reason: Text = None,
    since: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query(alias="to")] = None,
    status: Text = None,
    page: Text = None,
    limit: Text = None,
    cursor: Annotated[
        str | None,
        Query(description="next_cursor of the previous page: the page after it (then `page` is ignored)"),
    ] = None,
    activity: Text = None,
) -> Response[Any]:
    principal = principal_for("download")
    given = {
        "app": app_name,
        "version": version,
        "channel": channel,
        "platform": platform,
        "arch": arch,
        "type": type,
        "reason": reason,
        "from": since,
        "to": until,
        "status": status,
        "page": page,
        "limit": limit,
        "cursor": cursor,
    }
    parsed = query.parse_group_query({name: value for name, value in given.items() if value is not None})
    return json_response(200, query.list_groups(principal, parsed, parse_activity(activity)))


@app.get("/reports/groups/<group_hash>", summary="Get a report group", responses=openapi.GET_RESPONSES)
def get_group(group_hash: str, app_name: Annotated[str | None, Query(alias="app")] = None) -> Response[Any]:
    principal = principal_for("download")
    return json_response(200, lookup.get_group(principal, group_hash, app_name))


@app.get(
    "/reports/groups/<group_hash>/blobs",
    summary="List a group's detail blobs",
    responses=openapi.BLOBS_RESPONSES,
)
def list_blobs(
    group_hash: str, limit: Text = None, app_name: Annotated[str | None, Query(alias="app")] = None
) -> Response[Any]:
    principal = principal_for("download")
    lookup.check_group_hash(group_hash)
    items = lookup.list_group_blobs(principal, group_hash, lookup.parse_blob_limit(limit), app_name)
    return json_response(200, BlobList.model_construct(items=items).to_json())


@app.patch(
    "/reports/groups/<group_hash>",
    summary="Triage a report group",
    responses=openapi.PATCH_RESPONSES,
    openapi_extensions=openapi.PATCH_BODY,
)
def patch_group(group_hash: str, app_name: Annotated[str | None, Query(alias="app")] = None) -> Response[Any]:
    principal = principal_for("edit")
    return json_response(200, triage.patch_group(principal, group_hash, request_json(), app_name).to_json())


@app.delete(
    "/reports/groups/<group_hash>", summary="Delete a report group", responses=openapi.DELETE_RESPONSES
)
def delete_group(
    group_hash: str, app_name: Annotated[str | None, Query(alias="app")] = None
) -> Response[Any]:
    principal = principal_for("delete")
    return json_response(200, triage.delete_group(principal, group_hash, app_name).to_json())


def request_json() -> Any:
    """The JSON body, or None when it is absent or not JSON (the domain says `invalid request body`)."""
    try:
        return jsontext.loads(app.current_event.decoded_body or "")
    except (ValueError, RecursionError):
        return None


lambda_handler = api_handler(app)
