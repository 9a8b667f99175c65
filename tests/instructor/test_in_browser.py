"""An instructor marks attendance inside the LMS course page (a cross-site iframe) in a real Chromium: the roster
comes from the platform, marking, undoing and "mark all present" work with the pages' own forms, and the roster,
overview and submission review pass axe-core with no serious or critical violation and no CSP refusal."""

from __future__ import annotations

import pytest

from lti_tool.lti import claims as c
from tests.browser.conftest import browser, live_tool, page  # noqa: F401
from tests.browser.test_pages_in_lms import (
    check_accessibility,
    csp_violations,
    screenshot,
    seed,
    seed_catalogue,
    tool_frame,
)

pytestmark = pytest.mark.browser

ACTIVITY = "ethics-accountability"


def test_an_instructor_marks_undoes_and_marks_all_present_inside_the_lms(browser, live_tool, page):
    seed(live_tool, seed_catalogue)
    refused = csp_violations(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "Mark all ... present?"

    page.goto(live_tool.course_url("instructor1", **{c.CUSTOM: {"activity": ACTIVITY}}))
    roster = tool_frame(page, "/instructor/roster")
    text = roster.inner_text("main")
    assert "Lena Learner" in text and "Leo Learner" in text and "Learners (2)" in text
    screenshot(page, "instructor-roster-emulated")
    check_accessibility(roster, "instructor roster")

    roster.get_by_role("button", name="Mark attended for Lena Learner").click()
    roster = tool_frame(page, "notice=marked")
    assert "Lena Learner is marked attended." in roster.inner_text("main")
    marked_row = roster.locator("tr.state-marked").inner_text()
    assert "Lena Learner" in marked_row and "Marked on" in marked_row and "by Ivy Instructor" in marked_row

    roster.get_by_text("Undo", exact=True).click()  # opens the <details> with the reason
    roster.get_by_role("button", name="Undo mark of Lena Learner").click()
    roster = tool_frame(page, "notice=undone")
    assert "(Marked by mistake)" in roster.inner_text("main")
    check_accessibility(roster, "instructor roster after undo")

    roster.get_by_role("button", name="Mark all 2 present").click()
    roster = tool_frame(page, "notice=marked_all")
    assert "2 marked present" in roster.inner_text("main")
    assert roster.locator("tr.state-marked").count() == 2

    roster.get_by_role("link", name="Lena Learner").click()
    review = tool_frame(page, "/instructor/submission")
    assert "Reason: Marked by mistake" in review.inner_text("main")
    screenshot(page, "instructor-submission-emulated")
    check_accessibility(review, "instructor submission review")

    review.get_by_role("link", name="Course overview").click()
    overview = tool_frame(page, "/instructor/overview")
    overview.get_by_role("link", name="Official").press("Enter")  # the heading links work from the keyboard
    overview = tool_frame(page, "sort=name")
    assert overview.locator("th[aria-sort]").count() == 1
    screenshot(page, "instructor-overview-emulated")
    check_accessibility(overview, "instructor overview")
    assert refused == []
