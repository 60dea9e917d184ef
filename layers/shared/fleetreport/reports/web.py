"""HTTP side of the Gutterball routes (catalog, run_report): every answer carries `X-Request-Uuid`, and
report errors answer `{"displayMessage": ..., "requestUuid": ...}` with the same uuid."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from pydantic import BaseModel, ConfigDict, Field

from fleetreport.errors import ReportError
from fleetreport.http import api_handler, json_response, logger, make_resolver

REQUEST_UUID_HEADER = "X-Request-Uuid"
_request_uuid: ContextVar[str] = ContextVar("request_uuid", default="")


def request_uuid() -> str:
    """The uuid of the request being answered (one is made up if called outside a request)."""
    value = _request_uuid.get()
    if not value:
        value = str(uuid.uuid4())
        _request_uuid.set(value)
    return value


# Serializes every report error and is its schema in the OpenAPI document (fleetreport.reports.openapi).
class ReportErrorBody(BaseModel):
    """Gutterball's error body; `requestUuid` is also the `X-Request-Uuid` header."""

    model_config = ConfigDict(frozen=True)
    display_message: str = Field(
        alias="displayMessage", examples=["on_date: Invalid date string. Expected format: yyyy-MM-dd"]
    )
    request_uuid: str = Field(alias="requestUuid", json_schema_extra={"format": "uuid"})


def report_error_response(status: int, display_message: str) -> Response[Any]:
    body = ReportErrorBody(displayMessage=display_message, requestUuid=request_uuid())
    return json_response(status, body.model_dump(by_alias=True))


def gutterball_resolver() -> APIGatewayHttpResolver:
    app = make_resolver()

    @app.exception_handler(ReportError)
    def _report_error(error: ReportError) -> Response[Any]:
        return report_error_response(error.status, error.display_message)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("report failed")
        return report_error_response(500, "An unexpected error occurred.")

    return app


def gutterball_handler(app: APIGatewayHttpResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """`api_handler`, plus a fresh request uuid per invocation stamped on whatever the answer is."""
    inner = api_handler(app)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        token = _request_uuid.set(str(uuid.uuid4()))
        try:
            response = inner(event, context)
            if isinstance(response, dict):
                headers = response.setdefault("headers", {}) or {}
                headers[REQUEST_UUID_HEADER] = _request_uuid.get()
                response["headers"] = headers
            return response
        finally:
            _request_uuid.reset(token)

    return handler
