"""The planner on the shipped catalogue: the fewest upcoming sessions that complete a programme in time."""

from __future__ import annotations

import json

from lti_tool.engine import COMPLETE, Enrollment, HeldCertification, evaluate, plan

from .conftest import attended, day


def planned_completions(rulebook, proposal):
    return [
        rulebook.catalogue.activities[session.activity_id].completion(
            f"planned-{index}", session.date, format=session.format, provider=session.provider)
        for index, session in enumerate(proposal.sessions)
    ]


def test_a_new_classic_enrollment_is_planned_in_twelve_sessions_that_complete_it(rulebook):
    edition = rulebook.edition("ccmo-classic")
    enrollment = Enrollment(edition.id, day("2026-01-10"))

    proposal = plan(edition, enrollment, [], day("2026-01-10"), rulebook.catalogue)

    assert proposal.feasible
    assert len(proposal.sessions) == 12
    assert all(session.date < day("2028-01-10") for session in proposal.sessions)
    result = evaluate(edition, enrollment, planned_completions(rulebook, proposal), day("2028-01-09"))
    assert result.status == COMPLETE
    assert result.completed_on == proposal.completes_on


def test_the_plan_builds_on_what_is_already_counted(rulebook):
    edition = rulebook.edition("ccmo-classic")
    enrollment = Enrollment(edition.id, day("2025-03-15"))
    done = attended(rulebook, ("2025-04-01", "time-management"), ("2025-04-02", "budgets-finance"),
                    ("2025-04-03", "supervisor-training"), ("2025-04-04", "leading-for-diversity"),
                    ("2025-04-05", "social-media"), ("2025-04-06", "records-management"),
                    ("2025-11-18", "annual-convention"))

    proposal = plan(edition, enrollment, done, day("2026-06-01"), rulebook.catalogue)

    assert proposal.feasible and len(proposal.sessions) == 5
    assert not {session.activity_id for session in proposal.sessions} & {completion.activity_id for completion in done}


def test_ccpl_plan_includes_an_in_person_pselc_session_for_each_area(rulebook):
    edition = rulebook.edition("ccpl-academy")
    enrollment = Enrollment(edition.id, day("2026-06-01"))
    ccmo = (HeldCertification("ccmo", "ccmo-academy", day("2025-05-01")),)

    proposal = plan(edition, enrollment, [], day("2026-06-01"), rulebook.catalogue, ccmo)

    assert proposal.feasible and len(proposal.sessions) == 12
    pselc = {session.toward: session.place for session in proposal.sessions if session.toward}
    assert set(pselc) == {"area:personal", "area:organizational", "area:community"}
    assert set(pselc.values()) <= {"UConn Hartford", "UConn Stamford"}
    as_json = json.loads(json.dumps(proposal.to_dict()))
    assert as_json["feasible"] is True and len(as_json["sessions"]) == 12


def test_the_planner_says_when_the_programme_can_no_longer_be_done_in_time(rulebook):
    edition = rulebook.edition("ccmo-classic")

    proposal = plan(edition, Enrollment(edition.id, day("2024-01-10")), [], day("2025-06-10"), rulebook.catalogue)

    assert not proposal.feasible
    assert proposal.sessions == ()
    assert proposal.message.startswith("cannot be completed by 9 January 2026")


def test_a_prerequisite_missing_is_no_plan(rulebook):
    edition = rulebook.edition("ccpl-academy")
    proposal = plan(edition, Enrollment(edition.id, day("2026-06-01")), [], day("2026-06-01"), rulebook.catalogue)
    assert not proposal.feasible
    assert "CCMO" in proposal.message
