"""Full launches from the emulated Moodle 4.5: login → auth.php → launch → the role's page."""

from __future__ import annotations

from urllib.parse import urlsplit

from .driver import error_code_of, launch_id_of


def landing_path(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return urlsplit(response.headers["Location"]).path


def test_learner_lands_on_their_progress_page(driver, client):
    response = driver.launch("learner1")
    assert landing_path(response) == "/learner/progress"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Lena Learner" in text
    assert "CCMO Academy" in text
