"""Loading the shipped catalogue into the database."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from lti_tool.engine.rules import load_rulebook
from lti_tool.models import Activity, ActivitySession
from lti_tool.services.catalogue import sync_catalogue


def test_loading_the_shipped_catalogue_adds_every_activity_once(session):
    rulebook = load_rulebook()
    first = sync_catalogue(session, rulebook, actor="test")
    assert len(first.added) == len(rulebook.catalogue.activities)
    budgets = session.get(Activity, "budgets-finance")
    assert budgets.title == "Budgets/Finance"
    assert sorted(budgets.areas) == ["organizational", "personal"]
    assert budgets.hours == Decimal("3.00")
    second = sync_catalogue(session, rulebook, actor="test")
    assert second.added == [] and second.sessions_added == 0
    assert session.scalar(select(func.count()).select_from(Activity)) == len(rulebook.catalogue.activities)
    assert session.scalar(select(func.count()).select_from(ActivitySession)) == first.sessions_added > 0


def test_an_administrators_edit_survives_a_reload_unless_update_is_asked(session):
    rulebook = load_rulebook()
    sync_catalogue(session, rulebook, actor="test")
    ethics = session.get(Activity, "ethics-accountability")
    ethics.hours = Decimal("4")
    session.flush()
    kept = sync_catalogue(session, rulebook, actor="test")
    assert "ethics-accountability" in kept.differing
    assert session.get(Activity, "ethics-accountability").hours == Decimal("4.00")
    reset = sync_catalogue(session, rulebook, actor="test", update=True)
    assert "ethics-accountability" in reset.updated
    assert session.get(Activity, "ethics-accountability").hours == Decimal("3.00")


def test_catalogue_load_command(runner):
    result = runner.invoke("catalogue", "load")
    assert result.exit_code == 0, result.stderr
    assert "activities added" in result.stdout
