"""How pages find their launch (`web/session.py`): the URL carries it, the cookie backs it up, roles gate it."""

from __future__ import annotations

from flask import render_template_string

from lti_tool.models import Launch
from lti_tool.web.session import current_launch, launch_url_for

from .driver import error_code_of, launch_id_of


def test_page_without_a_launch_asks_to_open_the_tool_from_the_course(client):
    response = client.get("/learner/progress")
    assert response.status_code == 401 and error_code_of(response) == "no_launch"


def test_unknown_launch_id_is_no_launch(client):
    response = client.get("/learner/progress?launch=guessed")
    assert response.status_code == 401 and error_code_of(response) == "no_launch"


def test_expired_launch_is_refused(driver, session):
    launch_id = launch_id_of(driver.launch("learner1"))
    launch = session.get(Launch, launch_id)
    launch.expires_at = launch.created_at
    session.commit()
    response = driver.client.get(f"/learner/progress?launch={launch_id}")
    assert response.status_code == 401 and error_code_of(response) == "launch_expired"


def test_learner_cannot_open_instructor_or_admin_pages(driver):
    launch_id = launch_id_of(driver.launch("learner1"))
    for path in ("/instructor/overview", "/instructor/roster", "/instructor/submission", "/admin/"):
        response = driver.client.get(f"{path}?launch={launch_id}")
        assert response.status_code == 403 and error_code_of(response) == "forbidden_role", path


def test_instructor_cannot_open_the_admin_page(driver):
    launch_id = launch_id_of(driver.launch("instructor1"))
    response = driver.client.get(f"/admin/?launch={launch_id}")
    assert response.status_code == 403


def test_the_launch_cookie_works_when_the_url_has_no_launch(driver):
    driver.launch("learner1")
    assert driver.client.get("/learner/progress").status_code == 200


def test_the_url_launch_works_without_any_cookie(driver, app):
    launch_id = launch_id_of(driver.launch("learner1"))
    cookieless = app.test_client()
    assert cookieless.get(f"/learner/progress?launch={launch_id}").status_code == 200


def test_launch_pages_keep_the_launch_id_out_of_referers_and_caches(driver):
    response = driver.launch("learner1")
    assert response.headers["Referrer-Policy"] == "same-origin"
    page = driver.client.get(response.headers["Location"])
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"


def test_links_and_forms_carry_the_launch(driver, app):
    launch_id = launch_id_of(driver.launch("instructor1"))
    with app.test_request_context(f"/instructor/overview?launch={launch_id}"):
        assert launch_url_for("instructor.roster", page=2) == f"/instructor/roster?page=2&launch={launch_id}"
        field = render_template_string("{{ launch_field() }}")
        assert field == f'<input type="hidden" name="launch" value="{launch_id}">'


def test_instructor_rights_hold_only_in_the_launch_course(driver, app):
    launch_id = launch_id_of(driver.launch("instructor1"))
    with app.test_request_context(f"/?launch={launch_id}"):
        launch = current_launch()
        assert launch.roles.is_instructor
        assert launch.can_instruct(launch.context_id)
        assert not launch.can_instruct(launch.context_id + 1)
        assert not launch.can_instruct(None)
        assert launch.same_platform(launch.official) and launch.same_platform(launch.context)


def test_learner_has_no_instructor_rights_in_their_course(driver, app):
    launch_id = launch_id_of(driver.launch("learner1"))
    with app.test_request_context(f"/?launch={launch_id}"):
        launch = current_launch()
        assert not launch.can_instruct(launch.context_id)
        assert launch.placement == "progress" and launch.activity_id is None
