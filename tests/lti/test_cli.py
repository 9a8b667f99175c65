"""`lti-tool deployment ...` and `lti-tool launches purge` (registered by the command line's owner)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from lti_tool.cli.lti import deployment_group, launches_group
from lti_tool.db import db
from lti_tool.lti import claims as c
from lti_tool.models import Deployment, LaunchState, utcnow

from .driver import error_code_of


@pytest.fixture
def cli(app_config, emulator):
    env = {
        "DATABASE_URL": app_config["DATABASE_URL"],
        "INSTANCE_DIR": str(app_config["INSTANCE_DIR"]),
        "KEYS_DIR": str(app_config["KEYS_DIR"]),
        "SECRET_KEY": app_config["SECRET_KEY"],
    }

    def run(group, *args: str):
        # The command runs in its own app and transaction: release this thread's session (and its lock) first.
        db.session.commit()
        db.remove()
        result = CliRunner().invoke(group, list(args), env=env)
        db.remove()
        return result

    return run


def test_pending_deployment_is_listed_then_activated(driver, cli):
    assert error_code_of(driver.forged_launch(**{c.DEPLOYMENT_ID: "9"})) == "deployment_pending"
    platform_id = db.session.query(Deployment).filter_by(deployment_id="9").one().platform_id
    listed = cli(deployment_group, "pending")
    assert "deployment 9" in listed.output
    activated = cli(deployment_group, "activate", str(platform_id), "9")
    assert activated.exit_code == 0, activated.output
    assert driver.forged_launch(**{c.DEPLOYMENT_ID: "9"}).status_code == 303


def test_activating_an_unknown_deployment_says_so(cli):
    result = cli(deployment_group, "activate", "999", "1")
    assert result.exit_code != 0 and "no platform 999" in result.output


def test_purge_deletes_expired_login_states(driver, cli):
    state = driver.login_state()["state"]
    db.session.get(LaunchState, state).expires_at = utcnow() - timedelta(minutes=1)
    fresh = driver.login_state()["state"]
    assert cli(launches_group, "purge").exit_code == 0
    assert db.session.get(LaunchState, state) is None
    assert db.session.get(LaunchState, fresh) is not None
