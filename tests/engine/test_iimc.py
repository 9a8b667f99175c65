"""IIMC designations (seed 002): CMC by points with institute attendance after two years of membership;
MMC from points earned after the CMC and not used toward it."""

from __future__ import annotations

from lti_tool.engine import COMPLETE, IN_PROGRESS, NOT_ELIGIBLE, Enrollment, HeldCertification, evaluate

from .conftest import attended, day

CMC_ROWS = (
    ("2024-07-15", "clerks-institute-year-1"),
    ("2024-12-31", "clerk-service-year"),
    ("2025-07-14", "clerks-institute-year-2"),
    ("2025-07-20", "clerks-institute-year-2"),  # a repeat: not credited twice
    ("2025-12-31", "clerk-service-year"),  # yearly records each count
    ("2025-12-31", "clerks-association-office"),
    ("2025-12-31", "clerk-membership-year"),
    ("2026-01-31", "clerks-association-office"),
    ("2026-03-31", "clerk-membership-year"),
    ("2026-05-01", "conference-speaker"),  # a contribution: counts toward the MMC, not the CMC
)


def cmc(rulebook, completions, as_of, member_since="2024-05-01"):
    edition = rulebook.edition("iimc-cmc")
    enrollment = Enrollment(edition.id, day("2024-06-01"), member_since=day(member_since) if member_since else None)
    return evaluate(edition, enrollment, completions, day(as_of))


def test_cmc_points_by_category_with_institute_attendance(rulebook):
    result = cmc(rulebook, attended(rulebook, *CMC_ROWS), "2026-04-01")

    assert result.unit == "points"
    assert result.categories == {"education": (40, 60), "experience": (50, 50)}
    assert result.status == IN_PROGRESS
    assert "20 more Education points" in result.unmet
    assert {entry.completion_id: entry.reason for entry in result.not_counted} == {
        "c4": "repeat", "c10": "after_as_of"}


def test_cmc_is_granted_only_after_two_years_of_membership(rulebook):
    rows = (*CMC_ROWS, ("2026-04-10", "clerks-institute-year-3"))

    early = cmc(rulebook, attended(rulebook, *rows), "2026-04-20", member_since="2024-06-01")
    assert early.status == IN_PROGRESS
    assert early.unmet == ("the designation can be granted from 1 June 2026, after 2 years of IIMC membership",)

    granted = cmc(rulebook, attended(rulebook, *rows), "2026-06-01", member_since="2024-06-01")
    assert granted.status == COMPLETE
    assert granted.completed_on == day("2026-06-01")
    assert granted.to_dict()["points"] == {"earned": 110, "required": 110}

    long_member = cmc(rulebook, attended(rulebook, *rows), "2026-06-01", member_since="2020-01-01")
    assert long_member.completed_on == day("2026-04-10")


def test_cmc_requires_institute_attendance(rulebook):
    rows = [row for row in CMC_ROWS if "institute" not in row[1]] + [
        ("2025-05-18", "iimc-annual-conference"), ("2026-05-17", "iimc-annual-conference"),
        ("2025-10-06", "clerks-association-conference"), ("2024-09-01", "iimc-online-course"),
        ("2024-10-01", "iimc-online-course"), ("2024-11-01", "iimc-online-course"),
        ("2025-02-01", "iimc-online-course"), ("2025-03-01", "iimc-online-course"),
        ("2025-04-01", "iimc-online-course"), ("2025-05-01", "iimc-online-course"),
    ]

    result = cmc(rulebook, attended(rulebook, *rows), "2027-01-01")

    assert result.categories["education"] == (60, 60)
    assert result.status == IN_PROGRESS
    assert result.unmet == ("1 more year at an IIMC-recognised institute",)


def test_cmc_without_membership_is_not_eligible(rulebook):
    result = cmc(rulebook, attended(rulebook, *CMC_ROWS), "2026-04-01", member_since=None)
    assert result.status == NOT_ELIGIBLE
    assert "membership of IIMC is required" in result.unmet


def test_mmc_counts_only_what_is_dated_after_the_cmc_and_not_used_for_it(rulebook):
    edition = rulebook.edition("iimc-mmc")
    cmc_held = HeldCertification("cmc", "iimc-cmc", day("2026-06-01"), used_completion_ids=frozenset({"c4"}))
    completions = attended(
        rulebook,
        ("2026-05-14", "mmc-advanced-academy"),  # before the CMC
        ("2026-06-01", "published-article"),  # on the day of the CMC
        ("2027-05-13", "mmc-advanced-academy"),
        ("2027-06-01", "published-article"),  # recorded late but used toward the CMC
        ("2027-06-02", "published-article"),
        ("2027-07-01", "conference-speaker"),
        ("2027-08-01", "conference-speaker"),
        ("2027-09-01", "advanced-education-course"),
        ("2027-10-01", "advanced-education-course"),
        ("2027-11-01", "advanced-education-course"),
        ("2027-12-01", "advanced-education-course"),
        ("2027-12-31", "mentoring-a-clerk"),
        ("2028-01-31", "community-service-year"),
        ("2028-02-01", "clerk-service-year"),  # experience: a CMC category
    )
    enrollment = Enrollment(edition.id, day("2027-01-10"), member_since=day("2020-01-01"))

    result = evaluate(edition, enrollment, completions, day("2028-03-01"), (cmc_held,))

    assert {entry.completion_id: entry.reason for entry in result.not_counted} == {
        "c1": "before_prerequisite", "c2": "before_prerequisite", "c4": "used_for_prerequisite",
        "c14": "wrong_category"}
    assert result.categories == {"advanced_education": (60, 60), "contribution": (40, 40)}
    assert result.status == COMPLETE
    assert result.completed_on == day("2028-01-31")


def test_mmc_needs_a_cmc(rulebook):
    edition = rulebook.edition("iimc-mmc")
    enrollment = Enrollment(edition.id, day("2027-01-10"), member_since=day("2020-01-01"))
    result = evaluate(edition, enrollment, [], day("2027-02-01"))
    assert result.status == NOT_ELIGIBLE
    assert result.unmet[0] == "a CMC held on the enrollment date (10 January 2027) is required"
