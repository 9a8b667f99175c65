"""Instructor pages (placeholder): course overview, activity roster, submission review.

An instructor's rights hold only in the course of the launch: every page works on `current_launch().context`.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from ..db import db
from ..services import launches
from .session import current_launch, launch_url_for, role_required

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


def _page(heading: str, extra: list[tuple[str, str]] | None = None):
    launch = current_launch()
    links = [("My certification progress", launch_url_for("learner.progress"))]
    return render_template("placeholder/page.html", heading=heading, launch=launch, extra=extra or [], links=links)


@bp.get("/overview")
@role_required("instructor")
def overview():
    """The course overview for a progress placement (placeholder)."""
    return _page("Course overview")


@bp.get("/roster")
@role_required("instructor")
def roster():
    """The roster of the placement's catalogue activity (placeholder)."""
    return _page("Activity roster", [("Activity", current_launch().activity_id or "none")])


@bp.get("/submission")
@role_required("instructor")
def submission():
    """One official's record for the placement's activity, from a submission review launch (placeholder)."""
    launch = current_launch()
    sub = launch.for_user_sub
    official = launches.find_official(db.session, launch.platform_id, sub) if sub else None
    if official is not None:
        reviewed = official.display_name
    else:
        reviewed = f"LMS user {sub} (not seen by the tool yet)" if sub else "nobody"
    return _page("Submission review", [("Reviewing", reviewed)])
