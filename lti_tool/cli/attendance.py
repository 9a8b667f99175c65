"""`lti-tool attendance import FILE.csv --activity ID [--platform ID]`: import an event-registration attendance
export (the format is described in lti_tool/services/attendance_import.py and on the roster page)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from ..db import db
from ..engine.rules import RulesError, load_rulebook
from ..rulebook import local_today
from ..services import launches, platforms
from ..services.attendance_import import AttendanceFileError, AttendanceReport, decode_file, import_attendance
from .common import CommandError, cli_actor, with_app

MAX_FILE_BYTES = 20 * 1024 * 1024


def _platform_id(platform_id: int | None) -> tuple[int, str]:
    registered = platforms.list_platforms(db.session)
    if platform_id is not None:
        chosen = next((platform for platform in registered if platform.id == platform_id), None)
        if chosen is None:
            raise CommandError(f"no platform {platform_id}: see `lti-tool platform list`")
        return chosen.id, chosen.name
    if len(registered) == 1:
        return registered[0].id, registered[0].name
    if not registered:
        raise CommandError("no platform is registered: officials are matched on a platform (`lti-tool platform add`)")
    names = ", ".join(f"{platform.id} = {platform.name}" for platform in registered)
    raise CommandError(f"several platforms are registered ({names}): say which with --platform")


@with_app
def _import(text: str, file_name: str, activity_id: str, platform_id: int | None) -> tuple[AttendanceReport, str]:
    activity = launches.find_activity(db.session, activity_id)
    if activity is None:
        raise CommandError(f"unknown activity {activity_id!r}: give a catalogue id (`lti-tool catalogue load` adds "
                           "the shipped catalogue)")
    chosen_id, platform_name = _platform_id(platform_id)
    try:
        rulebook = load_rulebook(current_app.config["RULES_DIR"])
    except RulesError as exc:
        raise CommandError("the rule files have errors:\n" + "\n".join(exc.errors)) from None
    try:
        report = import_attendance(
            db.session, text, platform_id=chosen_id, activity=activity, actor=cli_actor(), rulebook=rulebook,
            as_of=local_today(current_app.config["TOOL_TIMEZONE"]), origin="cli", file_name=file_name,
        )
    except AttendanceFileError as exc:
        raise CommandError(f"{file_name}: {exc}") from None
    return report, f"{activity.title} ({activity.id}) on {platform_name}"


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--activity", "activity_id", required=True, help="The catalogue id of the event, e.g. annual-convention.")
@click.option("--platform", "platform_id", type=int, default=None,
              help="The platform whose officials the emails are matched to (needed when several are registered).")
def import_attendance_command(file: Path, activity_id: str, platform_id: int | None) -> None:
    """Import an attendance export (CSV: registration_id,first_name,last_name,email,municipality,attended,date,hours).

    Good rows are recorded, each bad row is reported with its line number, and importing the same file again
    changes nothing. Exits 1 when some rows were not imported.
    """
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{file} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it")
        data = file.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        text = decode_file(data)
    except AttendanceFileError as exc:
        raise CommandError(f"{file}: {exc}") from None
    report, what = _import(text, file.name, activity_id, platform_id)
    click.echo(f"{what}: {report.summary()}")
    for problem in report.problems:
        click.echo(f"{file.name}: {problem}", err=True)
    if report.problems:
        count = len(report.problems)
        raise CommandError(f"{count} row{'s were' if count != 1 else ' was'} not imported (listed above); "
                           "fix them and import the file again (rows already imported stay as they are)")


@click.group("attendance")
def attendance_group() -> None:
    """Attendance recorded outside the LMS (event-registration exports)."""


attendance_group.add_command(import_attendance_command)
