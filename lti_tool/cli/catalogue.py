"""`lti-tool catalogue load`: put the shipped catalogue into the database."""

from __future__ import annotations

import click
from flask import current_app

from ..db import db
from ..engine.rules import RulesError, load_rulebook
from ..services.catalogue import sync_catalogue
from .common import CommandError, cli_actor, with_app


@click.group("catalogue")
def catalogue_group() -> None:
    """The catalogue of activities and sessions."""


@catalogue_group.command("load")
@click.option("--update", is_flag=True, help="Reset activities already in the database to the rule files' values.")
@with_app
def load_command(update: bool) -> None:
    """Add the rule files' activities and dated sessions that the database lacks."""
    try:
        rulebook = load_rulebook(current_app.config["RULES_DIR"])
    except RulesError as exc:
        raise CommandError("the rule files have errors:\n" + "\n".join(exc.errors)) from None
    report = sync_catalogue(db.session, rulebook, actor=cli_actor(), update=update)
    click.echo(f"catalogue: {report.summary()}")
