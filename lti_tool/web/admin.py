"""Administrator pages: platforms and deployments, the catalogue, default editions, officials' records with
adjustments (each asks why and is audited), fee payments, the outbox's dead letters, the newly certified and
lapse reports, and CARES in Action.

A platform administrator sees their own platform's officials, deployments and jobs; a tool administrator
(Official.is_tool_admin) sees every platform's. Municipalities and the catalogue are shared by all platforms.

The catalogue, the default editions, and municipalities with their CARES progress are shared by every platform of
the installation, so any administrator may view them but only one who answers for the whole installation may
change them: a tool administrator, or an LMS administrator when only one platform is registered (every registered
platform counts, pending or not). Others see the catalogue forms disabled with that reason, and a change they send
anyway is refused with 403.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from flask import Blueprint, Response, abort, redirect, render_template, request
from sqlalchemy import func, select

from ..db import db
from ..models import (
    Activity,
    ActivitySession,
    Certification,
    Deployment,
    Enrollment,
    FeePayment,
    Municipality,
    Official,
    OutboxJob,
    Platform,
)
from ..outbox import jobs
from ..services import cares, enrollments, fees, officials, platforms, reports
from ..services import catalogue as catalogue_service
from ..services.certification import refresh_certifications
from ..services.credentials import credentials_for_municipality
from ..services.completions import effective_completions
from ..services.progress import official_progress
from .formatting import credit, register_formatting
from ..rulebook import current_rulebook, today
from .session import current_launch, launch_url_for, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

NOTICES = {
    "activated": "The deployment is active: launches from it are accepted.",
    "edition": "New enrollments get the chosen edition from now on.",
    "completion": "The completion is recorded.",
    "amended": "The correction is recorded.",
    "reversed": "The completion is reversed.",
    "approved": "The completion is approved and counts.",
    "fee": "The payment is recorded.",
    "refund": "The refund is recorded.",
    "municipality": "The municipality is recorded.",
    "migrated": "The enrollment moved to the chosen edition.",
    "retried": "The job will be sent again.",
    "cares": "The action item update is recorded.",
    "recognitions": "The recognition badges are issued.",
    "added": "The municipality is added.",
    "activity_added": "The activity is added to the catalogue.",
    "activity_saved": "The activity's changes are saved.",
    "retired": "The activity is retired: the planner and course placements no longer offer it; its completions "
               "still count.",
    "restored": "The activity is offered again.",
    "session_added": "The session is added: the planner can propose it.",
    "session_cancelled": "The session is cancelled.",
}


class FormProblem(ValueError):
    """A form field that cannot be read, with the reason in words."""


@bp.record_once
def _setup(state) -> None:
    register_formatting(state.app)


def _scope() -> int | None:
    """The platform whose rows this administrator may see, or None for a tool administrator (all)."""
    launch = current_launch()
    return None if launch.roles.tool_admin else launch.platform_id


def _actor() -> str:
    launch = current_launch()
    return f"admin:{launch.official.id}" if launch.official else f"admin:platform:{launch.platform_id}"


def _origin() -> str | None:
    return request.remote_addr


def _notice() -> str | None:
    return NOTICES.get(request.args.get("notice", ""))


def _date(name: str, label: str, *, default: dt.date | None = None) -> dt.date:
    text = (request.values.get(name) or "").strip()
    if not text:
        if default is not None:
            return default
        raise FormProblem(f"{label} is missing")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FormProblem(f"{label} must be a date YYYY-MM-DD, got {text!r}") from None


def _attempt(change: Callable[[], object], done: Callable[[], Response], failed: Callable[[list[str]], object]):
    """Run a change in the request's transaction: commit and go on, or roll back and show why."""
    try:
        change()
    except (FormProblem, officials.OfficialError, fees.FeeError, enrollments.EnrollmentError, cares.CaresError,
            jobs.OutboxError, KeyError) as exc:
        db.session.rollback()
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return failed([str(message)])
    db.session.commit()
    return done()


# ------------------------------------------------------------------------------------------------------- home


@bp.get("/")
@role_required("admin")
def home():
    """The administration home: what needs attention and where everything is."""
    scope = _scope()
    visible = _visible_platforms()
    pending = sum(1 for p in visible for d in p.deployments if not d.active)
    dead = len(jobs.dead_jobs(db.session, platform_id=scope, limit=1000))
    return render_template("admin/home.html", pending=pending, dead=dead, tool_admin=scope is None,
                           platform_count=len(visible))


# -------------------------------------------------------------------------------------------------- platforms


def _visible_platforms() -> list[Platform]:
    """The platforms this administrator may see: their own, or every one for a tool administrator."""
    scope = _scope()
    return [p for p in platforms.list_platforms(db.session) if scope is None or p.id == scope]


@bp.get("/platforms")
@role_required("admin")
def platform_list():
    """Registered platforms and their deployments; pending deployments can be activated."""
    return render_template("admin/platforms.html", platforms=_visible_platforms(), notice=_notice(), errors=[])


@bp.post("/deployments/<int:deployment_id>/activate")
@role_required("admin")
def activate(deployment_id: int):
    """Accept launches from a deployment the platform announced (recorded inactive until now)."""
    deployment = db.session.get(Deployment, deployment_id)
    scope = _scope()
    if deployment is None or (scope is not None and deployment.platform_id != scope):
        abort(404)

    def change():
        platforms.activate_deployment(db.session, deployment, actor=_actor())

    return _attempt(change, lambda: redirect(launch_url_for("admin.platform_list", notice="activated"), 303),
                    lambda errors: (render_template("admin/platforms.html", platforms=_visible_platforms(),
                                                    notice=None, errors=errors), 422))


# -------------------------------------------------------------------------------------------------- catalogue
# Who may change the catalogue every platform shares: see the module docstring.

INSTALLATION_LOCKED = ("This is shared by every platform of this installation, so a change here changes it for "
                       "all of them: only a tool administrator may change it (the operator grants the right with "
                       "`lti-tool admin grant`). You can view it; ask a tool administrator for the change you need.")
ACTIVITY_INPUTS = ("title", "kind", "hours", "points", "format", "provider", "category", "passing_fraction",
                   "counts_once_per", "description", "aliases")
REPEAT_WORDS = {
    "programme": "No: once per programme",
    "year": "Yes, once each year (events, yearly records)",
    "completion": "Yes, every time (each completion is a different item, e.g. an article)",
}


def _installation_rights() -> tuple[bool, str | None]:
    """Whether this administrator may change what every platform shares (catalogue, default editions,
    municipalities and their CARES progress), and if not, why."""
    launch = current_launch()
    if launch.roles.tool_admin:
        return True, None
    only_platform = db.session.scalar(select(func.count()).select_from(Platform)) == 1
    if launch.roles.is_admin and only_platform:
        return True, None
    return False, INSTALLATION_LOCKED


def _require_installation_rights() -> None:
    allowed, why = _installation_rights()
    if not allowed:
        abort(403, description=why)


def _catalogue_attempt(change: Callable[[], object], done: Callable[[], Response],
                       failed: Callable[[list[str], dict[str, str]], object]):
    """`_attempt` for catalogue changes: a refusal says which fields it is about, so the form can mark them."""
    problems: dict[str, str] = {}

    def guarded() -> None:
        try:
            change()
        except catalogue_service.CatalogueError as exc:
            problems.update(exc.problems)
            raise FormProblem(str(exc)) from exc

    def refused(errors: list[str]):
        messages = catalogue_service.CatalogueError(problems).messages if problems else errors
        return failed(messages, problems)

    return _attempt(guarded, done, refused)


def _activity_or_404(activity_id: str) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


def _entries_of(activity: Activity) -> dict:
    """An activity's values as its form shows them."""
    return {
        "title": activity.title, "kind": activity.kind, "hours": credit(activity.hours),
        "points": credit(activity.points), "format": activity.format, "provider": activity.provider,
        "category": activity.category or "", "passing_fraction": credit(activity.passing_fraction),
        "counts_once_per": activity.counts_once_per, "description": activity.description or "",
        "aliases": "\n".join(activity.aliases or []), "areas": list(activity.areas),
    }


def _entered_activity() -> dict:
    """The activity fields the form sent (a field left out of the request is left out here)."""
    entered = {name: request.form[name] for name in ACTIVITY_INPUTS if name in request.form}
    if "areas_shown" in request.form:  # unticked boxes send nothing: the marker says the area boxes were there
        entered["areas"] = request.form.getlist("areas")
    return entered


def _activity_arguments(entered: dict) -> dict:
    """Form entries as the catalogue operations take them."""
    arguments = dict(entered)
    if "aliases" in arguments:
        arguments["aliases"] = arguments["aliases"].splitlines()
    return arguments


def _catalogue_form_context() -> dict:
    allowed, why = _installation_rights()
    vocabulary = current_rulebook().catalogue
    choices = {name: [(term.id, term.title) for term in getattr(vocabulary, name).values()]
               for name in ("kinds", "formats", "providers", "categories")}
    choices["areas"] = [(area.id, area.title) for area in vocabulary.areas]
    return {"vocabulary": vocabulary, "choices": choices, "labels": catalogue_service.FIELD_LABELS,
            "repeats": REPEAT_WORDS, "can_change": allowed, "locked_reason": why}


@bp.get("/catalogue")
@role_required("admin")
def catalogue():
    """The catalogue: activities with areas, credit, format, provider and their upcoming dated sessions,
    filtered by kind, area or provider."""
    chosen = {name: request.args.get(name, "") for name in ("kind", "area", "provider")}
    activities = [
        activity for activity in db.session.scalars(select(Activity).order_by(Activity.title))
        if (not chosen["kind"] or activity.kind == chosen["kind"])
        and (not chosen["area"] or chosen["area"] in activity.areas)
        and (not chosen["provider"] or activity.provider == chosen["provider"])
    ]
    sessions_by_activity: dict[str, list] = {}
    for sitting in db.session.scalars(select(ActivitySession).where(ActivitySession.starts_on >= today())
                                      .order_by(ActivitySession.starts_on)):
        sessions_by_activity.setdefault(sitting.activity_id, []).append(sitting)
    return render_template("admin/catalogue.html", activities=activities, upcoming=sessions_by_activity,
                           chosen=chosen, notice=_notice(), **_catalogue_form_context())


def _new_activity_page(entered: dict | None = None, problems: dict | None = None, errors: list[str] | None = None,
                       status: int = 200):
    default_fraction = Activity.__table__.c.passing_fraction.default.arg
    entries = {"counts_once_per": "programme", "passing_fraction": credit(default_fraction), "areas": [],
               **(entered or {})}
    return render_template("admin/activity_new.html", entries=entries, problems=problems or {}, errors=errors or [],
                           entered_id=request.form.get("id", ""), reason=request.form.get("reason", ""),
                           **_catalogue_form_context()), status


@bp.get("/catalogue/new")
@role_required("admin")
def activity_new():
    """The form that adds an activity to the catalogue."""
    return _new_activity_page()


@bp.post("/catalogue/new")
@role_required("admin")
def activity_add():
    """Add an activity to the catalogue (every platform's), with the reason."""
    _require_installation_rights()
    entered = {**dict.fromkeys(ACTIVITY_INPUTS, ""), "areas": [], **_entered_activity()}
    activity_id = request.form.get("id", "").strip()
    return _catalogue_attempt(
        lambda: catalogue_service.add_activity(
            db.session, vocabulary=current_rulebook().catalogue, id=activity_id, **_activity_arguments(entered),
            actor=_actor(), reason=request.form.get("reason", ""), origin=_origin()),
        lambda: redirect(launch_url_for("admin.activity_page", activity_id=activity_id, notice="activity_added"), 303),
        lambda errors, problems: _new_activity_page(entered, problems, errors, 422),
    )


def _activity_page(activity: Activity, *, failed: str | None = None, problems: dict | None = None,
                   errors: list[str] | None = None, status: int = 200):
    """The activity page; after a refused change, `failed` names the form whose entries and problems to show."""
    entries = _entries_of(activity)
    if failed == "edit":
        entries.update(_entered_activity())
    sittings = list(db.session.scalars(select(ActivitySession).where(ActivitySession.activity_id == activity.id)
                                       .order_by(ActivitySession.starts_on, ActivitySession.place)))
    session_days = {sitting.id: [dt.date.fromisoformat(day) for day in sitting.dates or [sitting.starts_on.isoformat()]]
                    for sitting in sittings}
    return render_template(
        "admin/activity.html", activity=activity, entries=entries, sittings=sittings, session_days=session_days,
        failed=failed,
        problems=problems or {}, errors=errors or [], entered=request.form if failed else {}, notice=_notice(),
        today=today(), trail=catalogue_service.catalogue_trail(db.session, activity), **_catalogue_form_context(),
    ), status


def _activity_change(activity: Activity, form: str, notice: str, change: Callable[[], object]):
    _require_installation_rights()
    return _catalogue_attempt(
        change,
        lambda: redirect(launch_url_for("admin.activity_page", activity_id=activity.id, notice=notice), 303),
        lambda errors, problems: _activity_page(activity, failed=form, problems=problems, errors=errors, status=422),
    )


@bp.get("/activities/<activity_id>")
@role_required("admin")
def activity_page(activity_id: str):
    """One activity: its fields to edit, retire or restore it, and its sessions to add or cancel."""
    return _activity_page(_activity_or_404(activity_id))


@bp.post("/activities/<activity_id>")
@role_required("admin")
def activity_edit(activity_id: str):
    """Change an activity's fields (for every platform), with the reason; past completions keep their credit."""
    activity = _activity_or_404(activity_id)
    return _activity_change(activity, "edit", "activity_saved", lambda: catalogue_service.update_activity(
        db.session, activity, vocabulary=current_rulebook().catalogue, actor=_actor(),
        reason=request.form.get("reason", ""), origin=_origin(), **_activity_arguments(_entered_activity())))


@bp.post("/activities/<activity_id>/<any(retire, restore):action>")
@role_required("admin")
def activity_state(activity_id: str, action: str):
    """Retire an activity (no longer offered; its completions still count) or offer it again, with the reason."""
    activity = _activity_or_404(activity_id)
    operation = catalogue_service.retire_activity if action == "retire" else catalogue_service.restore_activity
    return _activity_change(activity, "state", "retired" if action == "retire" else "restored", lambda: operation(
        db.session, activity, actor=_actor(), reason=request.form.get("reason", ""), origin=_origin()))


def _session_days() -> list[str]:
    """The first day and any further days typed in the session form, in the order given."""
    further = re.split(r"[\s,;]+", request.form.get("more_days", "").strip())
    return [day for day in (request.form.get("first_day", "").strip(), *further) if day]


@bp.post("/activities/<activity_id>/sessions")
@role_required("admin")
def session_add(activity_id: str):
    """Offer a dated session of the activity (the planner proposes it), with the reason."""
    activity = _activity_or_404(activity_id)
    return _activity_change(activity, "session", "session_added", lambda: catalogue_service.add_session(
        db.session, activity, vocabulary=current_rulebook().catalogue, dates=_session_days(),
        place=request.form.get("place", ""), format=request.form.get("format"),
        provider=request.form.get("provider"), time=request.form.get("time"), actor=_actor(),
        reason=request.form.get("reason", ""), as_of=today(), origin=_origin()))


@bp.post("/activities/<activity_id>/sessions/<int:sitting_id>/cancel")
@role_required("admin")
def session_cancel(activity_id: str, sitting_id: int):
    """Cancel a session that will not take place, with the reason."""
    activity = _activity_or_404(activity_id)
    sitting = db.session.get(ActivitySession, sitting_id)
    if sitting is None or sitting.activity_id != activity.id:
        abort(404)
    return _activity_change(activity, f"cancel-{sitting_id}", "session_cancelled", lambda: (
        catalogue_service.cancel_session(db.session, sitting, actor=_actor(), reason=request.form.get("reason", ""),
                                         origin=_origin())))


# --------------------------------------------------------------------------------------------------- editions


def _edition_page(errors: list[str] | None = None, status: int = 200):
    book = current_rulebook()
    rows = []
    for program in book.programs.values():
        editions = [e for e in book.editions.values() if e.program == program.id]
        if not editions:
            continue
        try:
            current = enrollments.default_edition(db.session, book, program.id, today())
        except enrollments.EnrollmentError:
            current = None
        rows.append({"program": program, "editions": editions, "current": current})
    return render_template("admin/editions.html", rows=rows, notice=_notice(), errors=errors or []), status


@bp.get("/editions")
@role_required("admin")
def editions():
    """Which edition new enrollments in each programme get."""
    return _edition_page()


@bp.post("/editions")
@role_required("admin")
def set_edition():
    """Choose the edition new enrollments in a programme get (existing enrollments keep theirs)."""
    _require_installation_rights()
    return _attempt(
        lambda: enrollments.set_default_edition(db.session, current_rulebook(), request.form.get("program", ""),
                                                request.form.get("edition_id", ""), actor=_actor()),
        lambda: redirect(launch_url_for("admin.editions", notice="edition"), 303),
        lambda errors: _edition_page(errors, 422),
    )


# -------------------------------------------------------------------------------------------------- officials


@bp.get("/officials")
@role_required("admin")
def official_list():
    """Officials of this platform (every platform for a tool administrator), searchable."""
    query = request.args.get("q", "")
    found = officials.find_officials(db.session, platform_id=_scope(), query=query)
    return render_template("admin/officials.html", officials=found, query=query)


def _official_or_404(official_id: int) -> Official:
    official = officials.official_in_scope(db.session, official_id, _scope())
    if official is None:
        abort(404)
    return official


def _record_page(official: Official, errors: list[str] | None = None, status: int = 200):
    book = current_rulebook()
    as_of = today()
    effective = effective_completions(db.session, official.id)
    progress = official_progress(db.session, official, book, as_of, with_plan=False, effective=effective)
    certifications = list(db.session.scalars(select(Certification).where(Certification.official_id == official.id)
                                             .order_by(Certification.certified_on)))
    enrolled = list(db.session.scalars(select(Enrollment).where(Enrollment.official_id == official.id)
                                       .order_by(Enrollment.enrolled_on, Enrollment.id)))
    payments = fees.fee_payments_of(db.session, official.id)
    refunded = {p.refunds_id for p in payments if p.refunds_id}
    page = render_template(
        "admin/official.html", official=official, rows=reports.transcript_rows(db.session, official.id, book, effective),
        effective={item.id: item for item in effective}, progress=progress, certifications=certifications,
        enrollments=enrolled, payments=payments, refunded=refunded, rulebook=book,
        activities=list(db.session.scalars(select(Activity).where(Activity.active.is_(True)).order_by(Activity.title))),
        municipalities=officials.list_municipalities(db.session), trail=officials.audit_trail(db.session, official),
        notice=_notice(), errors=errors or [], today=as_of, purposes=fees.PURPOSE_WORDS,
    )
    return page, status


@bp.get("/officials/<int:official_id>")
@role_required("admin")
def official_record(official_id: int):
    """One official's record: completions, enrollments, certifications, fees, the audit trail, and the forms
    to adjust them."""
    return _record_page(_official_or_404(official_id))


def _record_change(official: Official, notice: str, change: Callable[[], object]):
    return _attempt(change,
                    lambda: redirect(launch_url_for("admin.official_record", official_id=official.id, notice=notice), 303),
                    lambda errors: _record_page(official, errors, 422))


@bp.post("/officials/<int:official_id>/completions")
@role_required("admin")
def add_completion(official_id: int):
    """Record a completion for the official, with the reason."""
    official = _official_or_404(official_id)

    def change():
        activity = db.session.get(Activity, request.form.get("activity_id", ""))
        if activity is None:
            raise FormProblem("choose the activity from the list")
        officials.add_completion(
            db.session, official, activity, completed_on=_date("completed_on", "the completion date"),
            hours=officials.parse_credit(request.form.get("hours")), evidence=request.form.get("evidence"),
            reason=request.form.get("reason", ""), actor=_actor(), rulebook=current_rulebook(), as_of=today(),
            origin=_origin())

    return _record_change(official, "completion", change)


@bp.get("/officials/<int:official_id>/completions/<int:completion_id>")
@role_required("admin")
def completion_form(official_id: int, completion_id: int):
    """The forms that approve, amend or reverse one of the official's completions."""
    official = _official_or_404(official_id)
    try:
        root = officials.completion_of(db.session, official, completion_id)
    except officials.OfficialError:
        abort(404)
    effective = effective_completions(db.session, official.id)
    item = next((entry for entry in effective if entry.id == root.id), None)
    if item is None:
        abort(404)
    row = reports.transcript_rows(db.session, official.id, current_rulebook(), [item])[0]
    return render_template("admin/completion.html", official=official, item=item, row=row, errors=[])


@bp.post("/officials/<int:official_id>/completions/<int:completion_id>/<action>")
@role_required("admin")
def correct_completion(official_id: int, completion_id: int, action: str):
    """Amend, reverse or approve one of the official's completions, with the reason."""
    official = _official_or_404(official_id)
    if action not in ("amend", "reverse", "approve"):
        abort(404)

    def change():
        completion = officials.completion_of(db.session, official, completion_id)
        common = {"reason": request.form.get("reason", ""), "actor": _actor(), "rulebook": current_rulebook(),
                  "as_of": today(), "origin": _origin()}
        if action == "reverse":
            officials.reverse_completion(db.session, official, completion, **common)
        elif action == "approve":
            officials.approve_completion(db.session, official, completion, **common)
        else:
            completed_on = _date("completed_on", "the date") if request.form.get("completed_on") else None
            officials.amend_completion(db.session, official, completion, completed_on=completed_on,
                                       hours=officials.parse_credit(request.form.get("hours")), **common)

    return _record_change(official, {"amend": "amended", "reverse": "reversed", "approve": "approved"}[action], change)


@bp.post("/officials/<int:official_id>/fees")
@role_required("admin")
def record_fee(official_id: int):
    """Record a fee the official paid."""
    official = _official_or_404(official_id)

    def change():
        fees.record_fee_payment(
            db.session, official, program=request.form.get("program", ""), purpose=request.form.get("purpose", ""),
            amount_cents=fees.parse_amount(request.form.get("amount")), paid_on=_date("paid_on", "the payment date"),
            reference=request.form.get("reference"), actor=_actor(), rulebook=current_rulebook(), as_of=today(),
            origin=_origin())

    return _record_change(official, "fee", change)


@bp.post("/officials/<int:official_id>/fees/<int:payment_id>/refund")
@role_required("admin")
def refund_fee(official_id: int, payment_id: int):
    """Refund all or part of a payment (a new row), with the reason."""
    official = _official_or_404(official_id)

    def change():
        payment = db.session.get(FeePayment, payment_id)
        if payment is None or payment.official_id != official.id:
            raise FormProblem(f"payment {payment_id} is not on this official's record")
        amount = fees.parse_amount(request.form["amount"]) if request.form.get("amount") else None
        fees.refund_fee_payment(db.session, payment, amount_cents=amount, reason=request.form.get("reason", ""),
                                actor=_actor(), rulebook=current_rulebook(), as_of=today(), origin=_origin())

    return _record_change(official, "refund", change)


@bp.post("/officials/<int:official_id>/municipality")
@role_required("admin")
def set_municipality(official_id: int):
    """Record the municipality the official serves, with the reason."""
    official = _official_or_404(official_id)

    def change():
        chosen = request.form.get("municipality_id", "")
        municipality = officials.find_municipality(db.session, chosen)
        if chosen and municipality is None:
            raise FormProblem("choose the municipality from the list")
        officials.set_municipality(db.session, official, municipality, reason=request.form.get("reason", ""),
                                   actor=_actor(), rulebook=current_rulebook(), as_of=today(), origin=_origin())

    return _record_change(official, "municipality", change)


@bp.post("/officials/<int:official_id>/enrollments/<int:enrollment_id>/migrate")
@role_required("admin")
def migrate(official_id: int, enrollment_id: int):
    """Move one of the official's enrollments to another edition of its programme, with the reason."""
    official = _official_or_404(official_id)

    def change():
        enrollment = db.session.get(Enrollment, enrollment_id)
        if enrollment is None or enrollment.official_id != official.id:
            raise FormProblem(f"enrollment {enrollment_id} is not on this official's record")
        enrollments.migrate_enrollment(db.session, enrollment, current_rulebook(), request.form.get("edition_id", ""),
                                       actor=_actor(), reason=request.form.get("reason", ""), on=today())
        refresh_certifications(db.session, official, current_rulebook(), as_of=today(), actor=_actor())

    return _record_change(official, "migrated", change)


# ------------------------------------------------------------------------------------------------------- fees


@bp.get("/fees")
@role_required("admin")
def fee_list():
    """The latest fee payments and refunds."""
    return render_template("admin/fees.html", rows=fees.recent_fee_payments(db.session, platform_id=_scope()),
                           purposes=fees.PURPOSE_WORDS, programs=current_rulebook().programs)


# ----------------------------------------------------------------------------------------------------- outbox


def _outbox_page(errors: list[str] | None = None, status: int = 200):
    scope = _scope()
    counts = jobs.job_counts(db.session) if scope is None else None
    return render_template("admin/outbox.html", dead=jobs.dead_jobs(db.session, platform_id=scope), counts=counts,
                           notice=_notice(), errors=errors or []), status


@bp.get("/outbox")
@role_required("admin")
def outbox():
    """LMS jobs that gave up (dead letters), to retry once the cause is fixed."""
    return _outbox_page()


@bp.post("/outbox/<int:job_id>/retry")
@role_required("admin")
def retry(job_id: int):
    """Send a dead job again from scratch."""
    job = db.session.get(OutboxJob, job_id)
    scope = _scope()
    if job is None or (scope is not None and job.platform_id != scope):
        abort(404)
    return _attempt(lambda: jobs.retry_dead(db.session, job_id, _actor(), origin=_origin()),
                    lambda: redirect(launch_url_for("admin.outbox", notice="retried"), 303),
                    lambda errors: _outbox_page(errors, 422))


# ---------------------------------------------------------------------------------------------------- reports


def _period(default_days: int) -> tuple[dt.date, dt.date, list[str]]:
    end_default = today()
    try:
        start = _date("from", "the first day", default=end_default - dt.timedelta(days=default_days))
        end = _date("to", "the last day", default=end_default)
    except FormProblem as exc:
        return end_default - dt.timedelta(days=default_days), end_default, [str(exc)]
    if end < start:
        return start, end, ["the last day is before the first day"]
    return start, end, []


def _csv(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/reports/certified")
@role_required("admin")
def certified_report():
    """Officials newly certified in a period (for the press release and the magazine story); CSV with format=csv."""
    start, end, errors = _period(31)
    rows = [] if errors else reports.newly_certified(db.session, current_rulebook(), start, end, platform_id=_scope())
    if request.args.get("format") == "csv" and not errors:
        return _csv(reports.newly_certified_csv(rows), f"newly-certified-{start}-{end}.csv")
    return render_template("admin/certified.html", rows=rows, start=start, end=end, errors=errors), 422 if errors else 200


@bp.get("/reports/lapses")
@role_required("admin")
def lapse_report():
    """Continuing education that lapsed in a period, and cycles ending in it with work or fee outstanding."""
    start, end, errors = _period(0)
    if "to" not in request.args and not errors:
        end = start + dt.timedelta(days=90)
    rows = [] if errors else reports.lapse_report(db.session, current_rulebook(), start, end, today(),
                                                  platform_id=_scope())
    if request.args.get("format") == "csv" and not errors:
        return _csv(reports.lapse_report_csv(rows), f"lapses-{start}-{end}.csv")
    return render_template("admin/lapses.html", rows=rows, start=start, end=end, errors=errors), 422 if errors else 200


# ------------------------------------------------------------------------------------------------------ CARES


def _cares_overview(errors: list[str] | None = None, status: int = 200):
    book = current_rulebook()
    statuses = cares.all_statuses(db.session, book.cares, today(), platform_id=_scope())
    return render_template("admin/cares.html", statuses=statuses, items=book.cares.items, words=cares.STATE_WORDS,
                           notice=_notice(), errors=errors or [], month=today().strftime("%Y-%m")), status


@bp.get("/cares")
@role_required("admin")
def cares_overview():
    """Every municipality's seven action items at a glance."""
    return _cares_overview()


@bp.post("/municipalities")
@role_required("admin")
def add_municipality():
    """Add a municipality (officials choose theirs from this list)."""
    _require_installation_rights()
    return _attempt(
        lambda: officials.add_municipality(db.session, request.form.get("name", ""),
                                           ccm_member=request.form.get("ccm_member") == "yes", actor=_actor(),
                                           origin=_origin()),
        lambda: redirect(launch_url_for("admin.cares_overview", notice="added"), 303),
        lambda errors: _cares_overview(errors, 422),
    )


def _municipality_or_404(municipality_id: int) -> Municipality:
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        abort(404)
    return municipality


def _municipality_page(municipality: Municipality, errors: list[str] | None = None, status: int = 200):
    book = current_rulebook()
    status_now = cares.municipality_status(db.session, book.cares, municipality, today(), platform_id=_scope())
    return render_template(
        "admin/cares_municipality.html", municipality=municipality, status=status_now, words=cares.STATE_WORDS,
        history=cares.item_history(db.session, municipality.id), items=book.cares.items,
        issued=credentials_for_municipality(db.session, municipality.id), notice=_notice(), errors=errors or [],
        today=today(),
    ), status


@bp.get("/cares/<int:municipality_id>")
@role_required("admin")
def cares_municipality(municipality_id: int):
    """One municipality's action items with state, date, evidence and reviewer, and its recognitions."""
    return _municipality_page(_municipality_or_404(municipality_id))


@bp.post("/cares/<int:municipality_id>/items")
@role_required("admin")
def cares_update(municipality_id: int):
    """Record a new state of one action item (the latest update is the current state)."""
    _require_installation_rights()
    municipality = _municipality_or_404(municipality_id)

    def change():
        cares.record_item_update(
            db.session, current_rulebook().cares, municipality, request.form.get("item_id", ""),
            state=request.form.get("state", ""), effective_on=_date("effective_on", "the date", default=today()),
            evidence_url=request.form.get("evidence_url"), reviewer=request.form.get("reviewer"),
            note=request.form.get("note"), actor=_actor(), origin=_origin())

    return _attempt(change,
                    lambda: redirect(launch_url_for("admin.cares_municipality", municipality_id=municipality.id,
                                                    notice="cares"), 303),
                    lambda errors: _municipality_page(municipality, errors, 422))


@bp.post("/cares/<int:municipality_id>/recognitions")
@role_required("admin")
def cares_recognitions(municipality_id: int):
    """Issue the badges of the recognitions the municipality has earned (each once)."""
    _require_installation_rights()
    municipality = _municipality_or_404(municipality_id)
    return _attempt(
        lambda: cares.issue_recognitions(db.session, current_rulebook().cares, municipality, today(), actor=_actor()),
        lambda: redirect(launch_url_for("admin.cares_municipality", municipality_id=municipality.id,
                                        notice="recognitions"), 303),
        lambda errors: _municipality_page(municipality, errors, 422),
    )


@bp.get("/cares/report")
@role_required("admin")
def cares_report():
    """The monthly progress report across municipalities (page, or CSV with format=csv)."""
    book = current_rulebook()
    month = request.args.get("month") or today().strftime("%Y-%m")
    try:
        rows = cares.monthly_report(db.session, book.cares, month, platform_id=_scope())
    except cares.CaresError as exc:
        return render_template("admin/cares_report.html", rows=[], month=month, items=book.cares.items,
                               words=cares.STATE_WORDS, errors=[str(exc)]), 422
    if request.args.get("format") == "csv":
        return _csv(reports.csv_text(cares.monthly_report_csv_rows(book.cares, rows)), f"cares-{month}.csv")
    return render_template("admin/cares_report.html", rows=rows, month=month, items=book.cares.items,
                           words=cares.STATE_WORDS, errors=[])
