"""The Academy editions (seed 000): CCMO in 18 hours with events at 3 hours; CCPL with its prerequisite and
an in-person PSELC workshop in each development area."""

from __future__ import annotations

from lti_tool.engine import COMPLETE, IN_PROGRESS, NOT_ELIGIBLE, Enrollment, HeldCertification, evaluate

from .conftest import attended, day

PSELC = {"provider": "uconn_pselc", "format": "in_person"}


def run(rulebook, edition_id, completions, as_of, enrolled="2026-01-10", held=()):
    edition = rulebook.edition(edition_id)
    return evaluate(edition, Enrollment(edition.id, day(enrolled)), completions, day(as_of), held)


def test_academy_ccmo_counts_each_of_the_three_events_for_three_hours(rulebook):
    completions = attended(
        rulebook,
        ("2026-02-04", "rfps-rfqs"),
        ("2026-02-10", "community-branding", {"format": "webinar"}),
        ("2026-03-19", "women-in-government-summit"),
        ("2026-04-22", "emergency-management-symposium"),
        ("2026-06-16", "economic-development"),
        ("2026-11-17", "annual-convention"),
    )

    result = run(rulebook, "ccmo-academy", completions, "2026-12-01")

    assert result.status == COMPLETE
    assert result.earned == 18
    assert result.completed_on == day("2026-11-17")
    events = {entry.activity_id: entry.credit for entry in result.assignments if entry.area is None}
    assert events == {"women-in-government-summit": 3, "emergency-management-symposium": 3, "annual-convention": 3}


def test_academy_ccmo_enforces_no_area_minimum_but_shows_progress_by_area(rulebook):
    completions = attended(rulebook, *[(f"2026-0{month}-01", activity) for month, activity in
                                       enumerate(["records-management", "customer-service", "rfps-rfqs",
                                                  "meetings-roberts-rules", "budgets-finance", "time-management"],
                                                 start=2)])

    result = run(rulebook, "ccmo-academy", completions, "2026-12-01")

    assert result.status == COMPLETE
    assert result.areas["personal"].completions == 6
    assert result.areas["community"].completions == 0
    as_json = result.to_dict()
    assert "areas" not in as_json
    assert as_json["area_progress"]["personal"]["completions"] == 6


def test_ccpl_needs_a_ccmo_held_on_the_enrollment_date(rulebook):
    enrolled = "2026-06-01"
    without = run(rulebook, "ccpl-academy", [], "2026-07-01", enrolled)
    later = run(rulebook, "ccpl-academy", [], "2026-07-01", enrolled,
                (HeldCertification("ccmo", "ccmo-academy", day("2026-06-02")),))
    lapsed = run(rulebook, "ccpl-academy", [], "2026-07-01", enrolled,
                 (HeldCertification("ccmo", "ccmo-classic", day("2023-05-01"), lapsed_on=day("2026-01-01")),))
    held = run(rulebook, "ccpl-academy", [], "2026-07-01", enrolled,
               (HeldCertification("ccmo", "ccmo-classic", day("2023-05-01")),))

    for result in (without, later, lapsed):
        assert result.status == NOT_ELIGIBLE
        assert result.unmet[0] == "a CCMO held on the enrollment date (1 June 2026) is required"
    assert held.status == IN_PROGRESS
    assert not any("CCMO" in text for text in held.unmet)


def test_ccpl_needs_an_in_person_pselc_workshop_in_each_area(rulebook):
    ccmo = (HeldCertification("ccmo", "ccmo-academy", day("2025-11-01")),)
    ccm_workshops = [("2026-02-04", "rfps-rfqs"), ("2026-02-05", "customer-service"),
                     ("2026-02-10", "community-branding"), ("2026-02-12", "economic-development"),
                     ("2026-02-17", "foia-police-fire"), ("2026-02-19", "mera"),
                     ("2026-03-03", "records-management"), ("2026-03-05", "social-media"),
                     ("2026-03-10", "public-safety"), ("2026-03-12", "drug-alcohol-testing"),
                     ("2026-04-22", "emergency-management-symposium")]
    pselc_webinar = ("2026-09-10", "time-management", {"provider": "uconn_pselc", "format": "webinar"})

    short = run(rulebook, "ccpl-academy", attended(rulebook, *ccm_workshops, pselc_webinar), "2026-12-01", held=ccmo)

    assert short.status == IN_PROGRESS
    assert short.earned == 36
    assert short.unmet == (
        "1 more Personal in-person PSELC workshop by 9 January 2028",
        "1 more Organizational in-person PSELC workshop by 9 January 2028",
        "1 more Community in-person PSELC workshop by 9 January 2028",
    )

    pselc = [("2026-09-04", "supervisor-training", PSELC), ("2026-09-24", "ethics-accountability", PSELC),
             ("2026-11-19", "leading-for-diversity", PSELC)]
    done = run(rulebook, "ccpl-academy", attended(rulebook, *ccm_workshops, pselc_webinar, *pselc), "2026-12-01",
               held=ccmo)

    assert done.status == COMPLETE
    assert done.completed_on == day("2026-11-19")
    toward = {entry.activity_id: entry.toward for entry in done.assignments if entry.toward}
    assert toward == {"supervisor-training": "area:personal", "ethics-accountability": "area:organizational",
                      "leading-for-diversity": "area:community"}
