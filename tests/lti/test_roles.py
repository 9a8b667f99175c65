"""Reading the roles claim: full URIs, short names, LTI 1.1 URNs; Moodle's administrator roles."""

from __future__ import annotations

import pytest

from lti_tool.lti.roles import CONTEXT, INSTITUTION, SYSTEM, UNKNOWN, Role, RoleSet, parse_role

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (LIS + "membership#Learner", Role(CONTEXT, "Learner")),
        (LIS + "membership#Instructor", Role(CONTEXT, "Instructor")),
        (LIS + "membership/Instructor#TeachingAssistant", Role(CONTEXT, "Instructor", "TeachingAssistant")),
        (LIS + "institution/person#Administrator", Role(INSTITUTION, "Administrator")),
        (LIS + "system/person#Administrator", Role(SYSTEM, "Administrator")),
        ("Instructor", Role(CONTEXT, "Instructor")),
        ("urn:lti:role:ims/lis/Learner", Role(CONTEXT, "Learner")),
        ("urn:lti:sysrole:ims/lis/Administrator", Role(SYSTEM, "Administrator")),
        ("http://example.org/roles#Astronaut", Role(UNKNOWN, "http://example.org/roles#Astronaut")),
    ],
)
def test_role_values_are_parsed_with_their_scope(value, expected):
    assert parse_role(value) == expected


def test_moodle_site_administrator_is_an_administrator():
    roles = RoleSet.from_claim(
        [LIS + "institution/person#Administrator", LIS + "membership#Instructor", LIS + "system/person#Administrator"]
    )
    assert roles.is_admin and roles.is_instructor and roles.primary == "admin"


def test_course_administrator_is_an_instructor_not_a_site_administrator():
    roles = RoleSet.from_claim([LIS + "membership#Administrator"])
    assert roles.is_instructor and not roles.is_admin and roles.primary == "instructor"


def test_learner_has_no_instructor_rights():
    roles = RoleSet.from_claim([LIS + "membership#Learner"])
    assert roles.is_learner and not roles.is_instructor and roles.allows("learner") and not roles.allows("instructor")


@pytest.mark.parametrize("claim", [[], ["http://example.org/roles#Astronaut"], "not-a-list", None])
def test_without_a_recognised_role_a_launch_is_a_learner(claim):
    roles = RoleSet.from_claim(claim)
    assert roles.primary == "learner" and not roles.is_instructor and not roles.is_admin


def test_tool_administrator_flag_grants_the_admin_pages():
    roles = RoleSet.from_claim([LIS + "membership#Learner"], tool_admin=True)
    assert roles.allows("admin") and roles.primary == "admin"


def test_an_unknown_page_role_is_a_programming_error():
    with pytest.raises(ValueError):
        RoleSet.from_claim([]).allows("superuser")
