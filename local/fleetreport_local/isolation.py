"""Keep concurrent local invocations apart: Powertools' per-request router state, made per thread.

Powertools stores the request being resolved on the `BaseRouter` class (`BaseRouter.current_event`,
`BaseRouter.lambda_context`), which is right in Lambda (one request per process at a time). The local
stack runs its warm "containers" as threads of one process, so a handler reading `app.current_event`
could get another request's event - its headers, its token - halfway through its own. Here both
attributes become per thread: the class assignment Powertools makes is routed to a thread-local, and
every read (on the class or an instance) returns the calling thread's value.
"""

from __future__ import annotations

import threading
from abc import ABCMeta
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

PER_REQUEST = ("current_event", "lambda_context")
_state = threading.local()


class _PerThread:
    """Data descriptor: reads and instance writes go to the calling thread's slot."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        try:
            return getattr(_state, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(_state, self.name, value)


class _PerThreadRouterState(ABCMeta):
    """BaseRouter's metaclass, with `BaseRouter.current_event = ...` routed to the thread's slot."""

    def __setattr__(cls, name: str, value: Any) -> None:
        if name in PER_REQUEST:
            setattr(_state, name, value)
        else:
            super().__setattr__(name, value)


def install() -> None:
    """Idempotent; affects this process only (the local stack and the tests, never a deployment)."""
    if type(BaseRouter) is _PerThreadRouterState:
        return
    for name in PER_REQUEST:
        type.__setattr__(BaseRouter, name, _PerThread(name))
    BaseRouter.__class__ = _PerThreadRouterState  # type: ignore[method-assign,assignment]
