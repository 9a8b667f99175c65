"""Platform registrations."""

from __future__ import annotations

import pytest

from lti_tool.services.platforms import PlatformError, register_platform

MOODLE = dict(
    issuer="https://moodle.town.example",
    auth_login_url="https://moodle.town.example/mod/lti/auth.php",
    auth_token_url="https://moodle.town.example/mod/lti/token.php",
    keyset_url="https://moodle.town.example/mod/lti/certs.php",
)


def test_a_dynamic_registration_without_a_deployment_waits_for_the_first_launch(session):
    platform = register_platform(session, client_id="abc", deployment_id=None, name="Town Moodle",
                                 details={"client_id": "abc"}, actor="lms", registered_by="dynamic", **MOODLE)
    assert platform.registered_by == "dynamic" and platform.deployments == []
    with pytest.raises(PlatformError, match="already registered"):
        register_platform(session, client_id="abc", deployment_id="1", actor="cli", **MOODLE)


def test_a_manual_registration_has_its_deployment_active(session):
    platform = register_platform(session, client_id="xyz", deployment_id="7", actor="cli", **MOODLE)
    [deployment] = platform.deployments
    assert deployment.deployment_id == "7" and deployment.active
