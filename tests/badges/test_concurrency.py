"""Two processes issuing at the same moment never share a status list position."""

from __future__ import annotations

import threading

import pytest

from lti_tool.db import db
from lti_tool.services import credentials as service
from tests.badges.conftest import NOW, certify
from tests.factories import gen_official


def test_simultaneous_issues_get_distinct_status_indexes(app, session, tool_key, settings, monkeypatch):
    if db.is_sqlite:
        pytest.skip("SQLite lets one writer in at a time, so the two issues cannot overlap")
    certifications = [certify(session, gen_official(session, email=f"racer{n}@example.org")) for n in range(2)]
    ids = [certification.id for certification in certifications]
    session.commit()

    # Both transactions choose the same free position before either inserts.
    both_read = threading.Barrier(2, timeout=10)
    original = service._next_status_index
    waited = threading.local()
    reads: list[int] = []

    def read_together(own_session):
        if not getattr(waited, "done", False):
            waited.done = True
            reads.append(7)
            both_read.wait()
            return 7
        index = original(own_session)
        reads.append(index)
        return index

    monkeypatch.setattr(service, "_next_status_index", read_together)
    issued: dict[int, int] = {}
    failures: list[BaseException] = []

    def issue(certification_id: int) -> None:
        try:
            with app.app_context():
                with db.transaction() as own:
                    certification = own.get(type(certifications[0]), certification_id)
                    credential = service.issue_credential(own, certification, actor="test", settings=settings,
                                                          now=NOW)
                    issued[certification_id] = credential.status_index
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            db.remove()

    threads = [threading.Thread(target=issue, args=(certification_id,)) for certification_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert sorted(issued) == sorted(ids)
    assert len(set(issued.values())) == 2
    assert len(reads) == 3, "the loser of the race chose another position"
    assert 7 in issued.values()
