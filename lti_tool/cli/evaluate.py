"""`lti-tool evaluate`: evaluate one official's completions against a programme edition.

Contract (other checks call it; keep it stable):
    lti-tool evaluate --program EDITION --enrolled YYYY-MM-DD --as-of YYYY-MM-DD --completions FILE.csv
                      [--holds PROGRAM=YYYY-MM-DD ...] --json
Exit 0 on any evaluation result; exit 2 with one line `error: ...` on bad input.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from ..engine import evaluate as evaluate_enrollment
from ..engine import (
    CompletionsError,
    Enrollment,
    Evaluation,
    HeldCertification,
    RuleBook,
    RulesError,
    load_rulebook,
    plan,
    read_completions,
)
from ..engine.dates import long_date, parse_day
from ..engine.evaluate import amount


class InputError(click.ClickException):
    """Bad input: printed as one line `error: ...`, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OneLineErrors(click.Command):
    """A command whose usage errors (missing or unknown options) are one line and exit 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise InputError(exc.format_message()) from None


def load_rules_or_fail(rules_dir: str | None) -> RuleBook:
    """The rule book from `--rules` or the default place; broken rules are one line, exit 1."""
    try:
        return load_rulebook(rules_dir)
    except RulesError as exc:
        more = f" (and {len(exc.errors) - 1} more; run `lti-tool rules validate`)" if len(exc.errors) > 1 else ""
        raise click.ClickException(f"the rules are broken: {exc.errors[0]}{more}") from None


def _day(value: str, option: str) -> dt.date:
    try:
        return parse_day(value)
    except ValueError as exc:
        raise InputError(f"{option}: {exc}") from None


def _holds(values: tuple[str, ...], rulebook: RuleBook) -> list[HeldCertification]:
    held = []
    for value in values:
        name, _, day = value.partition("=")
        if not day:
            raise InputError(f"--holds {value!r}: expected PROGRAM=YYYY-MM-DD")
        certified_on = _day(day, f"--holds {name}")
        name = name.strip()
        if name in rulebook.editions:
            edition = rulebook.editions[name]
        elif name in rulebook.programs:
            edition = rulebook.edition_for(name, certified_on)
        else:
            known = ", ".join(sorted({*rulebook.programs, *rulebook.editions}))
            raise InputError(f"--holds: unknown programme or edition {name!r} (known: {known})")
        program = edition.program if edition is not None else name
        held.append(HeldCertification(program, edition.id if edition is not None else name, certified_on))
    return held


def _read_text(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"cannot read completions file {path!r}: {reason}") from None


def _summary(evaluation: Evaluation) -> str:
    edition = evaluation.edition
    lines = [f"{edition.program_abbreviation}: {edition.title} [{edition.id}]"]
    status = evaluation.status.replace("_", " ")
    if evaluation.completed_on:
        status += f" on {long_date(evaluation.completed_on)}"
    window = f", last day {long_date(evaluation.last_day)}" if evaluation.last_day else ""
    lines.append(f"Status: {status} (enrolled {long_date(evaluation.enrollment.enrolled_on)}{window})")
    lines.append(f"{edition.unit.capitalize()}: {amount(evaluation.earned)} of {amount(evaluation.required)}")
    if edition.area_groups:
        lines.append("Areas: " + ", ".join(f"{progress.title} {progress.earned}/{progress.required}"
                                           for progress in evaluation.areas.values() if progress.required))
    for category, (earned, required) in evaluation.categories.items():
        lines.append(f"  {edition.vocabulary.categories[category].title}: {amount(earned)} of {amount(required)}")
    if evaluation.unmet:
        lines.append("Still needed:")
        lines.extend(f"  - {text}" for text in evaluation.unmet)
    if evaluation.assignments:
        lines.append("Counted:")
        for entry in evaluation.assignments:
            area = f" [{edition.area_title(entry.area)}]" if entry.area else ""
            lines.append(f"  {entry.date} {entry.title}{area}: {entry.why}")
    if evaluation.not_counted:
        lines.append("Not counted:")
        lines.extend(f"  {entry.date} {entry.title}: {entry.why}" for entry in evaluation.not_counted)
    return "\n".join(lines)


@click.command("evaluate", cls=OneLineErrors)
@click.option("--program", "edition_name", required=True, metavar="EDITION",
              help="Edition id (e.g. ccmo-classic), or a programme id to use the edition of the enrollment date.")
@click.option("--enrolled", required=True, metavar="YYYY-MM-DD", help="Enrollment (application) date.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Evaluation date (default: today).")
@click.option("--completions", "completions_path", required=True, metavar="FILE.csv",
              help="CSV with header date,activity,hours,areas,format,provider ('-' reads stdin).")
@click.option("--holds", multiple=True, metavar="PROGRAM=YYYY-MM-DD",
              help="A certification held, with its date (repeatable), e.g. ccmo=2025-06-01.")
@click.option("--member-since", metavar="YYYY-MM-DD", help="Start of membership of the issuer (IIMC editions).")
@click.option("--rules", "rules_dir", metavar="DIR", help="Rules directory (default: $RULES_DIR or rules/).")
@click.option("--plan", "with_plan", is_flag=True, help="Also propose the fewest upcoming sessions to finish.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def evaluate(edition_name: str, enrolled: str, as_of: str | None, completions_path: str,
                     holds: tuple[str, ...], member_since: str | None, rules_dir: str | None, with_plan: bool,
                     as_json: bool) -> None:
    """Evaluate an official's completions against a programme edition."""
    enrolled_on = _day(enrolled, "--enrolled")
    evaluation_day = _day(as_of, "--as-of") if as_of else dt.date.today()
    member_day = _day(member_since, "--member-since") if member_since else None
    rulebook = load_rules_or_fail(rules_dir)
    edition = rulebook.editions.get(edition_name)
    if edition is None and edition_name in rulebook.programs:
        edition = rulebook.edition_for(edition_name, enrolled_on)
        if edition is None:
            raise InputError(f"--program: no edition of {edition_name!r} applies to enrollments on {enrolled_on}")
    if edition is None:
        known = ", ".join(sorted(rulebook.editions))
        raise InputError(f"--program: unknown edition {edition_name!r} (known: {known})")
    held = _holds(holds, rulebook)
    text = _read_text(completions_path)
    try:
        completions = read_completions(text, rulebook.catalogue)
    except CompletionsError as exc:
        raise InputError(f"{completions_path}: {exc}") from None

    enrollment = Enrollment(edition.id, enrolled_on, member_since=member_day)
    evaluation = evaluate_enrollment(edition, enrollment, completions, evaluation_day, held)
    proposal = plan(edition, enrollment, completions, evaluation_day, rulebook.catalogue, held) if with_plan else None
    if as_json:
        result = evaluation.to_dict()
        if proposal is not None:
            result["plan"] = proposal.to_dict()
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(_summary(evaluation))
    if proposal is not None:
        click.echo(f"Plan: {proposal.message}")
        for session in proposal.sessions:
            click.echo(f"  {session.date} {session.title} ({session.place})")

