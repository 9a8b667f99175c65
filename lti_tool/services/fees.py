"""Fee payments: recording a payment or a refund (a new row, never an edit), then bringing the official's
certifications in line (a continuing-education fee can complete a cycle)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import engine
from ..models import FeePayment, Official
from .audit import record_audit
from .certification import refresh_certifications

PURPOSES = ("enrollment", "continuing_education")
PURPOSE_WORDS = {"enrollment": "Enrollment fee", "continuing_education": "Continuing-education fee"}


class FeeError(ValueError):
    """A payment or refund that cannot be recorded, with the reason in words."""


def parse_amount(text: str | None) -> int:
    """Dollars typed in a form (`75`, `75.00`, `$1,200.50`) as cents; FeeError when not a positive amount."""
    cleaned = (text or "").strip().replace("$", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise FeeError(f"{text!r} is not an amount in dollars") from None
    if not value.is_finite() or value <= 0 or value > 100_000:
        raise FeeError(f"{text!r} is not an amount between $0.01 and $100,000")
    return int((value * 100).to_integral_value())


def dollars(cents: int) -> str:
    """An amount in cents as people write it: `$75.00`, `-$50.00`."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def fee_payments_of(session: Session, official_id: int) -> list[FeePayment]:
    """An official's payments and refunds, oldest first."""
    return list(session.scalars(
        select(FeePayment).where(FeePayment.official_id == official_id).order_by(FeePayment.paid_on, FeePayment.id)
    ))


def refunded_cents(session: Session, payment: FeePayment) -> int:
    """How much of a payment was refunded already (a positive number of cents)."""
    total = session.scalar(select(func.sum(FeePayment.amount_cents)).where(FeePayment.refunds_id == payment.id))
    return -int(total or 0)


def record_fee_payment(session: Session, official: Official, *, program: str, purpose: str, amount_cents: int,
                       paid_on: dt.date, actor: str, rulebook: engine.RuleBook, as_of: dt.date,
                       reference: str | None = None, covers_cycle_from: dt.date | None = None,
                       origin: str | None = None) -> FeePayment:
    """Record a fee an official paid, audit it, and refresh their certifications."""
    if program not in rulebook.programs:
        raise FeeError(f"unknown programme {program!r} (known: {', '.join(sorted(rulebook.programs))})")
    if purpose not in PURPOSES:
        raise FeeError(f"unknown fee purpose {purpose!r} (known: {', '.join(PURPOSES)})")
    if amount_cents <= 0:
        raise FeeError("a payment must be more than $0; record a refund to give money back")
    if paid_on > as_of:
        raise FeeError(f"the payment date {paid_on.isoformat()} is in the future")
    payment = FeePayment(
        official_id=official.id, program=program, purpose=purpose, amount_cents=amount_cents, paid_on=paid_on,
        covers_cycle_from=covers_cycle_from, reference=(reference or "").strip() or None, recorded_by=actor,
    )
    session.add(payment)
    session.flush()
    record_audit(session, actor=actor, action="fee.recorded", subject_type="fee_payment", subject_id=payment.id,
                 origin=origin, details={"official_id": official.id, "program": program, "purpose": purpose,
                                         "amount_cents": amount_cents, "paid_on": paid_on.isoformat()})
    refresh_certifications(session, official, rulebook, as_of=as_of, actor=actor)
    return payment


def refund_fee_payment(session: Session, payment: FeePayment, *, reason: str, actor: str,
                       rulebook: engine.RuleBook, as_of: dt.date, amount_cents: int | None = None,
                       refunded_on: dt.date | None = None, origin: str | None = None) -> FeePayment:
    """Give back all or part of a payment as a new negative row naming it, with the reason; refresh
    certifications (a refunded continuing-education fee no longer settles its cycle)."""
    reason = (reason or "").strip()
    if not reason:
        raise FeeError("a refund needs a reason: say why in the reason field")
    if payment.refunds_id is not None or payment.amount_cents <= 0:
        raise FeeError("this row is itself a refund; refund the original payment")
    left = payment.amount_cents - refunded_cents(session, payment)
    amount = left if amount_cents is None else amount_cents
    if amount <= 0 or amount > left:
        raise FeeError(f"at most {dollars(left)} of this payment can still be refunded")
    refund = FeePayment(
        official_id=payment.official_id, program=payment.program, purpose=payment.purpose, amount_cents=-amount,
        paid_on=refunded_on or as_of, covers_cycle_from=payment.covers_cycle_from, reference=reason[:255],
        refunds_id=payment.id, recorded_by=actor,
    )
    session.add(refund)
    session.flush()
    record_audit(session, actor=actor, action="fee.refunded", subject_type="fee_payment", subject_id=refund.id,
                 origin=origin, details={"official_id": payment.official_id, "refunds": payment.id,
                                         "amount_cents": -amount, "reason": reason})
    official = session.get(Official, payment.official_id)
    refresh_certifications(session, official, rulebook, as_of=as_of, actor=actor)
    return refund


def recent_fee_payments(session: Session, *, platform_id: int | None, limit: int = 200) -> list[tuple[FeePayment, Official]]:
    """The latest payments and refunds with their officials, newest first (one platform's unless None)."""
    statement = select(FeePayment, Official).join(Official, Official.id == FeePayment.official_id)
    if platform_id is not None:
        statement = statement.where(Official.platform_id == platform_id)
    rows = session.execute(statement.order_by(FeePayment.paid_on.desc(), FeePayment.id.desc()).limit(limit))
    return [(payment, official) for payment, official in rows]
