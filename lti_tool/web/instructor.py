"""Instructor pages: the roster of an activity placement (mark attended, mark all present, undo, import an
attendance export), the course overview of a progress placement, and the submission review of one official.

An instructor's rights hold only in the course of the launch: every page works on `current_launch().context`
and its placement, and only on officials of the launch's platform. A form names an official together with a
ticket (an HMAC of the launch and the official) that only a page of this launch could have handed out, so a
forged form cannot reach an official outside the course. Every POST also carries the CSRF token
(`csrf_field()`), checked before the view runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import Blueprint, current_app, make_response, redirect, render_template, request

from .. import engine
from ..db import db
from ..keys import KeyProblem
from ..lms import LmsError
from ..models import Activity, Official, ResourceLink
from ..services import launches, reports, roster
from ..services.members import remember_members
from ..services.attendance_import import AttendanceFileError, COLUMNS, decode_file, import_attendance
from .errors import error_response
from .formatting import credit, status_words
from ..rulebook import current_rulebook, today
from .session import LaunchSession, current_launch, launch_url_for, protect_launch_page, role_required

log = logging.getLogger(__name__)

bp = Blueprint("instructor", __name__, url_prefix="/instructor")
bp.after_request(protect_launch_page)

DEFAULT_UNDO_REASON = "Marked by mistake"
PROBLEM_DETAIL_CHARS = 300


class Refused(Exception):
    """A request this launch may not make or that cannot be carried out; answered with the error page."""

    def __init__(self, status: int, title: str, reason: str, code: str) -> None:
        super().__init__(reason)
        self.status, self.title, self.reason, self.code = status, title, reason, code


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return error_response(exc.status, exc.title, exc.reason, exc.code)


# ------------------------------------------------------------------------------------------- shared helpers

SOURCE_WORDS = {
    "instructor": "marked by an instructor",
    "lms_grade": "from the LMS grade",
    "import": "imported",
    "admin": "recorded by an administrator",
    "self_report": "self-reported",
}
KIND_WORDS = {"record": "Recorded", "reversal": "Reversed", "amendment": "Amended", "approval": "Approved"}
ACTOR_WORDS = {"lms-grade-sync": "the LMS grade sync", "lms-roster": "the LMS roster"}


def progress_status(row: roster.ProgressRow) -> str:
    """A course overview row's standing in words."""
    if row.standing is None:
        return "Not enrolled"
    if row.certified_on is not None:
        return f"Certified on {row.certified_on.isoformat()}"
    return status_words(row.status)


def _actor_words(actor: str) -> str:
    kind, _, rest = actor.partition(":")
    if kind == "cli":
        return f"the command line ({rest})"
    if kind == "official":
        return "an official"
    return ACTOR_WORDS.get(actor, actor)


@bp.context_processor
def _template_helpers() -> dict:
    return {
        "credit": credit,
        "progress_status": progress_status,
        "source_words": lambda source: SOURCE_WORDS.get(source, source),
        "kind_words": lambda row: KIND_WORDS.get(row.kind, row.kind),
        "actor_words": _actor_words,
    }


def _rulebook() -> engine.RuleBook:
    """The programme rules (loaded once per process); a 503 page when the rule files have errors."""
    try:
        return current_rulebook()
    except engine.RulesError as exc:
        log.error("the rule files have errors: %s", "; ".join(exc.errors))
        raise Refused(503, "The programme rules cannot be read",
                      "The tool's programme rule files have errors; an administrator must fix them.",
                      "rules_unavailable") from None


def _actor(launch: LaunchSession) -> str:
    """Who acts, for the records and the audit log."""
    return f"official:{launch.official.id}" if launch.official is not None else f"launch:{launch.id}"


def _launch() -> LaunchSession:
    launch = current_launch()
    if launch.context is None:
        raise Refused(404, "No course", "This launch did not come from a course; open the tool from your course.",
                      "no_course")
    if not launch.can_instruct(launch.context_id):
        raise Refused(403, "Not your course", "Your instructor rights hold only in the course you launched from.",
                      "forbidden_course")
    return launch


def _activity_placement(launch: LaunchSession) -> tuple[ResourceLink, Activity]:
    """The launch's placement and the catalogue activity it marks, checked to be in the launch's course."""
    link = launch.resource_link
    if link is None:
        raise Refused(404, "No placement", "This launch did not come from an activity of the course.", "no_placement")
    if not launch.can_instruct(link.context_id):
        raise Refused(403, "Not your course", "This placement belongs to another course than your launch.",
                      "forbidden_course")
    activity = db.session.get(Activity, link.activity_id) if link.kind == "activity" and link.activity_id else None
    if activity is None:
        raise Refused(404, "No activity here",
                      "This placement does not mark a catalogue activity, so it has no roster. "
                      "Edit the activity in the course and choose a catalogue activity.", "no_activity")
    return link, activity


def member_ticket(launch_id: str, official_id: int) -> str:
    """The proof, handed out with a page of this launch, that the page listed this official."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"member|{launch_id}|{official_id}".encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _ticketed_official(launch: LaunchSession, official_id: str | None, ticket: str | None) -> Official:
    """The official a form or link names, if this launch's pages listed them; else 404."""
    official = None
    if official_id and official_id.isdigit() and ticket and hmac.compare_digest(
        ticket, member_ticket(launch.id, int(official_id))
    ):
        official = db.session.get(Official, int(official_id))
    if official is None or not launch.same_platform(official):
        raise Refused(404, "Not on your roster", "This person is not on a roster of your course. Reload the roster "
                      "and try again.", "unknown_member")
    return official


def _form_official(launch: LaunchSession) -> Official:
    return _ticketed_official(launch, request.form.get("official"), request.form.get("ticket"))


def _form_day(name: str = "completed_on") -> dt.date:
    text = (request.form.get(name) or "").strip()
    if not text:
        return today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(400, "Check the date", f"{text!r} is not a date (YYYY-MM-DD).", "bad_date") from None


def _form_hours():
    try:
        return roster.parse_credit(request.form.get("hours"))
    except roster.RosterError as exc:
        raise Refused(400, "Check the hours", str(exc), "bad_hours") from None


def _as_instructor(operation, launch: LaunchSession, link: ResourceLink, **values):
    """Run a roster operation as this launch's instructor, today, from the client's address; a refusal becomes
    a 400 page with the reason."""
    try:
        return operation(db.session, link=link, actor=_actor(launch), rulebook=_rulebook(), as_of=today(),
                         origin=request.remote_addr, **values)
    except roster.RosterError as exc:
        raise Refused(400, "Nothing was recorded", str(exc), "roster_refused") from None


@dataclass
class CourseMembers:
    """The learners a page lists, and why the platform's list is missing if it is."""

    officials: list[Official]
    problem: str | None
    other_members: int


def _course_members(launch: LaunchSession, *, also_known: bool, also: list[Official] = ()) -> CourseMembers:
    """The course's learners from the platform (NRPS, every page), remembered as officials; with `also_known`, or
    when the platform cannot be asked, the learners the tool already knows in the course too."""
    session = db.session
    url = roster.memberships_url(launch.context, launch.claims)
    problem, officials, others = None, {}, 0
    if url is None:
        problem = ("The platform does not share this course's member list with the tool (Names and Role "
                   "Provisioning is off), so only the learners the tool already knows are listed.")
    else:
        try:
            client = roster.membership_client(
                session, launch.platform_id, keys_dir=current_app.config["KEYS_DIR"],
                timeout_seconds=float(current_app.config["HTTP_TIMEOUT_SECONDS"]),
            )
            # No transaction (on SQLite, the write lock) stays open while the platform answers.
            session.commit()
            members = roster.fetch_members(client, url)
        except (LmsError, KeyProblem, roster.RosterError) as exc:
            log.warning("course %s: cannot read the member list: %s", launch.context_id, exc)
            detail = str(exc)[:PROBLEM_DETAIL_CHARS]
            problem = (f"The course's member list could not be read from the platform ({detail}). Only the "
                       "learners the tool already knows are listed; reload the page to try again.")
        else:
            learners = [member for member in members if roster.is_learner(member)]
            others = sum(1 for member in members if member.active and not roster.is_learner(member))
            officials = {o.id: o for o in remember_members(
                session, launch.platform_id, learners, context_id=launch.context_id).values()}
    if also_known or problem is not None:
        officials.update({o.id: o for o in roster.known_course_officials(session, launch.context)})
    officials.update({o.id: o for o in also if launch.same_platform(o)})
    return CourseMembers(roster.sort_officials(officials.values()), problem, others)


def _notice(launch: LaunchSession) -> str | None:
    """The message a redirect after a form asked for (`notice` and `official` in the query)."""
    code = request.args.get("notice")
    official_id = request.args.get("official", "")
    official = db.session.get(Official, int(official_id)) if official_id.isdigit() else None
    name = official.display_name if official is not None and launch.same_platform(official) else "The official"
    count = request.args.get("count", "0")
    count = int(count) if count.isdigit() else 0
    skipped = request.args.get("skipped", "0")
    skipped = int(skipped) if skipped.isdigit() else 0
    messages = {
        "marked": f"{name} is marked attended.",
        "already_marked": f"{name} was already marked attended; nothing changed.",
        "undone": f"The mark of {name} is undone (a reversal is recorded).",
        "nothing_to_undo": f"{name} had no mark to undo; nothing changed.",
        "marked_all": f"{count} marked present; {skipped} already marked or credited that day.",
    }
    return messages.get(code)


def _after_form(launch: LaunchSession, notice: str, official: Official | None = None, **extra):
    """Commit and go back (303) to the page the form came from, with a notice."""
    db.session.commit()
    values = {"notice": notice, **extra}
    if official is not None:
        values["official"] = official.id
    if request.form.get("return_to") == "submission" and official is not None:
        values["ticket"] = member_ticket(launch.id, official.id)
        return redirect(launch_url_for("instructor.submission", **values), 303)
    return redirect(launch_url_for("instructor.roster", **values), 303)


def _page_context(launch: LaunchSession, link: ResourceLink, activity: Activity) -> dict:
    credit = roster.default_credit(activity)
    return {
        "launch": launch,
        "link": link,
        "activity": activity,
        "default_credit": "" if credit is None else format(credit.normalize(), "f"),
        "credit_unit": roster.credit_unit(activity),
        "today": today(),
        "ticket": lambda official: member_ticket(launch.id, official.id),
        "default_undo_reason": DEFAULT_UNDO_REASON,
    }


# ------------------------------------------------------------------------------------------- roster


@bp.get("/roster", endpoint="roster")
@role_required("instructor")
def roster_page():
    """The roster of the placement's catalogue activity: each learner's state, with mark and undo controls."""
    launch = _launch()
    link, activity = _activity_placement(launch)
    members = _course_members(launch, also_known=False, also=roster.placement_officials(db.session, link))
    entries = roster.roster_entries(db.session, link, members.officials)
    actors = roster.actor_names(
        db.session, launch.platform_id,
        [item.current.recorded_by for entry in entries for item in entry.marks]
        + [entry.last_reversal.recorded_by for entry in entries if entry.last_reversal is not None],
    )
    db.session.commit()
    return render_template(
        "instructor/roster.html",
        entries=entries,
        members=members,
        actors=actors,
        notice=_notice(launch),
        columns=COLUMNS,
        **_page_context(launch, link, activity),
    )


@bp.post("/roster/mark")
@role_required("instructor")
def mark():
    """Mark one learner attended/completed (idempotent for the same state)."""
    launch = _launch()
    link, _ = _activity_placement(launch)
    official = _form_official(launch)
    result = _as_instructor(roster.mark_attended, launch, link, official=official, completed_on=_form_day(),
                            hours=_form_hours())
    return _after_form(launch, "marked" if result.created else "already_marked", official)


@bp.post("/roster/mark-all")
@role_required("instructor")
def mark_all():
    """Mark every learner listed on the roster page present (those already marked keep their mark)."""
    launch = _launch()
    link, _ = _activity_placement(launch)
    officials = [
        _ticketed_official(launch, official_id, ticket)
        for official_id, ticket in zip(request.form.getlist("official"), request.form.getlist("ticket"))
    ]
    result = _as_instructor(roster.mark_all_present, launch, link, officials=officials, completed_on=_form_day(),
                            hours=_form_hours())
    skipped = len(result.already_marked) + len(result.credited_that_day)
    return _after_form(launch, "marked_all", count=len(result.marked), skipped=skipped)


@bp.post("/roster/undo")
@role_required("instructor")
def undo():
    """Undo a learner's mark with a reversal entry (never a delete), with the reason given."""
    launch = _launch()
    link, _ = _activity_placement(launch)
    official = _form_official(launch)
    reversals = _as_instructor(roster.undo_mark, launch, link, official=official,
                               reason=request.form.get("reason", ""))
    return _after_form(launch, "undone" if reversals else "nothing_to_undo", official)


@bp.post("/roster/import")
@role_required("instructor")
def import_file():
    """Import an event-registration attendance export for the placement's activity; shows what each line did."""
    launch = _launch()
    link, activity = _activity_placement(launch)
    upload = request.files.get("attendance_file")
    data = upload.read() if upload is not None else b""
    if not data:
        raise Refused(400, "No file", "Choose the attendance export (a .csv file) to import.", "no_file")
    file_name = (upload.filename or "upload.csv")[:200]
    try:
        report = import_attendance(
            db.session, decode_file(data), platform_id=launch.platform_id, activity=activity,
            actor=_actor(launch), rulebook=_rulebook(), as_of=today(), origin=request.remote_addr,
            file_name=file_name,
        )
    except AttendanceFileError as exc:
        db.session.rollback()
        raise Refused(400, "The file cannot be imported", str(exc), "bad_attendance_file") from None
    db.session.commit()
    return render_template("instructor/import_report.html", report=report, file_name=file_name,
                           **_page_context(launch, link, activity))


# ------------------------------------------------------------------------------------------- course overview

SORT_LABELS = {
    "name": "Official",
    "email": "Email",
    "programme": "Programme",
    "status": "Status",
    "earned": "Earned / required",
    "deadline": "Deadline",
}


def _overview_rows(launch: LaunchSession):
    members = _course_members(launch, also_known=True)
    rows = roster.course_progress(db.session, members.officials, _rulebook(), today())
    key = request.args.get("sort", "name")
    key = key if key in roster.SORT_KEYS else "name"
    descending = request.args.get("dir") == "desc"
    return members, roster.sort_progress(rows, key, descending), key, descending


@bp.get("/overview")
@role_required("instructor")
def overview():
    """Every learner of the course with their progress in each programme, sortable and exportable."""
    launch = _launch()
    members, rows, key, descending = _overview_rows(launch)
    db.session.commit()
    return render_template("instructor/overview.html", launch=launch, members=members, rows=rows, sort_key=key,
                           descending=descending, sort_labels=SORT_LABELS)


CSV_FIELDS = ("name", "email", "programme", "edition", "status", "earned", "required", "unit", "deadline",
              "certified_on")


@bp.get("/overview.csv")
@role_required("instructor")
def overview_csv():
    """The course overview as a CSV file, in the order the page shows."""
    launch = _launch()
    _, rows, key, descending = _overview_rows(launch)
    db.session.commit()
    text = reports.csv_text([CSV_FIELDS, *[
        (row.official.display_name, row.official.email, row.programme, row.edition_id,
         progress_status(row), credit(row.earned), credit(row.required), row.unit,
         row.deadline.isoformat() if row.deadline else None,
         row.certified_on.isoformat() if row.certified_on else None)
        for row in rows
    ]])
    response = make_response(text)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    title = (launch.context.label or launch.context.lti_context_id or "course")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in title)[:60] or "course"
    response.headers["Content-Disposition"] = f'attachment; filename="overview-{safe}-{today().isoformat()}.csv"'
    return response


# ------------------------------------------------------------------------------------------- submission review


def _reviewed_official(launch: LaunchSession) -> tuple[Official | None, str | None]:
    """The official a submission review is about: the LMS's `for_user`, or one picked on a roster page."""
    if request.args.get("official"):
        return _ticketed_official(launch, request.args.get("official"), request.args.get("ticket")), None
    sub = launch.for_user_sub
    if not sub:
        return None, None
    return launches.find_official(db.session, launch.platform_id, sub), sub


@bp.get("/submission")
@role_required("instructor")
def submission():
    """One official's record of the placement's activity (every activity for a progress placement): each
    completion with its history (recorded, amended, reversed: by whom, when, why)."""
    launch = _launch()
    link = launch.resource_link
    if link is not None and not launch.can_instruct(link.context_id):
        raise Refused(403, "Not your course", "This placement belongs to another course than your launch.",
                      "forbidden_course")
    official, sub = _reviewed_official(launch)
    activity = db.session.get(Activity, link.activity_id) if link is not None and link.kind == "activity" \
        and link.activity_id else None
    histories, entry, actors = [], None, {}
    if official is not None:
        histories = roster.record_history(db.session, official, activity.id if activity is not None else None)
        if activity is not None:
            entry = roster.roster_entry(db.session, link, official)
        actors = roster.actor_names(db.session, launch.platform_id,
                                    [row.recorded_by for history in histories for row in history.entries])
    context = _page_context(launch, link, activity) if activity is not None else {
        "launch": launch, "link": link, "activity": None}
    activities = roster.activities_by_id(db.session, {history.record.activity_id for history in histories})
    titles = {activity_id: row.title for activity_id, row in activities.items()}
    units = {activity_id: roster.credit_unit(row) for activity_id, row in activities.items()}
    db.session.commit()
    return render_template("instructor/submission.html", official=official, sub=sub, histories=histories, entry=entry, actors=actors, notice=_notice(launch), titles=titles,
                           units=units, **context)
