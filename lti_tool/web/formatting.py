"""Jinja filters for the pages: dates, credit amounts, days left, money and status words.

`register_formatting(app)` adds them; the learner and admin blueprints call it when they are registered.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask

from ..engine.dates import long_date as _long_date
from ..engine.evaluate import amount as _amount
from ..services.fees import dollars

STATUS_WORDS = {
    "in_progress": "In progress",
    "complete": "Complete",
    "expired": "Window closed before completion",
    "not_eligible": "Not eligible yet",
    "current": "Current",
    "due": "Fee due",
    "met": "Met",
    "lapsed": "Lapsed",
    "active": "Held",
    "revoked": "Revoked",
    "at_risk": "At risk",
}


def long_date(day: dt.date | dt.datetime | None) -> str:
    """`14 March 2027`; an empty string for no date."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.date()
    return _long_date(day)


def credit(value: float | Decimal | None) -> str:
    """A credit amount for people: `3`, `1.5`."""
    if value is None:
        return ""
    return _amount(float(value))


def days_left(day: dt.date | None, today: dt.date | None = None) -> str:
    """How far `day` is from today in words: `in 12 days`, `today`, `3 days ago`."""
    if day is None:
        return ""
    if today is None:
        from ..rulebook import today as tool_today

        today = tool_today()
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


def status_words(status: str | None) -> str:
    """A status code in plain words."""
    return STATUS_WORDS.get(status or "", (status or "").replace("_", " ").capitalize())


def sentence(text: str | None) -> str:
    """Text with its first letter in capitals and the rest as it was (`ccmo` stays `CCMO` inside)."""
    text = text or ""
    return text[:1].upper() + text[1:]


def percent(done: float, required: float) -> int:
    """How much of `required` is done, 0–100."""
    if not required:
        return 100
    return max(0, min(100, int(round(100 * float(done) / float(required)))))


def register_formatting(app: Flask) -> None:
    """Add the page filters to the app's templates (safe to call more than once)."""
    app.jinja_env.filters.update(
        long_date=long_date, credit=credit, days_left=days_left, status_words=status_words, dollars=dollars, sentence=sentence,
    )
    app.jinja_env.globals.update(percent=percent)
