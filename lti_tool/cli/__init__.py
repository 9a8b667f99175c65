"""The `lti-tool` command line."""

from __future__ import annotations

import sys

import click

from ..config import ConfigError
from .admin import admin_group
from .attendance import attendance_group
from .badges import badges_group
from .catalogue import catalogue_group
from .common import CommandError
from .db import db_group
from .evaluate import evaluate as evaluate_command
from .keys import keys_group
from .lti import deployment_group, launches_group
from .platform import platform_group
from .rules import rules
from .serve import serve_command
from .worker import worker_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Civic Credentials: run, configure and inspect the LTI tool."""


cli.add_command(admin_group)
cli.add_command(attendance_group)
cli.add_command(badges_group)
cli.add_command(catalogue_group)
cli.add_command(db_group)
cli.add_command(evaluate_command)
cli.add_command(keys_group)
cli.add_command(deployment_group)
cli.add_command(launches_group)
cli.add_command(platform_group)
cli.add_command(rules)
cli.add_command(serve_command)
cli.add_command(worker_command)


def _database_problem(exc: Exception) -> str | None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if isinstance(exc, (OperationalError, ProgrammingError)):
        detail = str(exc.orig).splitlines()[0] if getattr(exc, "orig", None) else str(exc).splitlines()[0]
        return f"the database is not ready ({detail}); run `lti-tool db upgrade`"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; every failure is one line on stderr and a non-zero exit, never a traceback."""
    try:
        cli.main(args=argv, prog_name="lti-tool", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 1
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except Exception as exc:
        message = _database_problem(exc) or f"{type(exc).__name__}: {exc}"
        click.echo(f"error: {message}", err=True)
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


__all__ = ["CommandError", "cli", "main", "run"]
