"""Helpers shared by the `lti-tool` commands: the app they run in and how they fail."""

from __future__ import annotations

import functools
import getpass
from typing import Callable

import click


class CommandError(click.ClickException):
    """A failure the operator can fix; printed as one line `error: ...`, exit 1."""

    exit_code = 1


def cli_actor() -> str:
    """Who is running a command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli:unknown"


def with_app(func: Callable) -> Callable:
    """Run the command inside an app context and one database transaction."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .. import create_app
        from ..db import db

        app = create_app()
        with app.app_context():
            with db.transaction():
                return func(*args, **kwargs)

    return wrapper
