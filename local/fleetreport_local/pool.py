"""Warm Lambda "containers" per function, so concurrent requests behave like concurrent Lambdas.

A container is an `Invoker` holding its own import of the function's handler module. Powertools
resolvers keep per-request state on the module's `app`, so a container serves one request at a time;
the pool grows on demand up to `max_per_function` containers and then makes callers wait, as Lambda's
concurrency limit would (without the throttling error).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fleetreport_local.invoker import Invoker
from fleetreport_local.template import Template

DEFAULT_CONTAINERS_PER_FUNCTION = 8


class ContainerPool:
    def __init__(self, template: Template, max_per_function: int = DEFAULT_CONTAINERS_PER_FUNCTION) -> None:
        self.template = template
        self.max_per_function = max_per_function
        self._idle: dict[str, list[Invoker]] = {}
        self._started: dict[str, int] = {}
        self._changed = threading.Condition()

    @contextmanager
    def container(self, logical_id: str) -> Iterator[Invoker]:
        """A warm container of `logical_id` for the duration of one invocation (cold-started if none)."""
        invoker = self._take(logical_id)
        try:
            yield invoker
        finally:
            with self._changed:
                self._idle[logical_id].append(invoker)
                self._changed.notify()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        with self.container(logical_id) as invoker:
            return invoker.invoke(logical_id, event)

    def warm(self) -> dict[str, str]:
        """Cold-start one container per function now; returns {logical id: error} for those that failed.

        A handler that fails to import is reported, not fatal: its requests answer 500 like a Lambda
        whose init failed, and the rest of the API keeps working.
        """
        failures: dict[str, str] = {}
        for logical_id in self.template.functions():
            try:
                with self.container(logical_id):
                    pass
            except Exception as exc:  # a broken handler module: report it, serve the others
                failures[logical_id] = f"{type(exc).__name__}: {exc}"
        return failures

    def size(self, logical_id: str) -> int:
        with self._changed:
            return self._started.get(logical_id, 0)

    def _take(self, logical_id: str) -> Invoker:
        with self._changed:
            idle = self._idle.setdefault(logical_id, [])
            while not idle and self._started.get(logical_id, 0) >= self.max_per_function:
                self._changed.wait()
            if idle:
                return idle.pop()
            self._started[logical_id] = self._started.get(logical_id, 0) + 1
        return self._cold_start(logical_id)

    def _cold_start(self, logical_id: str) -> Invoker:
        invoker = Invoker(self.template)
        try:
            invoker.module(logical_id)
        except BaseException:
            with self._changed:
                self._started[logical_id] -= 1
                self._changed.notify()
            raise
        return invoker
