"""The admin function: apps and their report keys (SPEC §3.6)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from fleetreport import snapstart
from fleetreport.alerts import openapi as alerts_openapi
from fleetreport.apps import admin
from fleetreport.apps.answers import AppList, CreatedApp, RegeneratedKey, ReportKeyList, UpdatedApp
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
from fleetreport.http import api_handler, json_body, json_response, make_resolver
from fleetreport.storage.aws import dynamodb

app = make_resolver(authenticate)  # every route: the JWT is checked before the request's shape
dynamodb()  # the client is built during init, not on the first request


@app.post("/apps", summary="Create an app", responses=CREATE_APP_RESPONSES)
def create_app(body: Annotated[NewAppBody | None, Body()] = None) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    created, key = admin.create_app(principal, as_dict(body))
    return json_response(201, CreatedApp.of(created, key).to_json())


@app.get("/apps", summary="List apps", responses=LIST_APPS_RESPONSES)
def list_apps() -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(200, AppList.of(admin.list_apps(principal)).to_json())


@app.patch("/apps/<app_id>", summary="Update an app", responses=PATCH_APP_RESPONSES)
def update_app(app_id: str, body: Annotated[AppChangeBody | None, Body()] = None) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    updated, key = admin.update_app(principal, app_id, as_dict(body))
    return json_response(200, UpdatedApp.of(updated, report_key=key).to_json())


@app.get("/report-keys/list", summary="List report keys", responses=LIST_KEYS_RESPONSES)
def list_report_keys() -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    return json_response(200, ReportKeyList.of(admin.list_report_keys(principal)).to_json())


@app.post("/report-keys/regenerate", summary="Regenerate a report key", responses=REGENERATE_RESPONSES)
def regenerate_report_key(body: Annotated[RegenerateBody | None, Body()] = None) -> Response[Any]:
    principal = authenticate(app.current_event.headers)
    regenerated, key_value = admin.regenerate_report_key(principal, as_dict(body))
    return json_response(200, RegeneratedKey.of(regenerated, key_value).to_json())


# The alert rules and the alert log serve three of these routes, seldom called (configuration, the
# recent-alerts list): imported on their first use, or before the SnapStart snapshot on AWS
# (docs/performance.md, cold start).
snapstart.preload("fleetreport.alerts.rules", "fleetreport.alerts.log")


@app.get(
    "/apps/<app_id>/alerts", summary="Get an app's alert rules", responses=alerts_openapi.GET_RULES_RESPONSES
)
def get_alert_rules(app_id: str) -> Response[Any]:
    from fleetreport.alerts import rules as alert_rules

    principal = authenticate(app.current_event.headers)
    return json_response(200, alert_rules.get_alert_rules(principal, app_id))


@app.put(
    "/apps/<app_id>/alerts",
    summary="Set an app's alert rules",
    responses=alerts_openapi.PUT_RULES_RESPONSES,
    openapi_extensions=alerts_openapi.RULES_BODY,
)
def put_alert_rules(app_id: str) -> Response[Any]:
    from fleetreport.alerts import rules as alert_rules

    principal = authenticate(app.current_event.headers)
    body = json_body(app.current_event.decoded_body)
    return json_response(200, alert_rules.put_alert_rules(principal, app_id, body))


Text = Annotated[str | None, Query()]


@app.get("/alerts", summary="List recent alerts", responses=alerts_openapi.LIST_ALERTS_RESPONSES)
def list_alerts(
    app_name: Annotated[str | None, Query(alias="app")] = None,
    signal: Text = None,
    limit: Text = None,
    cursor: Text = None,
) -> Response[Any]:
    from fleetreport.alerts import log as alert_log

    principal = authenticate(app.current_event.headers)
    return json_response(200, alert_log.list_alerts(principal, app_name, signal, limit, cursor))


lambda_handler = api_handler(app)
