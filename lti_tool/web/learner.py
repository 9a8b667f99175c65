"""Learner pages (placeholder): the progress page a learner lands on after a launch."""

from __future__ import annotations

from flask import Blueprint, render_template

from .session import current_launch, role_required

bp = Blueprint("learner", __name__, url_prefix="/learner")


@bp.get("/progress")
@role_required("learner")
def progress():
    """The learner's certification progress (placeholder)."""
    return render_template("placeholder/page.html", heading="My certification progress", launch=current_launch(), extra=[], links=[])
