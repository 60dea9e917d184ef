"""boto3 clients, created once per container. boto3 honours AWS_ENDPOINT_URL, which is how the
local stack and the tests point them at moto."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode retries throttling and 5xx with exponential backoff and jitter.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=2,
    read_timeout=5,
    signature_version="s3v4",
)


@lru_cache(maxsize=1)
def dynamodb() -> Any:
    """The DynamoDB service resource (its Table objects are cheap views on one client)."""
    return boto3.resource("dynamodb", config=CLIENT_CONFIG)


def table(name: str) -> Any:
    return dynamodb().Table(name)


@lru_cache(maxsize=1)
def s3() -> Any:
    return boto3.client("s3", config=CLIENT_CONFIG)


@lru_cache(maxsize=1)
def sqs() -> Any:
    return boto3.client("sqs", config=CLIENT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints between cases)."""
    dynamodb.cache_clear()
    s3.cache_clear()
    sqs.cache_clear()
