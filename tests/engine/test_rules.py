"""The rule files: what ships, how a broken file is reported, and adding an edition without code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lti_tool.engine import Enrollment, RulesError, default_rules_dir, evaluate, load_rulebook

from .conftest import attended, day

SEED_AREAS = {
    "Records Management": {"personal"},
    "Social Security Administration": {"personal", "organizational"},
    "Supervisor Training": {"personal", "organizational"},
    "Customer Service": {"personal"},
    "RFPs/RFQs": {"personal"},
    "Meetings/Roberts Rules": {"personal"},
    "Budgets/Finance": {"personal", "organizational"},
    "Time Management": {"personal", "community"},
    "Ethics & Accountability": {"organizational"},
    "FOIA Boards/Commissions": {"organizational"},
    "FOIA Police/Fire": {"organizational"},
    "Drug & Alcohol Testing": {"organizational"},
    "Leading for Diversity": {"organizational", "community"},
    "MERA": {"organizational"},
    "Economic Development": {"community"},
    "Social Media": {"community"},
    "Economic Growth": {"community"},
    "Community Branding": {"community"},
    "Public Role as a Partner": {"community"},
    "Public Safety": {"community"},
}


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def errors_of(root: Path) -> list[str]:
    with pytest.raises(RulesError) as caught:
        load_rulebook(root)
    return caught.value.errors


def test_shipped_rules_cover_every_programme_edition_and_the_seed_catalogue(rulebook):
    assert set(rulebook.editions) == {"ccmo-classic", "ccmo-academy", "ccpl-academy", "iimc-cmc", "iimc-mmc"}
    workshops = {activity.title: set(activity.areas) for activity in rulebook.catalogue.activities.values()
                 if activity.kind == "workshop"}
    assert workshops == SEED_AREAS
    assert all(activity.hours == 3 for activity in rulebook.catalogue.activities.values()
               if activity.kind == "workshop")
    assert len(rulebook.cares.items) == 7
    assert len(rulebook.cares.trainings) == 16
    lens = rulebook.catalogue.find("cares-racial-equity-lens")
    assert [session.dates for session in lens.sessions] == [(day("2021-09-29"),)]
    assert rulebook.catalogue.find("Social Security Admin.").id == "social-security-administration"
    assert rulebook.edition("ccmo-classic").event_credits == {"annual-convention": 3,
                                                              "emergency-management-symposium": 3}


def test_every_pselc_session_is_in_person_at_uconn_between_september_and_may(rulebook):
    sessions = [session for activity in rulebook.catalogue.activities.values() for session in activity.sessions
                if session.provider == "uconn_pselc"]
    assert sessions
    for session in sessions:
        assert session.format == "in_person"
        assert session.place in {"UConn Hartford", "UConn Stamford"}
        assert session.dates[0].month not in (6, 7, 8)
        assert session.time == "09:00-16:00"


def test_a_wrong_value_is_reported_with_file_field_path_and_what_is_wrong(rules_copy, monkeypatch):
    monkeypatch.chdir(rules_copy.parent)
    edit(rules_copy / "editions" / "ccmo-classic.yaml", "minimum: {personal: 2,", "minimum: {personal: two,")

    assert errors_of(rules_copy) == [
        "rules/editions/ccmo-classic.yaml: requirements.area_minimums.minimum.personal: "
        "expected a whole number >= 0, got 'two'"
    ]


def test_every_problem_is_listed_and_nothing_is_half_loaded(rules_copy, monkeypatch):
    monkeypatch.chdir(rules_copy.parent)
    edit(rules_copy / "editions" / "ccmo-academy.yaml", "hours: 18", "hours: -18")
    edit(rules_copy / "editions" / "ccmo-academy.yaml", "window_years: 2", "window_yeers: 2")
    edit(rules_copy / "catalogue.yaml", "areas: [personal]", "areas: [persnal]")

    errors = errors_of(rules_copy)

    assert "rules/editions/ccmo-academy.yaml: requirements.hours: expected a number >= 0, got -18" in errors
    assert any(line.startswith("rules/editions/ccmo-academy.yaml: window_yeers: unknown field") for line in errors)
    assert all("\n" not in line for line in errors)


def test_cross_references_are_checked(rules_copy, monkeypatch):
    monkeypatch.chdir(rules_copy.parent)
    edit(rules_copy / "editions" / "ccmo-classic.yaml", "annual-convention: 3", "annual-conventon: 3")
    edit(rules_copy / "catalogue.yaml", "areas: [personal]", "areas: [persnal]")
    edit(rules_copy / "catalogue.yaml", "- id: customer-service", "- id: records-management")

    errors = errors_of(rules_copy)

    assert "rules/editions/ccmo-classic.yaml: event_credits.annual-conventon: unknown activity " \
           "'annual-conventon' (not in the catalogue)" in errors
    assert "rules/catalogue.yaml: activities[records-management].areas[0]: unknown area 'persnal' " \
           "(known: community, organizational, personal)" in errors
    assert "rules/catalogue.yaml: activities[records-management]: id is used twice" in errors


def test_yaml_mistakes_are_one_line_each(rules_copy, monkeypatch):
    monkeypatch.chdir(rules_copy.parent)
    edit(rules_copy / "programs.yaml", "programs:", "programs:\n  - {id: [")
    edit(rules_copy / "editions" / "iimc-cmc.yaml", "unit: points", "unit: points\nunit: hours")

    errors = errors_of(rules_copy)

    assert len(errors) == 2
    assert errors[0].startswith("rules/programs.yaml: line ")
    duplicate_line = (rules_copy / "editions" / "iimc-cmc.yaml").read_text().splitlines().index("unit: hours") + 1
    assert errors[1] == (f"rules/editions/iimc-cmc.yaml: line {duplicate_line}: "
                         "not valid YAML (key 'unit' appears twice in one mapping)")


def test_overlapping_editions_of_a_programme_are_refused(rules_copy, monkeypatch):
    monkeypatch.chdir(rules_copy.parent)
    edit(rules_copy / "editions" / "ccmo-classic.yaml", "applies_until: 2023-12-31", "applies_until: 2024-01-01")

    assert errors_of(rules_copy) == [
        "rules/editions/ccmo-academy.yaml: applies_from: overlaps ccmo-classic "
        "(a new ccmo enrollment on 2024-01-01 would match both)"
    ]


def test_an_administrator_adds_an_edition_and_earlier_enrollments_keep_theirs(rules_copy):
    edit(rules_copy / "editions" / "ccmo-academy.yaml", "applies_from: 2024-01-01",
         "applies_from: 2024-01-01\napplies_until: 2026-12-31")
    new_edition = (rules_copy / "editions" / "ccmo-academy.yaml").read_text()
    new_edition = new_edition.replace("id: ccmo-academy", "id: ccmo-academy-2027")
    new_edition = new_edition.replace("applies_from: 2024-01-01\napplies_until: 2026-12-31", "applies_from: 2027-01-01")
    new_edition = new_edition.replace("hours: 18", "hours: 24")
    (rules_copy / "editions" / "ccmo-academy-2027.yaml").write_text(new_edition)

    rulebook = load_rulebook(rules_copy)

    assert rulebook.edition_for("ccmo", day("2026-12-31")).id == "ccmo-academy"
    assert rulebook.edition_for("ccmo", day("2027-01-01")).id == "ccmo-academy-2027"
    rows = [("2027-02-04", "rfps-rfqs"), ("2027-02-10", "community-branding"), ("2027-03-18", "women-in-government-summit"),
            ("2027-04-21", "emergency-management-symposium"), ("2027-06-16", "economic-development"),
            ("2027-11-16", "annual-convention")]
    completions = attended(rulebook, *rows)
    grandfathered = evaluate(rulebook.edition("ccmo-academy"), Enrollment("ccmo-academy", day("2026-12-20")),
                             completions, day("2027-12-01"))
    newer = evaluate(rulebook.edition("ccmo-academy-2027"), Enrollment("ccmo-academy-2027", day("2027-01-05")),
                     completions, day("2027-12-01"))
    assert grandfathered.status == "complete"
    assert newer.status == "in_progress" and newer.unmet == ("6 more credit hours by 4 January 2029",)

