"""A real Chromium (Debian's `chromium`, driven by Playwright) opening the tool inside an LMS page.

Two loopback servers: the tool (its own SQLite file, over real HTTP on 127.0.0.1) and the Moodle emulator on
`localhost`, which also serves a course page embedding the launch in an iframe, so the tool runs in a
cross-site frame as it does under a real LMS. Screenshots go to
test-artifacts/screenshots/; axe-core (installed from npm, see AXE_CORE_JS) checks each page.

Without chromium, Playwright or axe-core the tests are skipped with the reason, except under CI=true where
they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock
from pathlib import Path
from typing import Iterator

import pytest
from markupsafe import escape
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from lti_tool import create_app, keys, migrate
from lti_tool.db import db
from lti_tool.lti.jwks import platform_keys
from lti_tool.services.platforms import register_platform
from lti_tool.services.platforms import platform_origins
from tests.emulator import PlatformEmulator
from tests.emulator.http_app import MoodleApp

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DEFAULT_AXE = ROOT / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI expects the browser tests to run: {what}", pytrace=False)
    pytest.skip(what)


def chromium_executable() -> str | None:
    """The installed Chromium: $CHROMIUM_PATH, else `chromium` or `chromium-browser` on PATH."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def axe_script() -> Path | None:
    """axe-core's axe.min.js: $AXE_CORE_JS, else the copy npm installed under .venv/node."""
    path = Path(os.environ.get("AXE_CORE_JS") or DEFAULT_AXE)
    return path if path.is_file() else None


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


class _MoodleWithCoursePage:
    """The emulator's site plus a course page: `/course?src=<launch url>` embeds the launch in an iframe, as a
    Moodle course page does (same origin as the platform, which the tool's frame-ancestors lists)."""

    def __init__(self, emulator: PlatformEmulator) -> None:
        self.moodle = MoodleApp(emulator)

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path != "/course":
            return self.moodle(environ, start_response)
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Course · Emulated Moodle</title></head>'
            '<body><h1>CCMO Academy</h1>'
            f'<iframe src="{escape(request.args.get("src", ""))}" title="Civic Credentials" width="1180" '
            'height="2400"></iframe></body></html>'
        )
        return Response(body, mimetype="text/html")(environ, start_response)


def start_emulator_with_course_page() -> PlatformEmulator:
    """An emulator on `localhost` (another site than the tool's 127.0.0.1) that also serves the course page."""
    emulator = PlatformEmulator(host="localhost")
    with mock.patch("tests.emulator.platform.MoodleApp", _MoodleWithCoursePage):
        return emulator.start()


@dataclass
class LiveTool:
    """The tool served over HTTP, the emulator registered with it, and the course page that embeds it."""

    app: object
    base_url: str
    emulator: PlatformEmulator
    platform_id: int
    _servers: list = field(default_factory=list)

    def course_url(self, scenario: str, **claim_overrides) -> str:
        """The course page embedding a fresh launch of `scenario`."""
        from urllib.parse import urlencode

        return f"{self.emulator.issuer}/course?" + urlencode({"src": self.emulator.launch_url(scenario, **claim_overrides)})


@pytest.fixture(scope="module")
def live_tool(tmp_path_factory) -> Iterator[LiveTool]:
    """The tool on 127.0.0.1 (its own SQLite file), the emulator, and a course page on localhost."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'browser.db'}"
    migrate.upgrade(url)
    app = create_app({
        "DATABASE_URL": url, "INSTANCE_DIR": folder / "instance", "KEYS_DIR": folder / "keys",
        "SECRET_KEY": secrets.token_hex(16), "TOOL_BASE_URL": "http://127.0.0.1:1", "SESSION_COOKIE_SECURE": True,
    })
    tool_server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    base = f"http://127.0.0.1:{tool_server.port}"
    app.config["TOOL_BASE_URL"] = base
    threading.Thread(target=tool_server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    emulator = start_emulator_with_course_page()
    platform_keys.clear()
    with app.app_context():
        with db.transaction() as session:
            keys.generate_key(session, app.config["KEYS_DIR"], actor="test")
            platform = register_platform(
                session, issuer=emulator.issuer, client_id=emulator.client_id, deployment_id=emulator.deployment_id,
                auth_login_url=emulator.auth_login_url, auth_token_url=emulator.token_url,
                keyset_url=emulator.jwks_url, name="Emulated Moodle", actor="test",
            )
            platform_id = platform.id
        platform_origins.invalidate()  # the process-wide cache may hold another test's platforms
        emulator.register_tool(
            redirect_uris=[base + "/lti/launch"], initiate_login_url=base + "/lti/login",
            target_link_uri=base + "/lti/launch", deep_link_url=base + "/lti/launch",
            jwks=keys.jwks(db.session, timedelta(days=7)),
        )
        db.remove()
    live = LiveTool(app, base, emulator, platform_id)
    try:
        yield live
    finally:
        tool_server.shutdown()
        emulator.stop()
        db.remove()
        platform_keys.clear()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (the Debian package), shared by the module's tests."""
    executable = chromium_executable()
    if executable is None:
        _missing("Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install playwright)")
    if axe_script() is None:
        _missing(f"axe-core is not installed (npm install --prefix .venv/node axe-core, or set AXE_CORE_JS); "
                 f"looked for {DEFAULT_AXE}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser profile (no cookies) with one tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 2500})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()
