"""Health check and error pages."""

from __future__ import annotations

from lti_tool import create_app


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(app_config):
    config = dict(app_config, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2")
    unreachable = create_app(config)
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unknown_page_is_a_plain_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Error code" in response.data
    assert b"Traceback" not in response.data


def test_home_page_lists_the_urls_an_lms_administrator_needs(client):
    page = client.get("/").get_data(as_text=True)
    for path in ("/lti/register", "/lti/launch", "/lti/login", "/.well-known/jwks.json"):
        assert f"http://127.0.0.1:5000{path}" in page
