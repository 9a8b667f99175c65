"""`lti-tool deployment ...` and `lti-tool launches ...`: approving deployments, clearing launch bookkeeping."""

from __future__ import annotations

import click

from ..db import db
from ..models import Platform, utcnow
from ..services import launches, platforms
from .common import CommandError, cli_actor, with_app


@click.group("deployment")
def deployment_group() -> None:
    """Approve deployments that launched before an administrator knew them."""


@deployment_group.command("pending")
@with_app
def pending_command() -> None:
    """List deployments waiting for approval."""
    waiting = [
        (platform, deployment)
        for platform in platforms.list_platforms(db.session)
        for deployment in platform.deployments
        if not deployment.active
    ]
    if not waiting:
        click.echo("no deployment is waiting for approval")
        return
    for platform, deployment in waiting:
        click.echo(f"platform {platform.id} ({platform.name}, {platform.issuer})  deployment {deployment.deployment_id}")


@deployment_group.command("activate")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
@with_app
def activate_command(platform_id: int, deployment_id: str) -> None:
    """Allow launches from DEPLOYMENT_ID of platform PLATFORM_ID (see `lti-tool platform list`)."""
    session = db.session
    if session.get(Platform, platform_id) is None:
        raise CommandError(f"there is no platform {platform_id}; see `lti-tool platform list`")
    deployment = launches.find_deployment(session, platform_id, deployment_id)
    if deployment is None:
        raise CommandError(f"platform {platform_id} has no deployment {deployment_id!r}")
    if deployment.active:
        click.echo(f"deployment {deployment_id} of platform {platform_id} is already active")
        return
    platforms.activate_deployment(session, deployment, actor=cli_actor())
    click.echo(f"deployment {deployment_id} of platform {platform_id} is active")


@click.group("launches")
def launches_group() -> None:
    """Launch bookkeeping kept in the database."""


@launches_group.command("purge")
@with_app
def purge_command() -> None:
    """Delete expired login states, used nonces and launches now (logins also do it now and then)."""
    launches.purge_expired(db.session, utcnow())
    click.echo("expired login states, nonces and launches deleted")
