"""The official's pages, opened under a launch as in the LMS iframe: the figures a person reads."""

from __future__ import annotations

import datetime as dt
import re

from lti_tool.models import Activity, AuditEntry, Enrollment, Official
from lti_tool.services.certification import refresh_certifications
from lti_tool.services.enrollments import set_default_edition
from tests.factories import gen_completion, gen_enrollment, gen_municipality, gen_official, gen_platform

from .conftest import text_of

CLASSIC_WORKSHOPS = [  # (activity, areas) — two per area, one listed under two areas
    "records-management", "customer-service", "ethics-accountability", "mera", "economic-development",
    "social-media",
]


def _classic_official(session, today, *, workshops=CLASSIC_WORKSHOPS, enrolled_days_ago=400):
    town = gen_municipality(session, "Hartford", ccm_member=True)
    official = gen_official(session, name="Dana Reyes", municipality=town)
    gen_enrollment(session, official, "ccmo-classic", on=today - dt.timedelta(days=enrolled_days_ago))
    for index, activity_id in enumerate(workshops):
        gen_completion(session, official, session.get(Activity, activity_id),
                       today - dt.timedelta(days=enrolled_days_ago - 10 - index * 20))
    session.commit()
    return official


def test_progress_shows_hours_area_minimums_deadline_and_why(pages, session, catalogue, today):
    official = _classic_official(session, today, workshops=["records-management", "supervisor-training",
                                                            "economic-development"])
    page = pages.get(pages.launch(official), "/learner/progress")
    assert page.status_code == 200
    text = text_of(page)
    assert "Certified Connecticut Municipal Official (Classic)" in text
    assert "9 of 36 hours so far" in text
    assert re.search(r"Deadline \d+ \w+ \d{4} \(in \d+ days\)", text)
    assert "2 Personal workshops 100% 2 of 2 · met" in text  # records management + supervisor training
    assert "Supervisor Training" in text
    assert "2 Community workshops 50% 1 of 2" in text  # one community workshop so far
    html = page.get_data(as_text=True)
    assert '<progress id="bar-1-1" max="36' in html
    assert html.count("<progress") >= 4


def test_a_workshop_listed_in_two_areas_says_where_it_counted(pages, session, catalogue, today):
    official = _classic_official(session, today, workshops=["records-management", "customer-service",
                                                            "supervisor-training"])
    text = text_of(pages.get(pages.launch(official), "/learner/progress"))
    assert "Supervisor Training" in text
    assert "Listed under Personal and Organizational; counted in Organizational" in text


def test_repeats_and_reversals_are_listed_as_not_counted(pages, session, catalogue, today):
    official = _classic_official(session, today, workshops=["records-management", "records-management"])
    text = text_of(pages.get(pages.launch(official), "/learner/progress"))
    assert "What did not count" in text
    assert "Repeat: Records Management already counted on" in text


def test_what_next_lists_upcoming_sessions_before_the_deadline(pages, session, catalogue, today):
    official = gen_official(session, municipality=gen_municipality(session))
    gen_enrollment(session, official, "ccmo-academy", on=today - dt.timedelta(days=30))
    session.commit()
    text = text_of(pages.get(pages.launch(official), "/learner/progress"))
    assert "What next" in text
    assert re.search(r"\d sessions complete the CCMO on", text)
    assert "credit over time" in text.lower()


def test_continuing_education_shows_cycle_hours_fee_and_lapse_date(pages, session, catalogue, rulebook, today,
                                                                     signing_key):
    official = gen_official(session, municipality=gen_municipality(session))
    start = dt.date(today.year - 2, 1, 10)
    gen_enrollment(session, official, "ccmo-academy", on=start)
    academy = ["records-management", "customer-service", "ethics-accountability", "mera", "economic-development",
               "social-media"]
    for index, activity_id in enumerate(academy):
        gen_completion(session, official, session.get(Activity, activity_id), start + dt.timedelta(days=10 + index))
    refresh_certifications(session, official, rulebook, as_of=today, actor="test")
    session.commit()
    text = text_of(pages.get(pages.launch(official), "/learner/progress"))
    assert "Complete: completed on" in text
    assert "Continuing education" in text
    assert "Current cycle" in text
    assert "Fee $75" in text
    assert "Lapses on" in text or "lapsed on" in text.lower()
    assert "Continuing-education hours this cycle" in text


def test_not_enrolled_official_is_pointed_to_enrollment(pages, session, catalogue):
    official = gen_official(session)
    session.commit()
    text = text_of(pages.get(pages.launch(official), "/learner/progress"))
    assert "You are not enrolled in a programme yet" in text


def test_enrollment_explains_member_municipality_and_prerequisite(pages, session, catalogue, rulebook):
    set_default_edition(session, rulebook, "ccmo", "ccmo-classic", actor="test")
    official = gen_official(session, municipality=gen_municipality(session, ccm_member=False))
    session.commit()
    launch = pages.launch(official)
    text = text_of(pages.get(launch, "/learner/enroll"))
    assert "Open only to officials of member municipalities" in text
    assert "is not a CCM member municipality" in text
    assert "A CCMO held on the enrollment date" in text
    refused = pages.post(launch, "/learner/enroll", {"program": "ccpl"})
    assert refused.status_code == 422
    assert "A CCMO held on the enrollment date" in text_of(refused)
    assert session.query(Enrollment).count() == 0


def test_official_enrolls_from_the_page(pages, session, catalogue):
    official = gen_official(session, municipality=gen_municipality(session))
    session.commit()
    launch = pages.launch(official)
    answer = pages.post(launch, "/learner/enroll", {"program": "ccmo"})
    assert answer.status_code == 303
    assert f"launch={launch.id}" in answer.headers["Location"]
    assert "You are enrolled" in text_of(pages.get(launch, "/learner/progress", notice="enrolled"))
    assert session.query(Enrollment).filter_by(official_id=official.id, edition_id="ccmo-academy").count() == 1


def test_official_chooses_municipality_once(pages, session, catalogue):
    town = gen_municipality(session, "Glastonbury")
    official = gen_official(session)
    session.commit()
    launch = pages.launch(official)
    assert "Which municipality do you serve?" in text_of(pages.get(launch, "/learner/progress"))
    answer = pages.post(launch, "/learner/municipality", {"municipality_id": str(town.id), "back": "learner.progress"})
    assert answer.status_code == 303
    session.expire_all()
    assert session.get(Official, official.id).municipality_id == town.id
    assert session.query(AuditEntry).filter_by(action="official.municipality_chosen").count() == 1
    other = gen_municipality(session, "Enfield")
    session.commit()
    again = pages.post(launch, "/learner/municipality", {"municipality_id": str(other.id)})
    assert again.status_code == 422
    assert "ask an administrator" in text_of(again)


def test_forms_without_the_csrf_token_are_refused(pages, session, catalogue):
    official = gen_official(session, municipality=gen_municipality(session))
    session.commit()
    answer = pages.post(pages.launch(official), "/learner/enroll", {"program": "ccmo"}, token=False)
    assert answer.status_code == 400
    assert session.query(Enrollment).count() == 0


def test_transcript_lists_every_completion_and_downloads_as_csv(pages, session, catalogue, today):
    official = _classic_official(session, today, workshops=["records-management", "supervisor-training"])
    launch = pages.launch(official)
    page = pages.get(launch, "/learner/transcript")
    text = text_of(page)
    assert "Records Management" in text and "Supervisor Training" in text
    assert "Personal Development, Organizational Development" in text
    assert "Total that counts 6 hours" in text
    assert "data-print" in page.get_data(as_text=True)
    download = pages.get(launch, "/learner/transcript.csv")
    assert download.mimetype == "text/csv"
    lines = download.get_data(as_text=True).splitlines()
    assert lines[0] == "date,activity,credit,unit,source,areas,format,provider,status,note"
    assert len(lines) == 3
    assert "Supervisor Training,3,hours,Recorded by an administrator" in lines[2]


def test_pages_need_a_launch_and_carry_the_security_headers(pages, session, client, catalogue):
    assert client.get("/learner/progress").status_code == 401
    official = gen_official(session, platform=gen_platform(session))
    session.commit()
    page = pages.get(pages.launch(official), "/learner/progress")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors" in policy
    html = page.get_data(as_text=True)
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<script>(?!</script>)", html) is None
    assert html.count("<h1") == 1
    assert 'lang="en"' in html and 'href="#main"' in html


def test_clerk_enrolls_with_membership_date_and_sees_points(pages, session, catalogue, today):
    official = gen_official(session, municipality=gen_municipality(session))
    session.commit()
    launch = pages.launch(official)
    assert 'type="date"' in pages.get(launch, "/learner/enroll").get_data(as_text=True)
    answer = pages.post(launch, "/learner/enroll", {"program": "cmc",
                                                    "membership_since": (today - dt.timedelta(days=400)).isoformat()})
    assert answer.status_code == 303
    text = text_of(pages.get(launch, "/learner/progress"))
    assert "Certified Municipal Clerk" in text
    assert "60 Education points" in text and "0 of 110" in text
    bad = pages.post(launch, "/learner/enroll", {"program": "mmc", "membership_since": "soon"})
    assert bad.status_code == 422 and "must be a date" in text_of(bad)
