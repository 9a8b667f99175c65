"""Which function runs each kind of job."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .worker import JobContext

Handler = Callable[["JobContext"], None]

# Modules that register handlers when imported; the worker imports them before its first job.
HANDLER_MODULES = ("lti_tool.services.gradebook",)

_handlers: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """Make `handler` run the jobs of `kind` (registering another function for a kind replaces it)."""
    _handlers[kind] = handler


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Decorator form of `register_handler`."""

    def decorate(handler: Handler) -> Handler:
        register_handler(kind, handler)
        return handler

    return decorate


def handler_for(kind: str) -> Handler | None:
    """The function registered for `kind`, if any."""
    return _handlers.get(kind)


def registered_kinds() -> list[str]:
    """Every kind with a handler."""
    return sorted(_handlers)


def load_handlers() -> None:
    """Import the modules that register the tool's handlers."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
