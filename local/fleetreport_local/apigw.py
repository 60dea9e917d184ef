"""Build API Gateway HTTP API (payload format 2.0) events and Lambda contexts, as API Gateway would."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str = "local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: str | dict[str, Any] | list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
    domain_name: str = "127.0.0.1",
) -> dict[str, Any]:
    """An HTTP API v2 event. Multi-valued query parameters are joined with commas, like API Gateway.

    `domain_name` is the API's own address (on AWS the execute-api or custom domain; locally the
    server's `127.0.0.1:PORT`), never the request's Host header, which the client writes."""
    if isinstance(query, dict):
        pairs = [(k, str(v)) for k, vs in query.items() for v in (vs if isinstance(vs, list) else [vs])]
    elif isinstance(query, str):
        pairs = parse_qsl(query, keep_blank_values=True)
    else:
        pairs = list(query or [])
    raw_query = query if isinstance(query, str) else urlencode(pairs)
    joined: dict[str, str] = {}
    for key, value in pairs:
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    is_binary = isinstance(body, bytes)
    if is_binary:
        try:
            text_body: str | None = body.decode("utf-8")  # type: ignore[union-attr]
            is_binary = False
        except UnicodeDecodeError:
            text_body = base64.b64encode(body).decode()  # type: ignore[arg-type]
    else:
        text_body = body  # type: ignore[assignment]
    now = time.time()
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method.upper()} {path}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key or f"{method.upper()} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_binary,
    }
    if joined:
        event["queryStringParameters"] = joined
    if path_parameters:
        event["pathParameters"] = path_parameters
    if text_body is not None:
        event["body"] = text_body
    return event


def sqs_event(
    bodies: list[str], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:events"
) -> dict[str, Any]:
    """An SQS event source batch, one record per body."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(time.time() * 1000)),
                    "SenderId": "local",
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }
