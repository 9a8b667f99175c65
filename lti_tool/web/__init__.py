"""The web front: one blueprint per area of the site."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every area's blueprint to the app."""
    from .public import bp as public_bp

    app.register_blueprint(public_bp)
