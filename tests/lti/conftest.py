"""Fixtures for the LTI tests: a started platform emulator, the tool registered with it, and a driver."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lti_tool import keys
from lti_tool.db import db
from lti_tool.lti.jwks import platform_keys
from lti_tool.services.platforms import register_platform
from tests.emulator import PlatformEmulator

from .driver import LAUNCH_URL, LOGIN_URL, TOOL_BASE, LaunchDriver


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    """Each test fetches platform keys anew (emulators get new ports and keys)."""
    platform_keys.clear()
    yield
    platform_keys.clear()


def register_emulator(emulator: PlatformEmulator, *, deployment_id: str | None = None):
    """Register an emulator with the tool, as `lti-tool platform add` would."""
    with db.transaction() as session:
        return register_platform(
            session,
            issuer=emulator.issuer,
            client_id=emulator.client_id,
            deployment_id=deployment_id or emulator.deployment_id,
            auth_login_url=emulator.auth_login_url,
            auth_token_url=emulator.token_url,
            keyset_url=emulator.jwks_url,
            name="Emulated Moodle",
            actor="test",
        )


def configure_tool_in(emulator: PlatformEmulator) -> None:
    """Configure the tool in the emulator the way a Moodle administrator would (inside the app context)."""
    tool_keys = keys.jwks(db.session, timedelta(days=7))
    emulator.register_tool(
        redirect_uris=[LAUNCH_URL],
        initiate_login_url=LOGIN_URL,
        target_link_uri=LAUNCH_URL,
        deep_link_url=LAUNCH_URL,
        jwks=tool_keys,
    )


@pytest.fixture
def tool(app, app_config):
    """The app with a signing key, as `lti-tool keys generate` leaves it."""
    assert app_config["TOOL_BASE_URL"] == TOOL_BASE
    with db.transaction() as session:
        keys.generate_key(session, app_config["KEYS_DIR"], actor="test")
    return app


@pytest.fixture(scope="session")
def _running_emulator():
    with PlatformEmulator() as platform:
        yield platform


@pytest.fixture
def emulator(tool, _running_emulator):
    """A started Moodle 4.5 emulator (the fixture's site) registered with the tool, the tool configured in it."""
    _running_emulator.reset()
    register_emulator(_running_emulator)
    configure_tool_in(_running_emulator)
    return _running_emulator


@pytest.fixture
def driver(client, emulator) -> LaunchDriver:
    return LaunchDriver(client, emulator)
