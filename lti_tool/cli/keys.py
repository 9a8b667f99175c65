"""`lti-tool keys ...`: the tool's signing keys."""

from __future__ import annotations

import click
from flask import current_app

from .. import keys
from ..db import db
from .common import CommandError, cli_actor, with_app


@click.group("keys")
def keys_group() -> None:
    """Generate, rotate and list the tool's RSA signing keys."""


@keys_group.command("generate")
@click.option("--if-missing", is_flag=True, help="Succeed quietly when a signing key already exists.")
@with_app
def generate_command(if_missing: bool) -> None:
    """Create the first signing key (use `rotate` to replace an existing one)."""
    keys_dir = current_app.config["KEYS_DIR"]
    try:
        current = keys.signing_key(db.session, keys_dir)
    except keys.KeyProblem:
        current = None
    if current is not None:
        if if_missing:
            click.echo(f"signing key present: {current.kid}")
            return
        raise CommandError(f"a signing key exists ({current.kid}); use `lti-tool keys rotate` to replace it")
    key = keys.generate_key(db.session, keys_dir, actor=cli_actor())
    click.echo(f"generated key {key.kid} in {keys_dir}")


@keys_group.command("rotate")
@with_app
def rotate_command() -> None:
    """Make a new signing key; the old public key stays published for the grace period."""
    keys_dir = current_app.config["KEYS_DIR"]
    key = keys.rotate_key(db.session, keys_dir, actor=cli_actor())
    days = current_app.config["KEY_GRACE_DAYS"]
    click.echo(f"new signing key {key.kid}; previous keys stay in the JWKS for {days} days")


@keys_group.command("list")
@with_app
def list_command() -> None:
    """Show every key: signing, published or expired, and whether its private part is here."""
    from datetime import timedelta

    keys_dir = current_app.config["KEYS_DIR"]
    grace = timedelta(days=current_app.config["KEY_GRACE_DAYS"])
    published = {key.kid for key in keys.published_keys(db.session, grace)}
    rows = keys.all_keys(db.session)
    if not rows:
        click.echo("no keys: run `lti-tool keys generate`")
        return
    for key in rows:
        if key.retired_at is None:
            state = "signing"
        elif key.kid in published:
            state = f"published until {(key.retired_at + grace):%Y-%m-%d %H:%M} UTC"
        else:
            state = "retired"
        private = "private key here" if keys.has_private_part(keys_dir, key.kid) else "PRIVATE KEY MISSING"
        click.echo(f"{key.kid}  created {key.created_at:%Y-%m-%d %H:%M} UTC  {state}  {private}")
