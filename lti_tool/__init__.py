"""Civic Credentials: an LTI 1.3 tool for municipal officials' certificate programmes."""

from __future__ import annotations

from flask import Flask

from .config import load_config
from .db import db


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask application from the environment, with `config` overriding it."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)

    from .web import register_blueprints
    from .web.errors import register_error_handlers

    register_blueprints(app)
    register_error_handlers(app)
    return app
