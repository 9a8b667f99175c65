"""Completions are append-only and idempotent: corrections are new rows, repeats change nothing."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lti_tool import create_app
from lti_tool.db import db
from lti_tool.models import AuditEntry, Completion
from lti_tool.services import completions
from tests.factories import gen_activity, gen_completion, gen_official


def test_recording_uses_catalogue_hours_and_writes_the_audit_log(session):
    official = gen_official(session)
    ethics = gen_activity(session, "ethics-accountability", hours="3", areas=["organizational"])
    row, created = completions.record_completion(
        session, official=official, activity=ethics, completed_on=date(2026, 2, 3),
        source="instructor", source_key="instructor:rl1:o1:after0", recorded_by="official:9", recorded_from="10.0.0.5",
    )
    assert created and row.hours == Decimal("3.00")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "completion.recorded")).one()
    assert entry.actor == "official:9" and entry.origin == "10.0.0.5"
    assert entry.details["activity_id"] == "ethics-accountability"


def test_the_same_source_event_is_recorded_once(session):
    official = gen_official(session)
    activity = gen_activity(session)
    first = gen_completion(session, official, activity, "2026-01-10", source_key="import:conv-2026:row-7")
    again, created = completions.record_completion(
        session, official=official, activity=activity, completed_on=date(2026, 1, 10),
        source="import", source_key="import:conv-2026:row-7", recorded_by="test",
    )
    assert not created and again.id == first.id
    assert session.scalar(select(func.count()).select_from(Completion)) == 1


def test_reversal_is_a_new_row_and_the_original_is_untouched(session):
    official = gen_official(session)
    activity = gen_activity(session)
    original = gen_completion(session, official, activity, "2026-01-10")
    reversal, created = completions.reverse_completion(
        session, original, recorded_by="official:2", reason="marked the wrong person", source="instructor"
    )
    assert created and reversal.kind == "reversal" and reversal.corrects_id == original.id
    again, created_again = completions.reverse_completion(
        session, original, recorded_by="official:2", reason="double click", source="instructor"
    )
    assert not created_again and again.id == reversal.id
    session.refresh(original)
    assert original.kind == "record" and original.completed_on == date(2026, 1, 10)
    [effective] = completions.effective_completions(session, official.id)
    assert effective.reversed and not effective.counts


def test_amendment_changes_what_counts_but_keeps_history(session):
    official = gen_official(session)
    activity = gen_activity(session, hours="3")
    original = gen_completion(session, official, activity, "2026-01-10")
    completions.amend_completion(session, original, recorded_by="admin:1", reason="it was a half day", hours="1.5")
    completions.amend_completion(session, original, recorded_by="admin:1", reason="wrong date", completed_on=date(2026, 1, 11))
    [effective] = completions.effective_completions(session, official.id)
    assert effective.hours == Decimal("1.50") and effective.completed_on == date(2026, 1, 11)
    assert session.scalar(select(func.count()).select_from(Completion)) == 3
    with pytest.raises(completions.CompletionError, match="reason"):
        completions.amend_completion(session, original, recorded_by="admin:1", reason=" ", hours="2")


def test_a_reversed_completion_cannot_be_amended(session):
    official = gen_official(session)
    original = gen_completion(session, official, gen_activity(session), "2026-01-10")
    completions.reverse_completion(session, original, recorded_by="a", reason="duplicate", source="admin")
    with pytest.raises(completions.CompletionError, match="reversed"):
        completions.amend_completion(session, original, recorded_by="a", reason="fix", hours="2")


def test_self_reported_items_count_only_once_approved(session):
    official = gen_official(session)
    activity = gen_activity(session, "iimc-experience-year", category="experience")
    claim = gen_completion(session, official, activity, "2026-01-10", source="self_report")
    [pending] = completions.effective_completions(session, official.id)
    assert pending.pending_approval and not pending.counts
    completions.approve_completion(session, claim, recorded_by="admin:1")
    [approved] = completions.effective_completions(session, official.id)
    assert approved.counts


def test_two_requests_recording_the_same_event_at_once_make_one_row(app_config):
    """Two processes' worth of sessions race on one source key: exactly one row results."""
    app = create_app(app_config)
    with app.app_context():
        official = gen_official(db.session)
        activity = gen_activity(db.session)
        db.session.commit()
        official_id, activity_id = official.id, activity.id
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []

    def mark() -> None:
        with app.app_context():
            session = db.session
            from lti_tool.models import Activity, Official

            barrier.wait()
            _, created = completions.record_completion(
                session, official=session.get(Official, official_id), activity=session.get(Activity, activity_id),
                completed_on=date(2026, 3, 1), source="instructor", source_key="instructor:rl5:o1:after0",
                recorded_by="race",
            )
            session.commit()
            outcomes.append(created)

    threads = [threading.Thread(target=mark) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Completion))
        from tests.conftest import _empty_all_tables

        _empty_all_tables()
    assert sorted(outcomes) == [False, True]
    assert count == 1


def test_a_later_catalogue_edit_does_not_rewrite_what_a_completion_counted_toward(session):
    official = gen_official(session)
    workshop = gen_activity(session, "time-management", areas=["personal", "community"], format="in_person")
    gen_completion(session, official, workshop, "2026-01-10")
    workshop.areas, workshop.format = ["organizational"], "webinar"
    session.flush()
    [item] = completions.effective_completions(session, official.id)
    assert item.current.areas == ["personal", "community"] and item.current.format == "in_person"
