"""`lti-tool platform ...`: manual platform registration."""

from __future__ import annotations

import click

from ..db import db
from ..services import platforms
from .common import CommandError, cli_actor, with_app


@click.group("platform")
def platform_group() -> None:
    """Register LMS platforms by hand and list registrations."""


@platform_group.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (Moodle: its site URL).")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--deployment-id", required=True, help="The deployment id shown by the platform.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token URL.")
@click.option("--keyset-url", required=True, help="The platform's public keyset (JWKS) URL.")
@click.option("--name", default=None, help="A name to show administrators.")
@with_app
def add_command(issuer, client_id, deployment_id, auth_login_url, auth_token_url, keyset_url, name) -> None:
    """Register a platform with one active deployment."""
    try:
        platform = platforms.register_platform(
            db.session,
            issuer=issuer,
            client_id=client_id,
            deployment_id=deployment_id,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            keyset_url=keyset_url,
            name=name,
            actor=cli_actor(),
        )
    except platforms.PlatformError as exc:
        raise CommandError(str(exc)) from None
    click.echo(f"registered platform {platform.id}: {platform.name} ({platform.issuer}, client {platform.client_id})")


@platform_group.command("list")
@with_app
def list_command() -> None:
    """Show every registered platform and its deployments."""
    rows = platforms.list_platforms(db.session)
    if not rows:
        click.echo("no platforms registered")
        return
    for platform in rows:
        click.echo(f"{platform.id}  {platform.name}  issuer={platform.issuer}  client_id={platform.client_id}")
        for deployment in platform.deployments:
            state = "active" if deployment.active else "pending approval"
            click.echo(f"    deployment {deployment.deployment_id}  {state}")
