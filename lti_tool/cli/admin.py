"""`lti-tool admin ...`: tool-level administrators (installation-wide rights on every platform)."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..db import db
from ..models import Official, Platform
from ..services import officials
from .common import CommandError, cli_actor, with_app


@click.group("admin")
def admin_group() -> None:
    """Grant, withdraw and list tool-level administrator rights."""


def _official(platform_id: int, user: str) -> Official:
    if db.session.get(Platform, platform_id) is None:
        raise CommandError(f"no platform {platform_id}: see `lti-tool platform list`")
    official = db.session.scalars(
        select(Official).where(Official.platform_id == platform_id, Official.sub == user)
    ).first()
    if official is None:
        raise CommandError(f"no LMS user {user!r} on platform {platform_id} yet: they must open the tool once first")
    return official


def _set_rights(platform_id: int, user: str, reason: str, granted: bool) -> Official:
    official = _official(platform_id, user)
    try:
        officials.set_tool_admin(db.session, official, granted, actor=cli_actor(), reason=reason)
    except officials.OfficialError as exc:
        raise CommandError(str(exc)) from None
    return official


PLATFORM_OPTION = click.option("--platform", "platform_id", required=True, type=int,
                               help="The platform id (lti-tool platform list).")
USER_OPTION = click.option("--user", required=True,
                           help="The LMS user id (the launch's `sub`; Moodle: the user id number).")


@admin_group.command("grant")
@PLATFORM_OPTION
@USER_OPTION
@click.option("--reason", required=True, help="Why this person gets installation-wide rights.")
@with_app
def grant_command(platform_id: int, user: str, reason: str) -> None:
    """Make an official a tool administrator."""
    official = _set_rights(platform_id, user, reason, True)
    click.echo(f"{official.display_name} (platform {platform_id}, user {user}) is a tool administrator")


@admin_group.command("revoke")
@PLATFORM_OPTION
@USER_OPTION
@click.option("--reason", required=True, help="Why the rights are withdrawn.")
@with_app
def revoke_command(platform_id: int, user: str, reason: str) -> None:
    """Withdraw tool administrator rights."""
    official = _set_rights(platform_id, user, reason, False)
    click.echo(f"{official.display_name} is no longer a tool administrator")


@admin_group.command("list")
@with_app
def list_command() -> None:
    """Show the tool administrators."""
    rows = officials.tool_admins(db.session)
    if not rows:
        click.echo("no tool administrators: grant one with `lti-tool admin grant`")
    for official in rows:
        click.echo(f"{official.display_name}  platform {official.platform_id}  user {official.sub}")
