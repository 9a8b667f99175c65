"""Calendar arithmetic and the way dates are written for people."""

from __future__ import annotations

import datetime as dt

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

ONE_DAY = dt.timedelta(days=1)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February becomes 1 March in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def long_date(day: dt.date) -> str:
    """A date as officials read it: `14 March 2027`."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def iso(day: dt.date | None) -> str | None:
    """A date as YYYY-MM-DD for JSON, or None."""
    return day.isoformat() if day is not None else None


def parse_day(text: str) -> dt.date:
    """Read a YYYY-MM-DD date; raises ValueError with a plain message otherwise."""
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD") from None
