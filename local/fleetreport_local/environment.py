"""The environment the functions see locally: the template's env vars, overridden by the caller's.

On AWS each function gets the variables template.yaml gives it. Locally all functions share one
process, so the stack applies the union (they only differ in POWERTOOLS_SERVICE_NAME, which the
invoker sets per function at import), with same-named variables of the stack's own environment
winning, so `REPORTS_RATE_LIMIT_PER_GROUP_PER_MINUTE=0 make run` works.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from typing import Any

import boto3
from fleetreport.settings import ConfigError, get_settings, parse_settings
from fleetreport.storage.aws import reset_clients

from fleetreport_local.invoker import function_environment
from fleetreport_local.template import Function, Template
from fleetreport_local.tokens import DEV_SECRET

LOCAL_REGION = "us-east-1"  # the template resolves ARNs in this region locally
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Locally EMF metric lines are noise on stderr; `POWERTOOLS_METRICS_DISABLED=false` brings them back.
LOCAL_DEFAULTS = {"POWERTOOLS_METRICS_DISABLED": "true"}
# Locally, alert webhooks may go to a receiver on this machine (http://127.0.0.1:...): the template
# says "false" for AWS, the local stack says "true" unless its own environment says otherwise.
LOCAL_OVERRIDES = {"ALERTS_ALLOW_HTTP_LOOPBACK": "true"}


def jwt_secret(environ: Mapping[str, str]) -> str:
    """JWT_SECRET if set, else the dev secret that `fleetreport token` signs with."""
    return environ.get("JWT_SECRET") or environ.get("FLEETREPORT_DEV_SECRET") or DEV_SECRET


def stack_environment(template: Template, environ: Mapping[str, str]) -> dict[str, str]:
    """The env vars of every function (their union), overridden by same-named vars of `environ`."""
    env = {**LOCAL_DEFAULTS, **function_environment(template, dict(environ))}
    env.update({name: environ.get(name, value) for name, value in LOCAL_OVERRIDES.items()})
    env["JWT_SECRET"] = jwt_secret(environ)
    return env


def single_function_environment(function: Function, environ: Mapping[str, str]) -> dict[str, str]:
    """One function's env vars from the template, overridden by same-named vars of `environ`."""
    env = {**LOCAL_DEFAULTS, **function.env}
    env.update({name: value for name, value in LOCAL_OVERRIDES.items() if name in env})
    for name, value in environ.items():
        if name in env or name.startswith(("REPORTS_", "JWT_", "POWERTOOLS_")):
            env[name] = value
    env["JWT_SECRET"] = jwt_secret(environ)
    return env


def validate_settings(template: Template, environ: Mapping[str, str]) -> None:
    """Parse every function's settings as it would at request time; ConfigError names the bad one."""
    for function in template.functions().values():
        settings = parse_settings(single_function_environment(function, environ))
        settings.check_jwt()


def apply_environment(env: Mapping[str, str]) -> None:
    """Put `env` into this process's environment and forget settings/clients built from the old one."""
    os.environ.update(env)
    get_settings.cache_clear()
    reset_clients()


def point_boto3_at(endpoint: str) -> None:
    """Every boto3 client created from now on talks to `endpoint` with throwaway credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    apply_environment({"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": LOCAL_REGION, **FAKE_CREDENTIALS})


def local_session() -> Any:
    """A boto3 session with the local stack's throwaway credentials (pass endpoint_url to clients)."""
    return boto3.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=LOCAL_REGION,
    )


def verify_jwt_configuration() -> None:
    """Run the auth module's own start-up check, when that module provides one.

    Reads the settings from os.environ, so call it after `apply_environment`.
    """
    try:
        from fleetreport.auth import jwt as jwt_auth
    except ModuleNotFoundError as exc:
        if exc.name == "fleetreport.auth.jwt":
            return
        raise
    verify = getattr(jwt_auth, "verify_configuration", None)
    if verify is None:
        return
    required = [
        p
        for p in inspect.signature(verify).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    verify(get_settings()) if required else verify()


__all__ = [
    "ConfigError",
    "apply_environment",
    "jwt_secret",
    "local_session",
    "point_boto3_at",
    "single_function_environment",
    "stack_environment",
    "validate_settings",
    "verify_jwt_configuration",
]
