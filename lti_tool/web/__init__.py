"""The web front: one blueprint per area of the site."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every area's blueprint, the launch session helpers and the browser protections to the app."""
    from ..lti.views import bp as lti_bp
    from .admin import bp as admin_bp
    from .instructor import bp as instructor_bp
    from .learner import bp as learner_bp
    from .public import bp as public_bp
    from .security import register_security
    from .session import register_launch_session
    from .verify import bp as verify_bp

    for blueprint in (public_bp, lti_bp, learner_bp, instructor_bp, admin_bp, verify_bp):
        app.register_blueprint(blueprint)
    register_launch_session(app)
    register_security(app)
