"""Enrolling: the edition new enrollments get, and eligibility explained when it fails."""

from __future__ import annotations

from datetime import date

import pytest

from lti_tool.models import Certification
from lti_tool.services import enrollments
from tests.factories import gen_municipality, gen_official


def test_new_enrollments_get_the_edition_in_force_and_keep_it(session, rulebook):
    official = gen_official(session, municipality=gen_municipality(session, ccm_member=True))
    enrollment = enrollments.enroll(session, official, "ccmo", rulebook, actor="test", enrolled_on=date(2026, 5, 1))
    assert enrollment.edition_id == "ccmo-academy"
    enrollments.set_default_edition(session, rulebook, "ccmo", "ccmo-classic", actor="admin")
    assert enrollment.edition_id == "ccmo-academy"
    other = gen_official(session, municipality=gen_municipality(session, ccm_member=True))
    assert enrollments.enroll(session, other, "ccmo", rulebook, actor="test",
                              enrolled_on=date(2026, 6, 1)).edition_id == "ccmo-classic"


def test_classic_ccmo_is_only_for_member_municipalities(session, rulebook):
    classic_day = date(2023, 3, 1)
    nowhere = gen_official(session)
    with pytest.raises(enrollments.EnrollmentError) as missing:
        enrollments.enroll(session, nowhere, "ccmo", rulebook, actor="t", enrolled_on=classic_day)
    assert any("choose your municipality" in reason for reason in missing.value.reasons)
    outsider = gen_official(session, municipality=gen_municipality(session, "Outside Town", ccm_member=False))
    with pytest.raises(enrollments.EnrollmentError) as refused:
        enrollments.enroll(session, outsider, "ccmo", rulebook, actor="t", enrolled_on=classic_day)
    assert any("member" in reason for reason in refused.value.reasons)
    member = gen_official(session, municipality=gen_municipality(session, "Member Town", ccm_member=True))
    assert enrollments.enroll(session, member, "ccmo", rulebook, actor="t", enrolled_on=classic_day).edition_id == "ccmo-classic"


def test_ccpl_needs_a_ccmo_held_on_the_enrollment_date(session, rulebook):
    official = gen_official(session, municipality=gen_municipality(session))
    with pytest.raises(enrollments.EnrollmentError) as refused:
        enrollments.enroll(session, official, "ccpl", rulebook, actor="t", enrolled_on=date(2026, 4, 1))
    assert any("CCMO" in reason for reason in refused.value.reasons)
    ccmo = enrollments.enroll(session, official, "ccmo", rulebook, actor="t", enrolled_on=date(2024, 2, 1))
    session.add(Certification(official_id=official.id, enrollment_id=ccmo.id, program="ccmo",
                              edition_id="ccmo-academy", certified_on=date(2025, 9, 1), recorded_by="t"))
    session.flush()
    assert enrollments.enroll(session, official, "ccpl", rulebook, actor="t", enrolled_on=date(2026, 4, 1)).edition_id == "ccpl-academy"


def test_a_second_enrollment_in_the_same_programme_is_refused(session, rulebook):
    official = gen_official(session, municipality=gen_municipality(session))
    enrollments.enroll(session, official, "ccmo", rulebook, actor="t", enrolled_on=date(2026, 1, 5))
    with pytest.raises(enrollments.EnrollmentError, match="already enrolled"):
        enrollments.enroll(session, official, "ccmo", rulebook, actor="t", enrolled_on=date(2026, 2, 5))


def test_migrating_keeps_the_enrollment_date_and_ends_the_old_one(session, rulebook):
    official = gen_official(session, municipality=gen_municipality(session))
    old = enrollments.enroll(session, official, "ccmo", rulebook, actor="t", enrolled_on=date(2026, 1, 5))
    moved = enrollments.migrate_enrollment(session, old, rulebook, "ccmo-classic", actor="admin",
                                           reason="board decision", on=date(2026, 3, 1))
    assert old.ended_on == date(2026, 3, 1) and "board decision" in old.ended_reason
    assert moved.enrolled_on == date(2026, 1, 5) and moved.migrated_from_id == old.id
    assert enrollments.active_enrollment(session, official, "ccmo").id == moved.id


def test_eligibility_names_only_what_bars_enrollment_not_what_is_left_to_do(session, rulebook):
    official = gen_official(session, municipality=gen_municipality(session))
    day = date(2026, 4, 1)
    assert enrollments.eligibility_problems(session, official, rulebook.edition("iimc-cmc"), day,
                                            membership_since=date(2024, 1, 1)) == []
    [problem] = enrollments.eligibility_problems(session, official, rulebook.edition("iimc-cmc"), day)
    assert "membership" in problem
