"""The administrator's catalogue pages: adding, editing, retiring and restoring activities, adding and cancelling
their sessions; what the planner then proposes; who may change the catalogue every platform shares."""

from __future__ import annotations

import datetime as dt

import pytest

from lti_tool.models import Activity, ActivitySession, AuditEntry
from lti_tool.services import launches
from lti_tool.services.catalogue import cancel_session, sync_catalogue
from lti_tool.services.progress import official_progress
from tests.factories import gen_completion, gen_official, gen_platform

from .conftest import text_of
from .test_admin_pages import admin, dana, platform  # noqa: F401 (shared fixtures: one platform, its admin, Dana)

NEW_ACTIVITY = {
    "id": "budget-basics", "title": "Budget Basics", "kind": "workshop", "format": "in_person", "provider": "ccm",
    "areas": ["personal", "organizational"], "areas_shown": "1", "hours": "15", "points": "", "category": "",
    "passing_fraction": "0.5", "counts_once_per": "programme", "description": "Reading a municipal budget.",
    "aliases": "Budgets 101", "reason": "new CCM workshop announced for the spring",
}


def _progress(session, official, rulebook, today):
    session.expire_all()
    return official_progress(session, official, rulebook, today)[0]


def _proposed(session, official, rulebook, today) -> set[str]:
    return {planned.activity_id for planned in _progress(session, official, rulebook, today).plan.sessions}


def _add_budget_basics(pages, admin, today):
    answer = pages.post(admin, "/admin/catalogue/new", NEW_ACTIVITY)
    assert answer.status_code == 303, text_of(answer)
    session_answer = pages.post(admin, "/admin/activities/budget-basics/sessions", {
        "first_day": (today + dt.timedelta(days=14)).isoformat(), "place": "CCM, 545 Long Wharf Drive, New Haven",
        "time": "09:00-12:00", "reason": "room booked"})
    assert session_answer.status_code == 303, text_of(session_answer)
    return answer


def _actions(session) -> list[str]:
    return [entry.action for entry in session.query(AuditEntry).order_by(AuditEntry.id)]


def test_added_activity_and_session_are_proposed_by_the_planner(pages, session, admin, dana, rulebook, today):
    assert pages.get(admin, "/admin/catalogue/new").status_code == 200
    assert "budget-basics" not in _proposed(session, dana, rulebook, today)

    added = _add_budget_basics(pages, admin, today)
    assert added.headers["Location"].startswith("/admin/activities/budget-basics?")
    page = text_of(pages.get(admin, "/admin/activities/budget-basics", notice="session_added"))
    assert "The session is added: the planner can propose it." in page
    assert "CCM, 545 Long Wharf Drive, New Haven" in page and "09:00-12:00" in page
    activity = session.get(Activity, "budget-basics")
    assert activity.hours == 15 and activity.areas == ["personal", "organizational"]
    assert activity.aliases == ["Budgets 101"] and activity.active

    plan = _progress(session, dana, rulebook, today).plan
    proposed = next(planned for planned in plan.sessions if planned.activity_id == "budget-basics")
    assert proposed.dates == (today + dt.timedelta(days=14),) and proposed.credit == 15
    assert "Budget Basics" in text_of(pages.get(pages.launch(dana), "/learner/progress"))
    assert "Budget Basics" in text_of(pages.get(admin, "/admin/catalogue"))


def test_editing_the_hours_leaves_past_completions_their_credit(pages, session, admin, dana, rulebook, today):
    answer = pages.post(admin, "/admin/activities/records-management",
                        {"hours": "4", "reason": "the workshop now runs four hours"})
    assert answer.status_code == 303
    assert session.get(Activity, "records-management").hours == 4
    assert _progress(session, dana, rulebook, today).evaluation.earned == 6  # 3 + 3, as recorded
    assert "6 of 18 hours" in text_of(pages.get(admin, f"/admin/officials/{dana.id}"))

    entry = session.query(AuditEntry).filter_by(action="activity.updated").one()
    assert entry.details == {"reason": "the workshop now runs four hours", "changes": {"hours": ["3.00", "4.00"]}}
    page = text_of(pages.get(admin, "/admin/activities/records-management"))
    assert "Completions already recorded keep the credit they were recorded with" in page
    assert "the workshop now runs four hours" in page


def test_a_new_completion_gets_the_edited_credit(pages, session, admin, dana, today):
    pages.post(admin, "/admin/activities/mera", {"hours": "4.5", "reason": "longer session"})
    session.expire_all()
    row = gen_completion(session, dana, session.get(Activity, "mera"), today)
    assert row.hours == 4.5


def test_switching_between_hours_and_points_is_refused_once_completed(pages, session, admin, dana):
    answer = pages.post(admin, "/admin/activities/records-management",
                        {"hours": "", "points": "3", "category": "education", "reason": "count as IIMC points"})
    assert answer.status_code == 422
    assert "Points: the activity has recorded completions" in text_of(answer)
    session.expire_all()
    assert session.get(Activity, "records-management").hours == 3


def test_an_unknown_area_is_refused_naming_the_field(pages, session, admin, catalogue):
    answer = pages.post(admin, "/admin/catalogue/new", {**NEW_ACTIVITY, "areas": ["personal", "parks"]})
    assert answer.status_code == 422
    text = text_of(answer)
    assert "Development areas: 'parks' is not an area of the rule book (known: personal, organizational, community)" in text
    html = answer.get_data(as_text=True)
    assert '<fieldset class="field-group" aria-describedby="activity-areas-problem">' in html
    assert 'id="activity-areas-problem"' in html
    assert 'value="Budget Basics"' in html and 'value="budget-basics"' in html  # what was typed is kept
    assert session.get(Activity, "budget-basics") is None


def test_unknown_vocabulary_and_bad_values_name_each_field(pages, session, admin, catalogue):
    answer = pages.post(admin, "/admin/catalogue/new", {
        **NEW_ACTIVITY, "id": "Budget Basics!", "kind": "seminar", "provider": "acme", "hours": "three",
        "passing_fraction": "2"})
    assert answer.status_code == 422
    text = text_of(answer)
    assert "Id: 'Budget Basics!' is not an id" in text
    assert "Kind: 'seminar' is not a kind of the rule book" in text
    assert "Provider: 'acme' is not a provider of the rule book" in text
    assert "Credit hours: 'three' is not a number" in text
    assert "Passing share of an LMS grade: '2' is not a number from 0 to 1" in text
    html = answer.get_data(as_text=True)
    for field_id in ("activity-id", "activity-kind", "activity-provider", "activity-hours"):
        assert f'id="{field_id}-problem"' in html


def test_an_empty_form_names_what_is_missing(pages, session, admin, catalogue):
    answer = pages.post(admin, "/admin/catalogue/new", {"reason": "trying"})
    assert answer.status_code == 422
    text = text_of(answer)
    for message in ("Id: is missing", "Title: is missing", "Kind: choose a kind", "Format: choose a format",
                    "Provider: choose a provider", "Credit hours: give credit hours or points"):
        assert message in text


def test_the_id_and_title_must_be_new(pages, session, admin, catalogue):
    taken = pages.post(admin, "/admin/catalogue/new", {**NEW_ACTIVITY, "id": "mera", "title": "Records Management"})
    assert taken.status_code == 422
    text = text_of(taken)
    assert "Id: 'mera' is already the id of an activity" in text
    assert "Title: 'Records Management' already names the activity 'Records Management' (records-management)" in text


def test_every_change_needs_a_reason(pages, session, admin, catalogue, today):
    refused = {  # path: (form, the reason field whose problem the page shows)
        "/admin/catalogue/new": ({**NEW_ACTIVITY, "reason": " "}, "activity-reason"),
        "/admin/activities/mera": ({"hours": "4"}, "activity-reason"),
        "/admin/activities/mera/retire": ({}, "state-reason"),
        "/admin/activities/mera/sessions": ({"first_day": (today + dt.timedelta(days=9)).isoformat(),
                                             "place": "Hartford"}, "session-reason"),
    }
    for path, (form, reason_field) in refused.items():
        answer = pages.post(admin, path, form)
        assert answer.status_code == 422, path
        assert "needs a reason: say why" in text_of(answer), path
        html = answer.get_data(as_text=True)
        assert f'aria-describedby="{reason_field}-hint {reason_field}-problem"' in html, path
        assert f'id="{reason_field}-problem"' in html, path
    session.expire_all()
    mera = session.get(Activity, "mera")
    assert mera.hours == 3 and mera.active and session.get(Activity, "budget-basics") is None
    assert not session.query(ActivitySession).filter_by(activity_id="mera", place="Hartford").count()
    assert "activity.updated" not in _actions(session)


def test_a_duplicate_session_is_refused(pages, session, admin, catalogue, today):
    form = {"first_day": (today + dt.timedelta(days=20)).isoformat(), "more_days": "", "place": "UConn Hartford",
            "reason": "spring sitting"}
    assert pages.post(admin, "/admin/activities/mera/sessions", form).status_code == 303
    again = pages.post(admin, "/admin/activities/mera/sessions", {**form, "reason": "entered twice"})
    assert again.status_code == 422
    assert (f"Days: a session of this activity already starts on {(today + dt.timedelta(days=20)).isoformat()} "
            "at UConn Hartford") in text_of(again)
    assert 'value="UConn Hartford"' in again.get_data(as_text=True)
    assert session.query(ActivitySession).filter_by(activity_id="mera", place="UConn Hartford").count() == 1


def test_session_days_must_be_upcoming_in_order_and_each_once(pages, session, admin, catalogue, today):
    first = today + dt.timedelta(days=30)
    cases = {
        (first.isoformat(), first.isoformat()): f"{first.isoformat()} is given twice",
        (first.isoformat(), (first - dt.timedelta(days=1)).isoformat()): "the days must be in order",
        ((today - dt.timedelta(days=1)).isoformat(), ""): "has passed",
        ("someday", ""): "'someday' is not a day YYYY-MM-DD",
    }
    for (first_day, more_days), message in cases.items():
        answer = pages.post(admin, "/admin/activities/mera/sessions", {
            "first_day": first_day, "more_days": more_days, "place": "Hartford", "reason": "x"})
        assert answer.status_code == 422
        assert message in text_of(answer)
    two_days = pages.post(admin, "/admin/activities/mera/sessions", {
        "first_day": first.isoformat(), "more_days": (first + dt.timedelta(days=1)).isoformat(), "place": "Hartford",
        "reason": "two-day sitting"})
    assert two_days.status_code == 303
    sitting = session.query(ActivitySession).filter_by(activity_id="mera", place="Hartford").one()
    assert sitting.dates == [first.isoformat(), (first + dt.timedelta(days=1)).isoformat()]


def test_a_retired_activity_is_not_proposed_but_its_completions_count(pages, session, admin, dana, rulebook, today):
    _add_budget_basics(pages, admin, today)
    assert "budget-basics" in _proposed(session, dana, rulebook, today)

    retired = pages.post(admin, "/admin/activities/budget-basics/retire", {"reason": "speaker unavailable"})
    assert retired.status_code == 303
    assert "budget-basics" not in _proposed(session, dana, rulebook, today)
    assert "budget-basics" not in {activity.id for activity in launches.deep_link_choices(session)}
    page = text_of(pages.get(admin, "/admin/activities/budget-basics", notice="retired"))
    assert "its completions still count" in page and "Offer it again" in page

    assert pages.post(admin, "/admin/activities/records-management/retire",
                      {"reason": "replaced by Records Management II"}).status_code == 303
    assert _progress(session, dana, rulebook, today).evaluation.earned == 6
    assert "6 of 18 hours" in text_of(pages.get(pages.launch(dana), "/learner/progress"))
    assert "Records Management (retired)" in text_of(pages.get(admin, "/admin/catalogue"))

    restored = pages.post(admin, "/admin/activities/budget-basics/restore", {"reason": "speaker found"})
    assert restored.status_code == 303
    assert "budget-basics" in _proposed(session, dana, rulebook, today)
    again = pages.post(admin, "/admin/activities/budget-basics/restore", {"reason": "twice"})
    assert again.status_code == 422 and "Budget Basics is already offered" in text_of(again)


def test_cancelled_session_is_gone_audited_and_not_loaded_again(pages, session, admin, catalogue, rulebook, today):
    sitting = session.query(ActivitySession).filter_by(activity_id="records-management").first()
    answer = pages.post(admin, f"/admin/activities/records-management/sessions/{sitting.id}/cancel",
                        {"reason": "the room is not available"})
    assert answer.status_code == 303
    session.expire_all()
    assert session.get(ActivitySession, sitting.id) is None
    entry = session.query(AuditEntry).filter_by(action="activity_session.cancelled").one()
    assert entry.subject_id == "records-management" and entry.details["reason"] == "the room is not available"
    assert entry.details["starts_on"] == sitting.starts_on.isoformat() and entry.details["place"] == sitting.place
    assert "the room is not available" in text_of(pages.get(admin, "/admin/activities/records-management"))

    report = sync_catalogue(session, rulebook, actor="test")
    assert report.sessions_added == 0
    assert not session.query(ActivitySession).filter_by(activity_id="records-management",
                                                        starts_on=sitting.starts_on, place=sitting.place).count()
    assert pages.post(admin, "/admin/activities/mera/sessions/999999/cancel", {"reason": "x"}).status_code == 404


def test_cancelling_needs_a_reason(session, catalogue):
    from lti_tool.services.catalogue import CatalogueError

    sitting = session.query(ActivitySession).first()
    with pytest.raises(CatalogueError, match="cancelling a session needs a reason"):
        cancel_session(session, sitting, actor="test", reason="")


def test_every_change_is_audited_with_its_reason(pages, session, admin, catalogue, today):
    _add_budget_basics(pages, admin, today)
    pages.post(admin, "/admin/activities/budget-basics", {"title": "Budget Basics for Officials", "reason": "clearer"})
    pages.post(admin, "/admin/activities/budget-basics/retire", {"reason": "postponed"})
    pages.post(admin, "/admin/activities/budget-basics/restore", {"reason": "back on"})
    sitting = session.query(ActivitySession).filter_by(activity_id="budget-basics").one()
    pages.post(admin, f"/admin/activities/budget-basics/sessions/{sitting.id}/cancel", {"reason": "moved online"})
    entries = session.query(AuditEntry).filter_by(subject_type="activity", subject_id="budget-basics") \
        .order_by(AuditEntry.id).all()
    assert [(entry.action, entry.details["reason"]) for entry in entries] == [
        ("activity.added", "new CCM workshop announced for the spring"),
        ("activity_session.added", "room booked"),
        ("activity.updated", "clearer"),
        ("activity.retired", "postponed"),
        ("activity.restored", "back on"),
        ("activity_session.cancelled", "moved online"),
    ]
    assert {entry.actor for entry in entries} == {f"admin:{admin.official_id}"}
    page = text_of(pages.get(admin, "/admin/activities/budget-basics"))
    assert "Budget Basics for Officials" in page and "moved online" in page


def test_catalogue_filters_by_kind_area_and_provider(pages, admin, catalogue):
    by_provider = text_of(pages.get(admin, "/admin/catalogue", provider="nlc"))
    assert "Race, Equity and Leadership Town Hall" in by_provider and "Records Management" not in by_provider
    by_area = text_of(pages.get(admin, "/admin/catalogue", area="community", kind="workshop"))
    assert "Economic Development" in by_area and "Records Management" not in by_area
    assert "Annual Convention" not in by_area
    assert "Annual Convention" in text_of(pages.get(admin, "/admin/catalogue", kind="event"))


def test_platform_admin_of_a_shared_installation_may_view_but_not_change(pages, session, admin, platform, catalogue):
    gen_platform(session, name="Another Moodle")
    session.commit()
    listing = pages.get(admin, "/admin/catalogue")
    assert listing.status_code == 200
    assert "only a tool administrator may change it" in text_of(listing)
    assert "Add an activity" not in text_of(listing)
    page = pages.get(admin, "/admin/activities/mera")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'disabled aria-describedby="catalogue-locked">Save the changes' in html
    assert 'id="activity-title" name="title" type="text" value="MERA" required disabled' in html

    for path, form in (("/admin/activities/mera", {"hours": "5", "reason": "x"}),
                       ("/admin/catalogue/new", NEW_ACTIVITY),
                       ("/admin/activities/mera/retire", {"reason": "x"}),
                       ("/admin/activities/mera/sessions", {"first_day": "2099-01-01", "place": "x", "reason": "x"})):
        refused = pages.post(admin, path, form)
        assert refused.status_code == 403, path
        assert "only a tool administrator may change it" in text_of(refused)
    session.expire_all()
    assert session.get(Activity, "mera").hours == 3 and session.get(Activity, "mera").active

    boss = gen_official(session, platform=platform, name="Tool Admin")
    boss.is_tool_admin = True
    session.commit()
    tool_admin = pages.launch(boss, "admin")
    assert "only a tool administrator" not in text_of(pages.get(tool_admin, "/admin/activities/mera"))
    assert pages.post(tool_admin, "/admin/activities/mera", {"hours": "5", "reason": "longer"}).status_code == 303
    session.expire_all()
    assert session.get(Activity, "mera").hours == 5


def test_a_learner_cannot_open_the_catalogue_pages(pages, session, platform, catalogue):
    learner = pages.launch(gen_official(session, platform=platform))
    assert pages.get(learner, "/admin/activities/mera").status_code == 403
    assert pages.post(learner, "/admin/activities/mera", {"hours": "9", "reason": "x"}).status_code == 403


def test_a_form_without_its_csrf_token_is_refused(pages, session, admin, catalogue):
    answer = pages.post(admin, "/admin/activities/mera", {"hours": "9", "reason": "x"}, token=False)
    assert answer.status_code == 400
    added = pages.post(admin, "/admin/catalogue/new", NEW_ACTIVITY, token=False)
    assert added.status_code == 400
    session.expire_all()
    assert session.get(Activity, "mera").hours == 3 and session.get(Activity, "budget-basics") is None


def test_unknown_activity_is_not_found(pages, admin, catalogue):
    assert pages.get(admin, "/admin/activities/no-such-activity").status_code == 404


def test_settings_every_platform_shares_need_a_tool_administrator_once_several_platforms_exist(
        pages, session, admin, platform):
    from lti_tool.models import Municipality, Setting

    town = Municipality(name="Shared Town", ccm_member=True)
    session.add(town)
    gen_platform(session, name="Another Moodle")
    session.commit()
    for path, form in (("/admin/editions", {"program": "ccmo", "edition_id": "ccmo-classic"}),
                       ("/admin/municipalities", {"name": "Newtown", "ccm_member": "yes"}),
                       (f"/admin/cares/{town.id}/items", {"item_id": "resolution", "state": "in_progress",
                                                         "effective_on": "2026-01-05", "reason": "x"}),
                       (f"/admin/cares/{town.id}/recognitions", {})):
        refused = pages.post(admin, path, form)
        assert refused.status_code == 403, path
        assert "only a tool administrator may change it" in text_of(refused)
    session.expire_all()
    assert session.get(Setting, "default_edition:ccmo") is None
    assert session.query(Municipality).filter_by(name="Newtown").first() is None
