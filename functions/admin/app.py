"""The admin function: apps and their report keys (SPEC §3.6)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from fleetreport.apps import admin
from fleetreport.apps.openapi import (
    CREATE_APP_RESPONSES,
    LIST_APPS_RESPONSES,
    LIST_KEYS_RESPONSES,
    PATCH_APP_RESPONSES,
    REGENERATE_RESPONSES,
    AppChangeBody,
    NewAppBody,
    RegenerateBody,
    as_dict,
)
from fleetreport.auth.jwt import authenticate
from fleetreport.http import api_handler, authenticate_before_validation, json_response, make_resolver
from fleetreport.storage.aws import dynamodb

app = make_resolver()
authenticate_before_validation(app, authenticate)
dynamodb()  # the client is built during init, not on the first request


@app.post("/apps", summary="Create an app", responses=CREATE_APP_RESPONSES)
def create_app(body: Annotated[NewAppBody | None, Body()] = None) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(201, admin.create_app(principal, as_dict(body)))


@app.get("/apps", summary="List apps", responses=LIST_APPS_RESPONSES)
def list_apps() -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(200, admin.list_apps(principal))


@app.patch("/apps/<app_id>", summary="Update an app", responses=PATCH_APP_RESPONSES)
def update_app(app_id: str, body: Annotated[AppChangeBody | None, Body()] = None) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(200, admin.update_app(principal, app_id, as_dict(body)))


@app.get("/report-keys/list", summary="List report keys", responses=LIST_KEYS_RESPONSES)
def list_report_keys() -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(200, admin.list_report_keys(principal))


@app.post("/report-keys/regenerate", summary="Regenerate a report key", responses=REGENERATE_RESPONSES)
def regenerate_report_key(body: Annotated[RegenerateBody | None, Body()] = None) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(200, admin.regenerate_report_key(principal, as_dict(body)))


lambda_handler = api_handler(app)
