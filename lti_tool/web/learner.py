"""The official's pages: certification progress (with continuing education and what to do next), enrollment,
the municipality chosen on first use, and the transcript (page, print and CSV).

Every page works on the launch's own official only; forms carry the launch and its CSRF token.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, Response, redirect, render_template, request

from .. import engine
from ..db import db
from ..models import Official
from ..services import credentials, enrollments, officials, reports
from ..services.progress import ProgrammeProgress, official_progress
from .charts import credit_over_time
from .formatting import register_formatting
from ..rulebook import current_rulebook, today
from .session import current_launch, launch_url_for, role_required

bp = Blueprint("learner", __name__, url_prefix="/learner")

NOTICES = {
    "enrolled": "You are enrolled. Your progress is below.",
    "municipality": "Your municipality is recorded.",
}


@bp.record_once
def _setup(state) -> None:
    register_formatting(state.app)


def _official() -> Official | None:
    launch = current_launch()
    return launch.official if launch else None


def official_page(view: Callable[[Official], object]) -> Callable[[], object]:
    """Give the view the launch's official; a launch that names nobody gets an explanation instead."""

    @functools.wraps(view)
    def wrapper():
        official = _official()
        return view(official) if official is not None else _no_official()

    return wrapper


def _no_official():
    return render_template("error.html", status=400, title="Who you are is unknown",
                           reason="The learning platform did not say who you are; open the tool from your course again.",
                           code="no_user"), 400


def _origin() -> str | None:
    return request.remote_addr


def _actor(official: Official) -> str:
    return f"official:{official.id}"


@dataclass(frozen=True)
class BadgeView:
    """A badge as the progress page lists it."""

    name: str
    issued_on: dt.date
    valid_until: dt.date | None
    status: str
    links: credentials.BadgeLinks


def _badges(official: Official) -> list[BadgeView]:
    settings = credentials.BadgeSettings.current()
    result = []
    for credential in credentials.credentials_for_official(db.session, official.id):
        flags = credentials.status_flags(credential)
        status = "revoked" if flags["revocation"] else "suspended" if flags["suspension"] else "valid"
        result.append(BadgeView(
            name=credential.document["credentialSubject"]["achievement"]["name"],
            issued_on=credential.valid_from.date(),
            valid_until=credential.valid_until.date() if credential.valid_until else None,
            status=status,
            links=credentials.badge_links(credential, settings),
        ))
    return result


@dataclass(frozen=True)
class ProgrammeView:
    """One enrollment as the progress page shows it."""

    progress: ProgrammeProgress
    bars: list[engine.Requirement]
    conditions: list[engine.Requirement]
    chart: str
    standing: str | None

    @property
    def evaluation(self) -> engine.Evaluation:
        return self.progress.evaluation

    @property
    def edition(self) -> engine.Edition:
        return self.progress.edition

    @property
    def group_titles(self) -> dict[str, str]:
        """What each minimum slot group stands for, in words (`Personal minimum`)."""
        return {group.id: f"{self.edition.area_title(group.area)} minimum" if group.area else f"{group.one} requirement"
                for group in self.edition.groups}

    @property
    def current_cycle(self) -> engine.Cycle | None:
        continuing = self.progress.continuing
        return continuing.cycles[-1] if continuing and continuing.cycles else None


def _programme_view(index: int, progress: ProgrammeProgress, as_of: dt.date) -> ProgrammeView:
    evaluation = progress.evaluation
    bars = [r for r in evaluation.requirements if not r.id.startswith(("prerequisite:", "membership"))]
    conditions = [r for r in evaluation.requirements if r.id.startswith(("prerequisite:", "membership"))]
    chart = credit_over_time(
        f"chart-{index}", [(a.date, a.credit) for a in evaluation.assignments],
        start=progress.enrollment.enrolled_on, end=evaluation.deadline, required=evaluation.required,
        unit=evaluation.unit, today=as_of,
    )
    held = progress.certification.standing if progress.certification is not None else None
    return ProgrammeView(progress, bars, conditions, chart, held)


@bp.get("/progress")
@role_required("learner")
@official_page
def progress(official: Official):
    """My certification progress: each programme's bars, deadline, what counted and why, what next."""
    as_of = today()
    book = current_rulebook()
    programmes = [_programme_view(index, item, as_of)
                  for index, item in enumerate(official_progress(db.session, official, book, as_of))]
    return render_template(
        "learner/progress.html", official=official, programmes=programmes, badges=_badges(official), today=as_of,
        rulebook=book, municipalities=officials.list_municipalities(db.session) if official.municipality is None else [],
        notice=NOTICES.get(request.args.get("notice", "")),
    )


def _enroll_choices(official: Official, book: engine.RuleBook, as_of: dt.date) -> list[dict]:
    """Each personal programme with the edition a new enrollment gets and why it may not be possible."""
    choices = []
    for program in book.programs.values():
        if program.id == book.cares.program:
            continue
        enrolled = enrollments.active_enrollment(db.session, official, program.id)
        choice = {"program": program, "enrolled": enrolled, "edition": None, "problems": [], "needs_membership": False}
        if enrolled is None:
            try:
                edition = enrollments.default_edition(db.session, book, program.id, as_of)
            except enrollments.EnrollmentError as exc:
                choice["problems"] = [str(exc)]
            else:
                choice["edition"] = edition
                choice["needs_membership"] = edition.membership_required
                problems = _eligibility_only(
                    edition, enrollments.eligibility_problems(db.session, official, edition, as_of), as_of)
                town = official.municipality
                if edition.member_municipality_only and town is not None and not town.ccm_member:
                    problems.append(f"{town.name}, your municipality, is not a CCM member municipality")
                choice["problems"] = problems
        else:
            choice["edition"] = book.editions.get(enrolled.edition_id)
        choices.append(choice)
    return choices


def _eligibility_only(edition: engine.Edition, problems: list[str], as_of: dt.date) -> list[str]:
    """The problems that stop an enrollment, without the programme's own requirements (credit still to earn,
    membership years) that an evaluation on the enrollment day lists too."""
    blank = engine.evaluate(edition, engine.Enrollment(edition.id, as_of, member_since=as_of), (), as_of)
    still_to_earn = {r.unmet for r in blank.requirements if r.unmet and not r.id.startswith("prerequisite:")}
    return [problem for problem in problems if problem not in still_to_earn and "membership of" not in problem]


def _enroll_page(official: Official, *, errors: list[str] | None = None, status: int = 200, chosen: str = ""):
    book = current_rulebook()
    as_of = today()
    page = render_template(
        "learner/enroll.html", official=official, choices=_enroll_choices(official, book, as_of), errors=errors or [],
        chosen=chosen, municipalities=officials.list_municipalities(db.session) if official.municipality is None else [],
        notice=NOTICES.get(request.args.get("notice", "")),
    )
    return page, status


@bp.get("/enroll")
@role_required("learner")
@official_page
def enroll_form(official: Official):
    """The programmes an official can enroll in, with the eligibility checks explained."""
    return _enroll_page(official)


@bp.post("/enroll")
@role_required("learner")
@official_page
def enroll(official: Official):
    """Enroll in a programme; refused enrollments come back with the reasons."""
    program = request.form.get("program", "")
    membership_since = None
    if request.form.get("membership_since"):
        try:
            membership_since = dt.date.fromisoformat(request.form["membership_since"])
        except ValueError:
            return _enroll_page(official, errors=["the membership start must be a date"], status=422, chosen=program)
    try:
        enrollments.enroll(db.session, official, program, current_rulebook(), actor=_actor(official),
                           enrolled_on=today(), membership_since=membership_since, origin=_origin())
    except enrollments.EnrollmentError as exc:
        db.session.rollback()
        reasons = exc.reasons
        if program in current_rulebook().programs and reasons:
            edition = enrollments.default_edition(db.session, current_rulebook(), program, today())
            reasons = _eligibility_only(edition, reasons, today())
        return _enroll_page(official, errors=[str(exc), *reasons], status=422, chosen=program)
    db.session.commit()
    return redirect(launch_url_for("learner.progress", notice="enrolled"), 303)


@bp.post("/municipality")
@role_required("learner")
@official_page
def choose_municipality(official: Official):
    """Record the municipality the official serves, the first time (the LMS did not send it)."""
    municipality = officials.find_municipality(db.session, request.form.get("municipality_id"))
    back = request.form.get("back") if request.form.get("back") in ("learner.progress", "learner.enroll_form") \
        else "learner.enroll_form"
    if municipality is None:
        return _enroll_page(official, errors=["choose your municipality from the list"], status=422)
    try:
        officials.choose_municipality(db.session, official, municipality, actor=_actor(official), origin=_origin())
    except officials.OfficialError as exc:
        db.session.rollback()
        return _enroll_page(official, errors=[str(exc)], status=422)
    db.session.commit()
    return redirect(launch_url_for(back, notice="municipality"), 303)


@bp.get("/transcript")
@role_required("learner")
@official_page
def transcript(official: Official):
    """Every completion on the official's record, printable."""
    rows = reports.transcript_rows(db.session, official.id, current_rulebook())
    return render_template("learner/transcript.html", official=official, rows=rows, today=today())


@bp.get("/transcript.csv")
@role_required("learner")
@official_page
def transcript_csv(official: Official):
    """The transcript as a CSV download."""
    rows = reports.transcript_rows(db.session, official.id, current_rulebook())
    return Response(reports.transcript_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="transcript-{today().isoformat()}.csv"'})
