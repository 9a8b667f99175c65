"""Public endpoints anyone may call: the tool's key set and the health check."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, render_template

from .. import keys
from ..db import db

bp = Blueprint("public", __name__)


@bp.get("/.well-known/jwks.json")
def jwks():
    """The tool's public keys, including recently retired ones."""
    grace = timedelta(days=current_app.config["KEY_GRACE_DAYS"])
    response = jsonify(keys.jwks(db.session, grace))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.ping()
    except Exception as exc:  # any driver error means "not healthy"
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@bp.get("/")
def home():
    """A short page for people who open the tool's address directly."""
    base = current_app.config["TOOL_BASE_URL"]
    return render_template("home.html", base=base)
