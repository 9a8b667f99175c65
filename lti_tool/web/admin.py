"""Administrator pages (placeholder): where a platform administrator lands after a launch."""

from __future__ import annotations

from flask import Blueprint, render_template

from .session import current_launch, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@role_required("admin")
def home():
    """The administration home (placeholder)."""
    return render_template("placeholder/page.html", heading="Administration", launch=current_launch(), extra=[], links=[])
