"""Invoke the real Lambda handlers in-process, routed and configured by template.yaml.

One `Invoker` is one warm "container" per function: it imports each handler module once, under a
unique module name, with the environment the template gives that function. The local stack keeps a
pool of them so concurrent requests behave like concurrent Lambda containers; the tests use one.
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import json
import os
import sys
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fleetreport_local import isolation
from fleetreport_local.apigw import LambdaContext, http_api_event
from fleetreport_local.template import Function, Template

_IMPORT_LOCK = threading.Lock()
isolation.install()  # containers are threads of one process: keep each request's event its own
_SEQUENCE = itertools.count()


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def function_environment(template: Template, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The env vars every function gets (the union of the template's), overridden by same-named vars.

    Function-specific names never collide in the template except POWERTOOLS_SERVICE_NAME, which is
    applied per function while its module is imported (Powertools reads it then).
    """
    env: dict[str, str] = {}
    for function in template.functions().values():
        env.update(function.env)
    env.pop("POWERTOOLS_SERVICE_NAME", None)
    for name, value in (overrides or {}).items():
        if name in env or name.startswith(("REPORTS_", "JWT_", "POWERTOOLS_")):
            env[name] = value
    return env


class Invoker:
    def __init__(self, template: Template) -> None:
        self.template = template
        self._functions: dict[str, Function] = template.functions()
        self._modules: dict[str, ModuleType] = {}

    def function(self, name_or_id: str) -> Function:
        """Find a function by logical id (`IngestFunction`) or folder name (`ingest`)."""
        if name_or_id in self._functions:
            return self._functions[name_or_id]
        for function in self._functions.values():
            if function.name == name_or_id:
                return function
        raise KeyError(f"no function {name_or_id!r} in template.yaml")

    def module(self, logical_id: str) -> ModuleType:
        if logical_id not in self._modules:
            function = self._functions[logical_id]
            file_name, _ = function.handler.rsplit(".", 1)
            path = function.code_uri / f"{file_name}.py"
            module_name = f"fleetreport_fn_{function.name}_{next(_SEQUENCE)}"
            with _IMPORT_LOCK:
                previous = os.environ.get("POWERTOOLS_SERVICE_NAME")
                os.environ["POWERTOOLS_SERVICE_NAME"] = function.env.get(
                    "POWERTOOLS_SERVICE_NAME", function.name
                )
                try:
                    spec = importlib.util.spec_from_file_location(module_name, path)
                    assert spec and spec.loader
                    module = importlib.util.module_from_spec(spec)
                    sys.modules[module_name] = module
                    spec.loader.exec_module(module)
                finally:
                    if previous is None:
                        os.environ.pop("POWERTOOLS_SERVICE_NAME", None)
                    else:
                        os.environ["POWERTOOLS_SERVICE_NAME"] = previous
            self._modules[logical_id] = module
        return self._modules[logical_id]

    def invoke(self, name_or_id: str, event: dict[str, Any]) -> Any:
        function = self.function(name_or_id)
        handler = getattr(self.module(function.logical_id), function.handler.rsplit(".", 1)[1])
        return handler(event, LambdaContext(function_name=function.name))

    def http(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        query: str | dict[str, Any] | list[tuple[str, str]] | None = None,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
    ) -> HttpResult:
        """Route a request like API Gateway would and return the handler's answer."""
        matched = self.template.match(method, path)
        if matched is None:
            return HttpResult(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
        route, params = matched
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        event = http_api_event(
            method,
            path,
            route_key=f"{route.method} {route.path}",
            path_parameters=params or None,
            query=query,
            headers=headers,
            body=body,
        )
        return to_http_result(self.invoke(route.function, event))


def to_http_result(response: dict[str, Any]) -> HttpResult:
    """Turn a payload-2.0 Lambda response into status, headers and body bytes."""
    if not isinstance(response, dict) or "statusCode" not in response:
        body = json.dumps(response).encode()
        return HttpResult(200, {"content-type": "application/json"}, body)
    headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    return HttpResult(int(response["statusCode"]), headers, body)
