"""An official, an instructor and an administrator launch the tool inside the LMS course page (a cross-site
iframe) through the Moodle emulator, in a real Chromium: the pages show the right figures, keep the LMS's
frame, work from the keyboard, and pass axe-core with no serious or critical violation."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from lti_tool.db import db
from lti_tool.models import Activity, Municipality, Official
from lti_tool.services.catalogue import sync_catalogue
from lti_tool.services.completions import record_completion
from lti_tool.services.enrollments import enroll
from lti_tool.services.officials import add_municipality
from lti_tool.rulebook import current_rulebook

from .conftest import SCREENSHOTS, axe_script

pytestmark = pytest.mark.browser

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LEARNER1_SUB = "4"  # the captured Moodle learner (Lena Learner)


# ---------------------------------------------------------------------------------------------------- helpers


def seed(live, change) -> None:
    """Run `change(session)` against the live tool's database and commit."""
    with live.app.app_context():
        with db.transaction() as session:
            change(session)
        db.remove()


def seed_catalogue(session) -> None:
    if session.get(Activity, "records-management") is None:
        sync_catalogue(session, current_rulebook(), actor="test")


def seed_official(session, platform_id: int, sub: str, name: str, completions: list[tuple[str, int]]) -> Official:
    """An official of Hartford enrolled in the Academy CCMO 100 days ago, with completions (activity, days ago)."""
    seed_catalogue(session)
    town = session.query(Municipality).filter_by(name="Hartford").first() or add_municipality(session, "Hartford", ccm_member=True, actor="test")
    official = Official(platform_id=platform_id, sub=sub, name=name, municipality_id=town.id)
    session.add(official)
    session.flush()
    today = dt.date.today()
    enroll(session, official, "ccmo", current_rulebook(), actor="test", enrolled_on=today - dt.timedelta(days=100))
    for activity_id, days_ago in completions:
        record_completion(session, official=official, activity=session.get(Activity, activity_id),
                          completed_on=today - dt.timedelta(days=days_ago), source="instructor",
                          source_key=f"browser:{sub}:{activity_id}", recorded_by="test")
    return official


def tool_frame(page, path: str, timeout: float = 15.0):
    """The frame (in the course page or a popup) once it shows the tool page at `path`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if path in frame.url:
                frame.wait_for_load_state("load")
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"the tool never showed {path}; frames: {[frame.url for frame in page.frames]}")


def check_accessibility(frame, name: str) -> None:
    """Run axe-core in the frame; fail on serious or critical WCAG 2.1 A/AA violations."""
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.evaluate(axe_script().read_text(encoding="utf-8"))
    violations = frame.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""",
        WCAG_AA,
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: accessibility violations: {serious}"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def visit(page, frame, link_text: str, path: str, name: str):
    """Follow a link inside the tool frame, then screenshot and check the page it opens."""
    frame.get_by_role("link", name=link_text, exact=True).first.click()
    opened = tool_frame(page, path)
    opened.wait_for_selector("h1")
    screenshot(page, name)
    check_accessibility(opened, name)
    return opened


def csp_violations(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text)
            if "Content Security Policy" in message.text else None)
    return messages


# ------------------------------------------------------------------------------------------------------ tests


def test_official_sees_their_progress_inside_the_lms(browser, live_tool, page):
    seed(live_tool, lambda session: seed_official(
        session, live_tool.platform_id, LEARNER1_SUB, "Lena Learner",
        [("records-management", 80), ("customer-service", 60), ("economic-development", 40)]))
    refused = csp_violations(page)

    page.goto(live_tool.course_url("learner1"))
    frame = tool_frame(page, "/learner/progress")
    text = frame.inner_text("main")
    assert "Certified Connecticut Municipal Official (Academy)" in text
    assert "9 of 18 hours so far" in text
    assert re.search(r"Deadline\s+\d+ \w+ \d{4} \(in \d+ days\)", text)
    assert "Records Management" in text and "Economic Development" in text
    assert "What next" in text
    assert frame.locator("progress").count() >= 1
    assert frame.locator("svg.chart").count() == 1
    screenshot(page, "learner-progress")
    check_accessibility(frame, "learner progress")

    transcript = visit(page, frame, "Transcript", "/learner/transcript", "learner-transcript")
    assert transcript.locator("#transcript tbody tr").count() == 3
    transcript.get_by_role("button", name="Credit").click()  # sortable by keyboard-operable header buttons
    assert transcript.locator("#transcript th[aria-sort]").count() == 1
    page.emulate_media(media="print")
    screenshot(page, "learner-transcript-print")
    page.emulate_media(media="screen")

    enroll_page = visit(page, transcript, "Enroll", "/learner/enroll", "learner-enroll")
    assert "A CCMO held on the enrollment date" in enroll_page.inner_text("main")
    assert refused == []


def test_keyboard_reaches_the_skip_link_first(browser, live_tool, page):
    page.goto(live_tool.course_url("learner1"))
    frame = tool_frame(page, "/learner/progress")
    page.goto(frame.url)  # the same page in its own window (links carry the launch, no cookie needed)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_instructor_pages_inside_the_lms(browser, live_tool, page):
    page.goto(live_tool.course_url("instructor1"))
    frame = tool_frame(page, "/instructor/")
    frame.wait_for_selector("h1")
    screenshot(page, "instructor-landing")
    check_accessibility(frame, "instructor landing")
    launch_id = re.search(r"launch=([^&]+)", frame.url).group(1)
    for path, name in (("/instructor/overview", "instructor-overview"), ("/instructor/roster", "instructor-roster")):
        frame.goto(f"{live_tool.base_url}{path}?launch={launch_id}")
        frame.wait_for_selector("h1")
        assert frame.url.startswith(live_tool.base_url + path)
        screenshot(page, name)
        check_accessibility(frame, name)


def test_administrator_corrects_a_record_inside_the_lms(browser, live_tool, page):
    seed(live_tool, lambda session: seed_official(
        session, live_tool.platform_id, "olive-1", "Olive Official", [("records-management", 70)]))
    page.goto(live_tool.course_url("admin"))
    frame = tool_frame(page, "/admin/")
    assert "Administration" in frame.inner_text("h1")
    screenshot(page, "admin-home")
    check_accessibility(frame, "admin home")

    officials = visit(page, frame, "Officials", "/admin/officials", "admin-officials")
    record = visit(page, officials, "Olive Official", "/admin/officials/", "admin-official-record")
    assert "3 of 18 hours" in record.inner_text("main")

    record.select_option("#new-activity", "mera")
    record.fill("#new-date", (dt.date.today() - dt.timedelta(days=3)).isoformat())
    record.fill("#new-reason", "sign-in sheet received by email")
    record.get_by_role("button", name="Record the completion").click()
    record = tool_frame(page, "notice=completion")
    assert "The completion is recorded." in record.inner_text("main")
    assert "6 of 18 hours" in record.inner_text("main")
    assert "sign-in sheet received by email" in record.inner_text("#audit")

    for link, path, name in (("Catalogue", "/admin/catalogue", "admin-catalogue"),
                             ("CARES in Action", "/admin/cares", "admin-cares"),
                             ("Newly certified", "/admin/reports/certified", "admin-newly-certified"),
                             ("Lapses", "/admin/reports/lapses", "admin-lapses"),
                             ("Platforms", "/admin/platforms", "admin-platforms"),
                             ("Outbox", "/admin/outbox", "admin-outbox")):
        record = visit(page, record, link, path, name)


def test_new_window_when_the_browser_blocks_the_tools_cookies(browser, live_tool, page):
    """Over plain HTTP the tool's cookies cannot be marked Secure; Chromium drops them in the cross-site frame,
    so the login offers its own window, where the launch completes."""
    live_tool.app.config["SESSION_COOKIE_SECURE"] = False
    try:
        page.goto(live_tool.course_url("learner1"))
        frame = tool_frame(page, "/lti/login")
        link = frame.get_by_role("link", name="Open in a new window")
        link.wait_for()
        with page.expect_popup() as opened:
            link.click()
        popup = opened.value
        landed = tool_frame(popup, "/learner/progress")
        assert "My certification progress" in landed.inner_text("h1")
    finally:
        live_tool.app.config["SESSION_COOKIE_SECURE"] = True
