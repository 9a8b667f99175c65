"""Continuing education: Academy calendar-year cycles with a January fee; Classic two-year cycles."""

from __future__ import annotations

import json

from lti_tool.engine import FeePayment, HeldCertification, evaluate_cycles

from .conftest import attended, day

PSELC = {"provider": "uconn_pselc", "format": "in_person"}


def cycles(rulebook, edition_id, certified_on, completions, payments, as_of, used=frozenset()):
    edition = rulebook.edition(edition_id)
    certification = HeldCertification(edition.program, edition.id, day(certified_on), used_completion_ids=used)
    fees = [FeePayment(day(paid_on), amount) for paid_on, amount in payments]
    return evaluate_cycles(edition, certification, completions, fees, day(as_of))


def test_academy_ccmo_cycle_is_the_calendar_year_after_certification_with_a_january_fee(rulebook):
    workshops = attended(rulebook, ("2026-03-03", "records-management"), ("2026-05-05", "ethics-accountability"),
                         ("2026-10-01", "public-safety"))

    before_paying = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops, [], "2026-01-20")
    assert before_paying.standing == "due"
    first = before_paying.cycles[0]
    assert (first.starts_on, first.last_day, first.fee_due_by) == (day("2026-01-01"), day("2026-12-31"),
                                                                   day("2026-01-31"))
    assert first.unmet == ("pay the $75 continuing-education fee (due by 31 January 2026)",
                           "9 more credit hours by 31 December 2026")

    paid = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops, [("2026-01-12", 75)], "2026-06-01")
    assert paid.standing == "current"
    assert paid.cycles[0].state == "current" and paid.cycles[0].hours_done == 6

    met = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops, [("2026-01-12", 75)], "2026-12-31")
    assert met.cycles[0].state == "met" and met.cycles[0].met_on == day("2026-10-01")
    assert met.next_cycle_starts_on == day("2027-01-01")
    assert json.loads(json.dumps(met.to_dict()))["cycles"][0]["fee"] == {
        "amount": 75, "due_by": "2026-01-31", "paid_on": "2026-01-12"}


def test_missing_hours_at_year_end_lapse_the_certification(rulebook):
    workshops = attended(rulebook, ("2026-03-03", "records-management"))

    result = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops, [("2026-01-12", 75)], "2027-01-05")

    assert result.standing == "lapsed"
    assert result.lapsed_on == day("2027-01-01")
    assert [cycle.state for cycle in result.cycles] == ["lapsed"]
    assert result.next_cycle_starts_on is None


def test_an_unpaid_fee_lapses_the_certification_even_with_the_hours(rulebook):
    workshops = attended(rulebook, ("2026-03-03", "records-management"), ("2026-05-05", "ethics-accountability"),
                         ("2026-10-01", "public-safety"))
    result = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops, [], "2027-01-01")
    assert result.standing == "lapsed"


def test_the_same_workshop_counts_again_in_a_later_cycle(rulebook):
    workshops = attended(rulebook, ("2026-03-03", "records-management"), ("2026-05-05", "ethics-accountability"),
                         ("2026-10-01", "public-safety"), ("2026-11-01", "public-safety"),
                         ("2027-03-03", "records-management"), ("2027-05-05", "ethics-accountability"),
                         ("2027-10-01", "public-safety"))
    payments = [("2025-12-20", 75), ("2027-01-05", 75)]

    result = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops, payments, "2027-12-31")

    assert [cycle.state for cycle in result.cycles] == ["met", "met"]
    assert result.cycles[0].counted_completion_ids == ("c1", "c2", "c3")
    assert result.cycles[1].counted_completion_ids == ("c5", "c6", "c7")
    assert result.standing == "current"


def test_ccpl_cycle_needs_twelve_hours_including_a_pselc_workshop(rulebook):
    workshops = attended(rulebook, ("2026-02-04", "rfps-rfqs"), ("2026-03-03", "records-management"),
                         ("2026-05-05", "ethics-accountability"), ("2026-10-01", "public-safety"))

    short = cycles(rulebook, "ccpl-academy", "2025-11-19", workshops, [("2026-01-08", 100)], "2026-11-01")
    assert short.cycles[0].hours_done == 12
    assert short.cycles[0].unmet == ("1 more PSELC workshop by 31 December 2026",)

    with_pselc = attended(rulebook, ("2026-02-04", "rfps-rfqs"), ("2026-03-03", "records-management"),
                          ("2026-05-05", "ethics-accountability"), ("2026-09-04", "supervisor-training", PSELC))
    met = cycles(rulebook, "ccpl-academy", "2025-11-19", with_pselc, [("2026-01-08", 100)], "2026-11-01")
    assert met.cycles[0].state == "met"


def test_classic_cycle_is_the_two_years_after_certification_with_a_fifty_dollar_fee(rulebook):
    workshops = attended(rulebook, ("2025-05-01", "mera"), ("2025-09-09", "records-management"),
                         ("2026-04-22", "emergency-management-symposium"), ("2027-02-02", "public-safety"))

    due = cycles(rulebook, "ccmo-classic", "2025-05-01", workshops, [], "2026-06-01", used=frozenset({"c1"}))
    cycle = due.cycles[0]
    assert (cycle.starts_on, cycle.last_day) == (day("2025-05-01"), day("2027-04-30"))
    assert cycle.fee_amount == 50 and cycle.fee_due_by == day("2027-04-30")
    assert cycle.counted_completion_ids == ("c2", "c3")
    assert due.standing == "due"

    met = cycles(rulebook, "ccmo-classic", "2025-05-01", workshops, [("2026-07-01", 50)], "2027-06-01",
                 used=frozenset({"c1"}))
    assert [cycle.state for cycle in met.cycles] == ["met", "due"]
    assert met.cycles[0].met_on == day("2027-02-02")

    lapsed = cycles(rulebook, "ccmo-classic", "2025-05-01", workshops[:3], [("2026-07-01", 50)], "2027-05-01",
                    used=frozenset({"c1"}))
    assert lapsed.standing == "lapsed" and lapsed.lapsed_on == day("2027-05-01")


def test_a_refund_unsettles_the_fee_and_a_later_payment_settles_it_again(rulebook):
    workshops = attended(rulebook, ("2026-03-03", "records-management"))
    refunded = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops,
                      [("2026-01-12", 75), ("2026-02-01", -75)], "2026-03-01")
    assert refunded.standing == "due" and refunded.cycles[0].fee_paid_on is None
    repaid = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops,
                    [("2026-01-12", 75), ("2026-02-01", -75), ("2026-02-10", 75)], "2026-03-01")
    assert repaid.standing == "current" and repaid.cycles[0].fee_paid_on == day("2026-02-10")


def test_a_payment_beyond_the_fee_is_left_for_the_next_cycle(rulebook):
    workshops = attended(rulebook, ("2026-03-03", "records-management"), ("2026-05-05", "ethics-accountability"),
                         ("2026-10-01", "public-safety"))
    result = cycles(rulebook, "ccmo-academy", "2025-06-10", workshops,
                    [("2026-01-12", 75), ("2026-12-20", 75)], "2027-01-05")
    assert [cycle.fee_paid_on for cycle in result.cycles] == [day("2026-01-12"), day("2026-12-20")]
