"""Temporary 501 answers for functions whose domain code has not landed yet."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from fleetreport.http import json_response


def answer_501(app: APIGatewayHttpResolver, routes: list[tuple[str, str]]) -> None:
    """Every request this function receives (API Gateway only routes it the template's routes) is a 501."""

    @app.not_found
    def _unimplemented(_: Exception) -> Response[Any]:
        return json_response(501, {"error": "not implemented"})
