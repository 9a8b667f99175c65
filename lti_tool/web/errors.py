"""Error pages: every failure answers a plain page (or JSON) with a reason, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, title: str, reason: str, code: str):
    """Render the error page (or JSON body) for a failed request."""
    if _wants_json():
        return jsonify({"error": code, "title": title, "reason": reason}), status
    return render_template("error.html", status=status, title=title, reason=reason, code=code), status


def register_error_handlers(app: Flask) -> None:
    """Turn HTTP errors and unexpected exceptions into readable pages."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = getattr(exc, "error_code", None) or (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, exc.name or "Error", exc.description or "", code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        generic = InternalServerError()
        return error_response(500, "Something went wrong", generic.description, "internal_error")
