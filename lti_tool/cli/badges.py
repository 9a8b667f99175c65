"""`lti-tool badges ...`: check a badge anywhere, from its file, without the tool's database."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click

from .common import CommandError


@click.group("badges")
def badges_group() -> None:
    """Verify Open Badges 3.0 credentials issued by the tool."""


def _read_text_or_url(source: str, timeout: float, what: str) -> str:
    if source.startswith(("http://", "https://")):
        import requests

        try:
            response = requests.get(source, timeout=timeout, headers={"Accept": "application/json, application/vc+jwt"})
            response.raise_for_status()
        except requests.RequestException as exc:
            raise CommandError(f"cannot fetch the {what} at {source}: {exc}") from None
        return response.text
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read the {what} {source}: {exc}") from None


def _read_token(path: Path) -> str:
    from ..badges.images import OB3_KEYWORD, ImageProblem, unbake

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    if data.startswith(b"\x89PNG"):
        try:
            token = unbake(data, OB3_KEYWORD)
        except ImageProblem as exc:
            raise CommandError(f"{path}: {exc}") from None
        if token is None:
            raise CommandError(f"{path} is a PNG without an Open Badges 3.0 credential (no openbadgecredential chunk)")
        return token.strip()
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError(f"{path} is neither a VC-JWT text file nor a baked PNG") from None


def _status_lists(pairs: tuple[str, ...], timeout: float) -> dict[str, str]:
    lists = {}
    for pair in pairs:
        url, separator, file_name = pair.partition("=")
        if not separator or not url or not file_name:
            raise CommandError(f"--status-list expects URL=FILE, got {pair!r}")
        lists[url] = _read_text_or_url(file_name, timeout, "status list").strip()
    return lists


@badges_group.command("verify")
@click.argument("credential_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--jwks", "jwks_source", metavar="FILE_OR_URL",
              help="The issuer's key set (default: the `jku` URL named in the credential).")
@click.option("--status-list", "status_lists", multiple=True, metavar="URL=FILE",
              help="Use FILE (a status list VC-JWT) for the list at URL instead of fetching it. Repeatable.")
@click.option("--offline", is_flag=True, help="Fetch nothing: status lists not given are reported as unchecked.")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for each download.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify_command(ctx: click.Context, credential_file: Path, jwks_source: str | None, status_lists: tuple[str, ...],
                   offline: bool, timeout: float, as_json: bool) -> None:
    """Verify CREDENTIAL_FILE (a .jwt file or a baked badge PNG): signature, data model, status and dates.

    Exits 0 when the credential is valid, 1 otherwise.
    """
    from ..badges.vcjwt import TokenProblem, read_unverified
    from ..badges.verify import verify_credential_jwt

    token = _read_token(credential_file)
    if jwks_source is None:
        try:
            header, _ = read_unverified(token)
        except TokenProblem as exc:
            raise CommandError(f"{credential_file}: {exc}") from None
        jwks_source = header.get("jku")
        if not jwks_source:
            raise CommandError("the credential names no key set (jku): give one with --jwks")
        if offline:
            raise CommandError("--offline needs the key set as a file: give it with --jwks FILE")
    try:
        jwks = json.loads(_read_text_or_url(jwks_source, timeout, "key set"))
    except json.JSONDecodeError as exc:
        raise CommandError(f"the key set {jwks_source} is not JSON: {exc}") from None
    given = _status_lists(status_lists, timeout)

    def fetch(url: str) -> str:
        if url in given:
            return given[url]
        if offline:
            raise LookupError(f"not given with --status-list ({url})")
        return _read_text_or_url(url, timeout, "status list").strip()

    result = verify_credential_jwt(token, jwks, fetch, datetime.now(timezone.utc))
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        name = (result.credential or {}).get("name", "(unreadable credential)")
        click.echo(f"{result.status.upper()}: {name}")
        for check in result.checks:
            mark = {True: "ok", False: "FAILED", None: "unchecked"}[check.passed]
            click.echo(f"  {check.name}: {mark}: {check.detail}")
    ctx.exit(0 if result.is_valid else 1)
