"""The operations behind the pages: CARES updates and the monthly report, fee refunds, transcripts and the
reports for CCM (newly certified, lapses)."""

from __future__ import annotations

import datetime as dt

import pytest

from lti_tool.models import Activity, AuditEntry, Certification
from lti_tool.services import cares, fees, officials, reports
from lti_tool.services.certification import refresh_certifications
from lti_tool.services.completions import reverse_completion
from lti_tool.web.charts import credit_over_time, cumulative
from lti_tool.web.formatting import days_left
from tests.factories import gen_completion, gen_enrollment, gen_municipality, gen_official

ACADEMY_SIX = ["records-management", "customer-service", "ethics-accountability", "mera", "economic-development",
               "social-media"]


def test_an_implemented_item_needs_evidence_and_reviewer_and_the_latest_update_wins(session, rulebook):
    town = gen_municipality(session, "Bristol")
    with pytest.raises(cares.CaresError, match="needs an evidence link"):
        cares.record_item_update(session, rulebook.cares, town, "resolution", state="implemented",
                                 effective_on=dt.date(2026, 3, 1), actor="test", reviewer="J. Ortiz")
    with pytest.raises(cares.CaresError, match="unknown action item"):
        cares.record_item_update(session, rulebook.cares, town, "item-8", state="in_progress",
                                 effective_on=dt.date(2026, 3, 1), actor="test")
    cares.record_item_update(session, rulebook.cares, town, "resolution", state="in_progress",
                             effective_on=dt.date(2026, 2, 1), actor="test")
    cares.record_item_update(session, rulebook.cares, town, "resolution", state="implemented",
                             effective_on=dt.date(2026, 3, 10), actor="test",
                             evidence_url="https://bristol.example.gov/res", reviewer="J. Ortiz")
    status = cares.municipality_status(session, rulebook.cares, town, dt.date(2026, 3, 31))
    item = status.items[0]
    assert (item.state, item.started_on, item.implemented_on) == ("implemented", dt.date(2026, 2, 1),
                                                                  dt.date(2026, 3, 10))
    assert session.query(AuditEntry).filter_by(action="cares.item_updated").count() == 2


def test_monthly_report_says_what_changed_in_the_month(session, rulebook, catalogue):
    town = gen_municipality(session, "Bristol")
    gen_municipality(session, "Quiet Town")
    trained = gen_official(session, name="Pat Trained", municipality=town)
    gen_completion(session, trained, session.get(Activity, "cares-racial-equity-lens"), "2026-02-20")
    cares.record_item_update(session, rulebook.cares, town, "resolution", state="in_progress",
                             effective_on=dt.date(2026, 2, 1), actor="test")
    cares.record_item_update(session, rulebook.cares, town, "resolution", state="implemented",
                             effective_on=dt.date(2026, 3, 10), actor="test",
                             evidence_url="https://bristol.example.gov/res", reviewer="J. Ortiz")
    rows = cares.monthly_report(session, rulebook.cares, "2026-03")
    assert [row.municipality for row in rows] == ["Bristol"]
    assert rows[0].changed == ("1. In progress → Implemented",)
    assert rows[0].recognitions == ("Bristol has implemented CARES action item 1: Adopt a resolution or "
                                    "proclamation outlining racial equity goals and strategies",)
    assert cares.monthly_report(session, rulebook.cares, "2026-04")[0].changed == ()
    status = cares.municipality_status(session, rulebook.cares, town, dt.date(2026, 3, 31))
    assert status.trained_officials == ((str(trained.id), "Pat Trained"),)
    with pytest.raises(cares.CaresError, match="is not a month"):
        cares.month_bounds("March")


def test_refunds_are_new_rows_and_cannot_exceed_the_payment(session, rulebook):
    official = gen_official(session)
    today = dt.date.today()
    payment = fees.record_fee_payment(session, official, program="ccmo", purpose="enrollment", amount_cents=12000,
                                      paid_on=today, actor="test", rulebook=rulebook, as_of=today)
    fees.refund_fee_payment(session, payment, amount_cents=2000, reason="discount", actor="test",
                            rulebook=rulebook, as_of=today)
    assert fees.refunded_cents(session, payment) == 2000
    with pytest.raises(fees.FeeError, match=r"at most \$100.00"):
        fees.refund_fee_payment(session, payment, amount_cents=15000, reason="x", actor="test", rulebook=rulebook,
                                as_of=today)
    with pytest.raises(fees.FeeError, match="needs a reason"):
        fees.refund_fee_payment(session, payment, reason="", actor="test", rulebook=rulebook, as_of=today)
    assert fees.parse_amount("$1,200.50") == 120050
    assert fees.dollars(-2500) == "-$25.00"


def test_transcript_marks_reversed_and_self_reported_entries(session, rulebook, catalogue):
    official = gen_official(session)
    kept = gen_completion(session, official, session.get(Activity, "records-management"), "2026-01-10")
    dropped = gen_completion(session, official, session.get(Activity, "mera"), "2026-02-10")
    gen_completion(session, official, session.get(Activity, "customer-service"), "2026-03-10", source="self_report")
    reverse_completion(session, dropped, recorded_by="test", reason="not attended", source="admin")
    rows = reports.transcript_rows(session, official.id, rulebook)
    assert [(row.title, row.status) for row in rows] == [
        ("Records Management", "Counts"), ("MERA", "Reversed"), ("Customer Service", "Awaiting approval")]
    assert rows[1].note == "not attended"
    assert kept.id == rows[0].completion_id
    text = reports.transcript_csv(rows)
    assert "2026-02-10,MERA,3,hours,Recorded by an administrator,Organizational Development" in text


def test_csv_cells_that_look_like_formulas_are_neutralised():
    assert reports.csv_text([["=HYPERLINK(\"x\")", "-3", "@me"]]) == '"\'=HYPERLINK(""x"")",-3,\'@me\r\n'


def test_newly_certified_and_lapse_reports(session, rulebook, catalogue, signing_key):
    today = dt.date.today()
    town = gen_municipality(session, "Enfield")
    official = gen_official(session, name="Casey Certified", municipality=town)
    enrolled_on = dt.date(today.year - 2, 2, 1)
    gen_enrollment(session, official, "ccmo-academy", on=enrolled_on)
    for index, activity_id in enumerate(ACADEMY_SIX):
        gen_completion(session, official, session.get(Activity, activity_id), enrolled_on + dt.timedelta(days=index))
    refresh_certifications(session, official, rulebook, as_of=today, actor="test")  # certifies
    refresh_certifications(session, official, rulebook, as_of=today, actor="test")  # records the ended cycle
    certification = session.query(Certification).one()
    rows = reports.newly_certified(session, rulebook, certification.certified_on, certification.certified_on)
    assert [(row.name, row.municipality, row.program) for row in rows] == [("Casey Certified", "Enfield", "CCMO")]
    assert reports.newly_certified(session, rulebook, certification.certified_on, certification.certified_on,
                                   platform_id=official.platform_id + 100) == []
    lapses = reports.lapse_report(session, rulebook, dt.date(today.year - 1, 1, 1), dt.date(today.year, 12, 31),
                                  today)
    assert lapses and lapses[0].name == "Casey Certified"
    assert lapses[0].kind == "lapsed"
    assert "cycle ended unmet" in reports.lapse_report_csv(lapses)


def test_choosing_a_municipality_twice_goes_through_an_administrator(session):
    first, second = gen_municipality(session), gen_municipality(session)
    official = gen_official(session)
    officials.choose_municipality(session, official, first, actor="test")
    with pytest.raises(officials.OfficialError, match="ask an administrator"):
        officials.choose_municipality(session, official, second, actor="test")
    with pytest.raises(officials.OfficialError, match="needs a reason"):
        officials.require_reason("  ", "changing the municipality")


def test_chart_steps_through_the_counted_credit():
    start = dt.date(2026, 1, 1)
    assert cumulative([(dt.date(2026, 3, 1), 3.0), (dt.date(2026, 2, 1), 3.0), (dt.date(2026, 3, 1), 1.5)]) == [
        (dt.date(2026, 2, 1), 3.0), (dt.date(2026, 3, 1), 7.5)]
    svg = str(credit_over_time("c", [(dt.date(2026, 2, 1), 3.0)], start=start, end=dt.date(2028, 1, 1),
                               required=18, unit="hours", today=dt.date(2026, 6, 1)))
    assert 'role="img"' in svg and "3 of 18 hours earned" in svg and "style=" not in svg
    assert svg.count("<circle") == 1
    assert days_left(dt.date(2026, 6, 11), dt.date(2026, 6, 1)) == "in 10 days"
    assert days_left(dt.date(2026, 5, 29), dt.date(2026, 6, 1)) == "3 days ago"
