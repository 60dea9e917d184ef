"""HTTP plumbing shared by every API function: the resolver, error mapping, and the Lambda entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import BotoCoreError, ClientError

from fleetreport import jsontext
from fleetreport.errors import BadRequest, DomainError, TemporarilyUnavailable

logger = Logger()
metrics = Metrics()

# DynamoDB/S3 answers that mean "try again later": after botocore's own retries they become a 503.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "SlowDown",
        "TransactionConflictException",
    }
)

JSON = "application/json"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        headers=headers or {},
    )


def error_response(error: DomainError) -> Response:
    return json_response(error.status, error.body(), error.headers())


def is_transient(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code", "") in TRANSIENT_ERROR_CODES


def make_resolver(authenticate: Callable[[Any], Any] | None = None) -> APIGatewayHttpResolver:
    """A resolver whose errors all come back as `{"error": ...}` bodies with the right status.

    `authenticate` (for functions whose every route is behind it) runs before Powertools' request
    validation, so an anonymous caller is refused (401) before anything looks at the request's shape:
    what a request should look like is no business of a caller we do not know."""
    app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=jsontext.loads)
    # Powertools runs its request validation before any middleware of ours (api_gateway.py,
    # `_build_middleware_stack`): the one place to put authentication and our body reader first.
    app._request_validation_middleware = AuthenticatedValidation(authenticate)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def _validation_error(error: RequestValidationError) -> Response:
        return json_response(400, {"error": invalid_input_message(error)})

    @app.exception_handler([RecursionError, UnicodeDecodeError])
    def _unreadable_body(error: Exception) -> Response:
        # A route reading `decoded_body` of a body that is not UTF-8 text.
        return json_response(400, {"error": "invalid request body"})

    @app.exception_handler(ClientError)
    def _client_error(error: ClientError) -> Response:
        if is_transient(error):
            logger.warning("storage unavailable", extra={"code": error.response["Error"]["Code"]})
            return error_response(TemporarilyUnavailable())
        logger.exception("storage error")
        return json_response(500, {"error": "internal error"})

    @app.exception_handler(BotoCoreError)
    def _botocore_error(error: BotoCoreError) -> Response:
        logger.warning("storage unreachable", extra={"error_type": type(error).__name__})
        return error_response(TemporarilyUnavailable())

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return json_response(404, {"error": "not found"})

    return app


def invalid_input_message(error: Exception) -> str:
    """`invalid query` when only query parameters failed Powertools' validation (e.g. a parameter given
    twice where one value is expected), else `invalid request body`."""
    if isinstance(error, RequestValidationError):
        places = {str(item.get("loc", ("",))[0]) for item in error.errors() if isinstance(item, dict)}
        if places and places <= {"query"}:
            return "invalid query"
    return "invalid request body"


class AuthenticatedValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, with authentication first and bodies read by `read_json_body`.

    Powertools reads a declared body by its Content-Type: 415 with its own body for text/plain, a
    `ValueError` (a 500) for multipart without a boundary or a JSON integer of 5,001 digits (Python's
    int-string limit), and all of it before the route could authenticate. Here the body is JSON
    whatever the Content-Type says, as on the routes that read their bodies themselves."""

    def __init__(self, authenticate: Callable[[Any], Any] | None) -> None:
        super().__init__()
        self.authenticate = authenticate

    def handler(self, app: Any, next_middleware: Any) -> Response:
        if self.authenticate is not None:
            self.authenticate(app.current_event.headers)  # a DomainError: its 401 (or 404) answer
        return super().handler(app, next_middleware)

    def _get_body(self, app: Any) -> Any:
        return read_json_body(app.current_event)


def read_json_body(event: Any) -> Any:
    """The request body as JSON (None when empty), whatever its Content-Type; 400 `invalid request
    body` for anything else: not base64, not UTF-8, not JSON, nested too deep, an integer past
    Python's digit limit, a lone surrogate."""
    try:
        raw = event.decoded_body
        return None if raw is None or raw == "" else jsontext.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError, binascii.Error, JSONDecodeError too
        raise BadRequest("invalid request body") from None


def api_handler(app: APIGatewayHttpResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point for an HTTP API function: logging with the request id, metrics, routing."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return with_api_headers(app.resolve(event, context))

    return handler


# Every API answer, errors and CSV included: never sniffed into another type (a JSON error must not
# render as HTML), never kept by a browser or shared cache (answers hold tenant data and depend on
# the token, which caches do not key on).
API_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def with_api_headers(response: dict[str, Any]) -> dict[str, Any]:
    if isinstance(response, dict):
        headers = response.get("headers") or {}
        present = {name.lower() for name in headers}
        response["headers"] = {
            **headers,
            **{name: value for name, value in API_HEADERS.items() if name.lower() not in present},
        }
    return response


def json_body(raw: str | None) -> Any:
    """Parse a request body; None when it is not JSON (callers pick their own error message)."""
    if raw is None or raw == "":
        return None
    try:
        return jsontext.loads(raw)
    except (ValueError, RecursionError):
        return None
