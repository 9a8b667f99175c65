"""The web front: one blueprint per area of the site."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every area's blueprint to the app."""
    from .public import bp as public_bp

    app.register_blueprint(public_bp)
    from ..lti.views import bp as lti_bp
    from .admin import bp as admin_bp
    from .instructor import bp as instructor_bp
    from .learner import bp as learner_bp
    from .session import register_launch_session

    app.register_blueprint(lti_bp)
    app.register_blueprint(learner_bp)
    app.register_blueprint(instructor_bp)
    app.register_blueprint(admin_bp)
    register_launch_session(app)
    from .verify import bp as verify_bp

    app.register_blueprint(verify_bp)
    from .security import register_security

    register_security(app)
