"""The tool's LTI library (pylti1p3) talks to the emulator as it talked to the real Moodle."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from tests.emulator import PlatformEmulator
from tests.emulator.moodle_fixtures import load_fixture

from .conftest import ThrowawayTool

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@pytest.fixture
def connector(emu: PlatformEmulator, tool: ThrowawayTool) -> ServiceConnector:
    """pylti1p3's service connector with the throwaway tool's key, registered with the emulator."""
    private_pem = tool.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = tool.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    registration = (
        Registration()
        .set_issuer(emu.issuer)
        .set_client_id(emu.client_id)
        .set_auth_token_url(emu.token_url)
        .set_auth_login_url(emu.auth_login_url)
        .set_key_set_url(emu.jwks_url)
        .set_tool_private_key(private_pem)
        .set_tool_public_key(public_pem)
    )
    emu.register_tool(redirect_uris=["http://tool.test/launch"], jwks={"keys": registration.get_jwks()})
    return ServiceConnector(registration)


def test_pylti1p3_reads_line_items_and_members_like_it_did_from_moodle(
    emu: PlatformEmulator, connector: ServiceConnector
) -> None:
    claims = emu.claims("learner1")
    captured = load_fixture("pylti1p3-services.json")["calls"][0]

    lineitems = AssignmentsGradesService(connector, claims[AGS_CLAIM]).get_lineitems()
    members = NamesRolesProvisioningService(connector, claims[NRPS_CLAIM]).get_members()

    assert lineitems[0] == {**captured["ags_lineitems"][0], "id": emu.lineitem_url(2)}
    assert members == captured["nrps_members"]


def test_pylti1p3_creates_a_column_and_posts_a_grade_that_reaches_the_gradebook(
    emu: PlatformEmulator, connector: ServiceConnector
) -> None:
    ags = AssignmentsGradesService(connector, emu.claims("learner1")[AGS_CLAIM])
    column = LineItem().set_label("CCMO: Ethics & Accountability").set_score_maximum(3).set_tag("ccmo-credit")
    grade = (
        Grade().set_user_id("4").set_score_given(3).set_score_maximum(3).set_activity_progress("Completed")
        .set_grading_progress("FullyGraded").set_timestamp(dt.datetime.now(dt.timezone.utc).isoformat())
    )

    created = ags.find_or_create_lineitem(column)
    ags.put_grade(grade, created)
    results = ags.get_grades(created)

    assert created.get_id() == emu.lineitem_url(4)
    assert emu.gradebook()[created.get_id()]["grades"]["4"]["score"] == 3
    assert [(result["userId"], result["resultScore"]) for result in results] == [("4", 3)]
