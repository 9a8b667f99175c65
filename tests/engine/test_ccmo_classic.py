"""The Classic CCMO (seed 001): 36 hours within two years, two workshops in each development area."""

from __future__ import annotations

from lti_tool.engine import COMPLETE, EXPIRED, IN_PROGRESS, Enrollment, evaluate

from .conftest import attended, day

ENROLLED = "2025-03-15"

# Six workshops, three of them listed under two areas. Taken in this order, a pass that puts each workshop in
# the first of its areas with room left fills Personal with Time Management and Budgets/Finance, then has no
# area left for Records Management and only one Community workshop.
MULTI_AREA_ROWS = (
    ("2025-04-01", "time-management"),  # personal, community
    ("2025-04-02", "budgets-finance"),  # personal, organizational
    ("2025-04-03", "supervisor-training"),  # personal, organizational
    ("2025-04-04", "leading-for-diversity"),  # organizational, community
    ("2025-04-05", "social-media"),  # community
    ("2025-04-06", "records-management"),  # personal
)

# Twelve more credit hours: 18 + 18 = 36.
MORE_HOURS_ROWS = (
    ("2025-05-01", "customer-service"),
    ("2025-06-03", "rfps-rfqs"),
    ("2025-07-01", "ethics-accountability"),
    ("2025-11-18", "annual-convention"),
    ("2026-04-22", "emergency-management-symposium"),
    ("2026-05-05", "mera"),
)


def classic(rulebook, completions, as_of, enrolled=ENROLLED):
    edition = rulebook.edition("ccmo-classic")
    return evaluate(edition, Enrollment(edition.id, day(enrolled)), completions, day(as_of))


def first_area_with_room(rulebook, completions, minimum=2):
    """What a greedy pass would do: each workshop in date order to the first of its areas not yet full."""
    filled = {area.id: 0 for area in rulebook.catalogue.areas}
    for completion in sorted(completions, key=lambda completion: completion.date):
        for area in (area.id for area in rulebook.catalogue.areas if area.id in completion.areas):
            if filled[area] < minimum:
                filled[area] += 1
                break
    return filled


def test_multi_area_workshops_are_placed_by_matching_where_a_greedy_pass_fails(rulebook):
    completions = attended(rulebook, *MULTI_AREA_ROWS)
    assert first_area_with_room(rulebook, completions) == {"personal": 2, "organizational": 2, "community": 1}

    result = classic(rulebook, completions, "2025-06-01")

    assert {area: progress.met for area, progress in result.areas.items()} == {
        "personal": True, "organizational": True, "community": True,
    }
    placed = {entry.activity_id: entry.area for entry in result.assignments}
    assert placed == {
        "time-management": "community",
        "budgets-finance": "personal",
        "supervisor-training": "organizational",
        "leading-for-diversity": "organizational",
        "social-media": "community",
        "records-management": "personal",
    }
    time_management = next(entry for entry in result.assignments if entry.activity_id == "time-management")
    assert "listed under Personal and Community; counted in Community" in time_management.why


def test_complete_on_the_date_of_the_completion_that_met_the_last_requirement(rulebook):
    completions = attended(rulebook, *MULTI_AREA_ROWS, *MORE_HOURS_ROWS, ("2026-09-01", "public-safety"))

    result = classic(rulebook, completions, "2026-10-01")

    assert result.status == COMPLETE
    assert result.completed_on == day("2026-05-05")
    assert result.earned == 39 and result.required == 36
    assert result.unmet == ()
    convention = next(entry for entry in result.assignments if entry.activity_id == "annual-convention")
    assert convention.credit == 3 and convention.area is None
    public_safety = next(entry for entry in result.assignments if entry.activity_id == "public-safety")
    assert (public_safety.area, public_safety.toward) == ("community", None)
    assert public_safety.why == "Community minimum already met; counts toward the total (3 hours)"


def test_a_repeat_attendance_is_listed_but_not_credited_again(rulebook):
    completions = attended(rulebook, *MULTI_AREA_ROWS, ("2025-09-01", "records-management"))

    result = classic(rulebook, completions, "2025-10-01")

    assert result.earned == 18
    repeat = [entry for entry in result.not_counted if entry.reason == "repeat"]
    assert [(entry.completion_id, entry.activity_id) for entry in repeat] == [("c7", "records-management")]
    assert "already counted on 6 April 2025" in repeat[0].why


def test_the_window_closes_on_the_second_anniversary_which_is_outside_it(rulebook):
    completions = attended(rulebook, ("2027-03-14", "mera"), ("2027-03-15", "public-safety"),
                           ("2025-03-14", "customer-service"))

    result = classic(rulebook, completions, "2027-06-01")

    assert result.deadline == day("2027-03-15")
    assert result.last_day == day("2027-03-14")
    assert result.counted_completion_ids == ("c1",)
    reasons = {entry.completion_id: entry.reason for entry in result.not_counted}
    assert reasons == {"c2": "after_window", "c3": "before_window"}


def test_unmet_requirements_are_said_in_plain_words_with_the_last_day(rulebook):
    completions = attended(rulebook, ("2025-04-02", "budgets-finance"), ("2025-04-06", "records-management"),
                           ("2025-05-01", "ethics-accountability"), ("2025-06-01", "mera"))

    result = classic(rulebook, completions, "2026-01-01")

    assert result.status == IN_PROGRESS
    assert result.unmet == (
        "24 more credit hours by 14 March 2027",
        "2 more Community workshops by 14 March 2027",
    )


def test_one_missing_workshop_is_said_in_the_singular(rulebook):
    without_social_media = [row for row in MULTI_AREA_ROWS if row[1] != "social-media"]
    result = classic(rulebook, attended(rulebook, *without_social_media), "2026-01-01")
    assert "1 more Community workshop by 14 March 2027" in result.unmet


def test_expired_once_the_window_has_closed_without_completion(rulebook):
    completions = attended(rulebook, *MULTI_AREA_ROWS)

    assert classic(rulebook, completions, "2027-03-14").status == IN_PROGRESS
    result = classic(rulebook, completions, "2027-03-15")

    assert result.status == EXPIRED
    assert result.completed_on is None
    assert result.unmet[0] == "the window closed after 14 March 2027 with requirements unmet"
    assert "18 more credit hours" in result.unmet


def test_a_reversed_completion_stops_counting_and_undoes_completion(rulebook):
    rows = (*MULTI_AREA_ROWS, *MORE_HOURS_ROWS)
    assert classic(rulebook, attended(rulebook, *rows), "2026-10-01").status == COMPLETE

    result = classic(rulebook, attended(rulebook, *rows, reversed_ids=("c1", "c5")), "2026-10-01")

    assert result.status == IN_PROGRESS
    assert [(entry.completion_id, entry.reason) for entry in result.not_counted] == [("c1", "reversed"),
                                                                                     ("c5", "reversed")]
    assert result.unmet == ("6 more credit hours by 14 March 2027", "1 more Community workshop by 14 March 2027")


def test_formats_providers_and_events_the_classic_edition_does_not_count(rulebook):
    completions = attended(
        rulebook,
        ("2025-04-01", "social-media", {"format": "online"}),
        ("2025-04-02", "economic-growth", {"provider": "uconn_pselc"}),
        ("2025-04-03", "women-in-government-summit"),
        ("2025-04-04", "nlc-real-town-hall-new-england"),
        ("2025-04-05", "cares-racial-equity-lens"),
    )

    result = classic(rulebook, completions, "2025-06-01")

    reasons = {entry.completion_id: entry.reason for entry in result.not_counted}
    assert reasons == {"c1": "wrong_format", "c2": "wrong_provider", "c3": "event_not_counted",
                       "c4": "wrong_provider"}
    assert result.counted_completion_ids == ("c5",)
    assert result.earned == 1.5


def test_each_yearly_convention_is_a_separate_event(rulebook):
    completions = attended(rulebook, ("2025-11-18", "annual-convention"), ("2026-11-17", "annual-convention"),
                           ("2026-11-18", "annual-convention"))

    result = classic(rulebook, completions, "2027-01-01")

    assert result.earned == 6
    assert [entry.reason for entry in result.not_counted] == ["repeat"]


def test_json_form_has_the_contract_fields(rulebook):
    result = classic(rulebook, attended(rulebook, *MULTI_AREA_ROWS), "2026-01-01").to_dict()

    assert result["program"] == "ccmo" and result["edition"] == "ccmo-classic"
    assert result["status"] == "in_progress" and result["completed_on"] is None
    assert result["deadline"] == "2027-03-15"
    assert result["hours"] == {"earned": 18, "required": 36}
    assert result["areas"]["community"]["required"] == 2 and result["areas"]["community"]["met"] is True
    assert {"activity": "time-management", "date": "2025-04-01", "area": "community"}.items() <= \
        result["assignment"][0].items()
    assert result["unmet"] == ["18 more credit hours by 14 March 2027"]
