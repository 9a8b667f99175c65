"""CSRF on every form, and only the registered platforms may frame the tool."""

from __future__ import annotations

from lti_tool.services.platforms import platform_origins
from lti_tool.web.security import csrf_token
from tests.factories import gen_launch, gen_official, gen_platform

def _with_learner_form(app):
    """Give the learner area of the app under test a form endpoint."""
    app.add_url_rule("/learner/_probe", "learner.csrf_probe", lambda: "accepted", methods=["POST"])
    return app.test_client()


def test_a_post_without_the_right_token_is_refused_and_with_it_accepted(app, session):
    client = _with_learner_form(app)
    official = gen_official(session)
    launch = gen_launch(session, official)
    session.commit()
    missing = client.post("/learner/_probe", data={"launch": launch.id})
    assert missing.status_code == 400 and b"csrf_failed" in missing.data
    forged = client.post("/learner/_probe", data={"launch": launch.id, "csrf_token": "0" * 64})
    assert forged.status_code == 400
    with app.test_request_context():
        token = csrf_token(launch.id)
    accepted = client.post("/learner/_probe", data={"launch": launch.id, "csrf_token": token})
    assert accepted.status_code == 200 and accepted.data == b"accepted"


def test_the_token_is_bound_to_its_launch(app, session):
    official = gen_official(session)
    first, second = gen_launch(session, official), gen_launch(session, official)
    assert csrf_token(first.id) != csrf_token(second.id)
    assert len(csrf_token(first.id)) == 64


def test_only_registered_platforms_may_frame_the_tool(app, client, session):
    gen_platform(session, issuer="https://moodle.town.example")
    session.commit()
    platform_origins.invalidate()
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://moodle.town.example" in policy
    assert "script-src 'self'" in policy
    assert "evil" not in policy
    platform_origins.invalidate()
