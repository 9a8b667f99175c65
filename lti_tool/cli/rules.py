"""`lti-tool rules validate [PATH]`: check rule files before they are used."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.rules import RulesError, default_rules_dir, load_rulebook
from .evaluate import InputError

TOP_LEVEL_FILES = ("issuers", "programs", "catalogue", "cares")


def _rules_root_of(file: Path) -> Path:
    """The rules directory a single file belongs to (the shipped one for a draft kept elsewhere)."""
    for candidate in (file.parent, file.parent.parent):
        if (candidate / "catalogue.yaml").is_file():
            return candidate
    return default_rules_dir()


@click.group("rules")
def rules() -> None:
    """Inspect the programme rule files."""


@rules.command("validate")
@click.argument("path", required=False, metavar="[PATH]")
def validate(path: str | None) -> None:
    """Check a rules directory, or one rule file against the rest of its directory.

    Prints `ok: N editions, M activities`, or one line per problem and exits 1.
    """
    target = Path(path) if path else default_rules_dir()
    if not target.exists():
        raise InputError(f"no such file or directory: {target}")
    if target.is_dir():
        root, replace = target, {}
    else:
        root = _rules_root_of(target)
        role = target.stem if target.stem in TOP_LEVEL_FILES else f"editions/{target.stem}"
        # A draft of an existing file replaces it; a new edition is checked alongside the others.
        replace = {role: target}
    try:
        rulebook = load_rulebook(root, replace=replace)
    except RulesError as exc:
        for line in exc.errors:
            click.echo(line)
        click.get_current_context().exit(1)
    click.echo(f"ok: {len(rulebook.editions)} editions, {len(rulebook.catalogue.activities)} activities")
