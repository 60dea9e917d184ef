"""The `--env-vars` file that points `sam local` (Docker) containers at the running local stack.

`sam local` sets only the variables a function declares in template.yaml, and resolves `!Ref AppsTable`
to the logical id, not a table: so the file gives every function every variable it declares (Globals
included), with the values the running stack resolves them to — its physical table, bucket, queue and
bus names, the dev JWT secret, and `AWS_ENDPOINT_URL` (declared empty in Globals for this) at the
stack's moto server as a container reaches it. Credentials and region are not function variables:
`sam local` takes them from its own environment (`make sam-local` sets fake ones and us-east-1).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from fleetreport_local.environment import LOCAL_REGION, single_function_environment
from fleetreport_local.template import Template

DOCKER_DESKTOP_HOST = "host.docker.internal"  # Docker Desktop (macOS, Windows): the host, from a container
LINUX_BRIDGE_HOST = "172.17.0.1"  # docker0, the default bridge's gateway: the host, from a container
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
# What `sam local` puts into every container from its own environment (`make sam-local` sets these).
SAM_SHELL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": LOCAL_REGION,
    "AWS_DEFAULT_REGION": LOCAL_REGION,
}


def default_container_host(system: str | None = None) -> str:
    """How a container reaches this machine: Docker Desktop's name, or the Linux bridge's gateway."""
    system = system or platform.system()
    return LINUX_BRIDGE_HOST if system == "Linux" else DOCKER_DESKTOP_HOST


def with_host(url: str, host: str) -> str:
    """`url` with its host replaced (port, path and query kept)."""
    parts = urlsplit(url)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def sam_env_vars(
    template: Template,
    aws_endpoint: str,
    host: str,
    api: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, dict[str, str]]:
    """{logical id: {variable: value}} for every function of the template, as the containers need it.

    The values are the ones `fleetreport invoke` runs that function with (the template's, overridden
    by same-named REPORTS_/JWT_/POWERTOOLS_ variables of `environ`), restricted to what the function
    declares; every URL of the stack's moto server is rewritten to `host`.
    """
    environ = os.environ if environ is None else environ
    container_endpoint = with_host(aws_endpoint, host)
    prefix = aws_endpoint.rstrip("/")
    out: dict[str, dict[str, str]] = {}
    for logical_id, function in sorted(template.functions(aws_endpoint).items()):
        local = single_function_environment(function, environ)
        env = {name: local.get(name, value) for name, value in function.env.items()}
        for name, value in env.items():
            if value == prefix or value.startswith(prefix + "/"):  # queue URLs
                env[name] = container_endpoint.rstrip("/") + value[len(prefix) :]
        if ENDPOINT_VARIABLE in env:
            env[ENDPOINT_VARIABLE] = container_endpoint
        if api and "DASHBOARD_URL" in env:
            env["DASHBOARD_URL"] = api  # alert links are opened in a browser on this machine
        out[logical_id] = env
    return out


def undeclared_endpoint(template: Template) -> list[str]:
    """Functions that do not declare AWS_ENDPOINT_URL (sam local would point them at real AWS)."""
    return sorted(fid for fid, fn in template.functions().items() if ENDPOINT_VARIABLE not in fn.env)


def unreachable_warning(host: str, storage_hosts: list[str], port: int | None) -> str | None:
    """Why a container may not reach the stack's storage at `host`, or None when it should.

    The stack's moto server listens on 127.0.0.1 (and on `fleetreport serve --storage-host`'s address):
    a Linux container reaches the host through the bridge address only if moto listens there too.
    Docker Desktop's `host.docker.internal` forwards to the host's loopback, so it needs nothing.
    """
    if host == DOCKER_DESKTOP_HOST or host in storage_hosts or "0.0.0.0" in storage_hosts:
        return None
    listening = ", ".join(storage_hosts) or "127.0.0.1"
    return (
        f"the stack's storage listens on {listening} only: containers cannot reach {host}:{port}; "
        f"restart it with `STORAGE_HOST={host} make run` (or `fleetreport serve --storage-host {host}`)"
    )


__all__ = [
    "DOCKER_DESKTOP_HOST",
    "LINUX_BRIDGE_HOST",
    "SAM_SHELL_ENVIRONMENT",
    "default_container_host",
    "sam_env_vars",
    "undeclared_endpoint",
    "unreachable_warning",
    "with_host",
]
