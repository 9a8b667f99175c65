"""Charts drawn on the server as inline SVG (no script, no external library, no inline styles: the look comes
from classes in site.css)."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from markupsafe import Markup, escape

from ..engine.dates import long_date
from ..engine.evaluate import amount

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


def _nice_ceiling(value: float) -> float:
    for step in (1, 2, 3, 5, 6, 9, 10, 12, 15, 18, 20, 24, 30, 36, 40, 50, 60, 80, 100, 120, 150, 200, 250, 500):
        if value <= step:
            return float(step)
    return float(int(value / 100 + 1) * 100)


def cumulative(points: Sequence[tuple[dt.date, float]]) -> list[tuple[dt.date, float]]:
    """Running totals of (day, credit) pairs, one point per day, in date order."""
    totals: dict[dt.date, float] = {}
    running = 0.0
    for day, credit in sorted(points, key=lambda pair: pair[0]):
        running += credit
        totals[day] = running
    return sorted(totals.items())


def credit_over_time(chart_id: str, points: Sequence[tuple[dt.date, float]], *, start: dt.date,
                     end: dt.date | None, required: float, unit: str, today: dt.date) -> Markup:
    """A step chart of credit earned over the window [start, end) against the requirement, with today marked.

    `points` are (day, credit) of the counted completions; `end` is the exclusive deadline (None: open-ended).
    """
    steps = cumulative(points)
    last_day = (end - dt.timedelta(days=1)) if end else max([today, *(day for day, _ in steps)])
    if last_day <= start:
        last_day = start + dt.timedelta(days=1)
    span = (last_day - start).days
    total = steps[-1][1] if steps else 0.0
    top = _nice_ceiling(max(required, total, 1.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        clamped = min(max(day, start), last_day)
        return round(LEFT + plot_w * (clamped - start).days / span, 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    parts = []
    for index in range(5):
        value = top * index / 4
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value)}" y2="{y(value)}"/>')
        parts.append(f'<text class="chart-label" x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end">'
                     f'{amount(value)}</text>')
    parts.append(f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0)}" y2="{y(0)}"/>')
    parts.append(f'<text class="chart-label" x="{LEFT}" y="{HEIGHT - 14}" text-anchor="start">'
                 f'{escape(long_date(start))}</text>')
    parts.append(f'<text class="chart-label" x="{WIDTH - RIGHT}" y="{HEIGHT - 14}" text-anchor="end">'
                 f'{escape(long_date(last_day))}</text>')
    if required:
        parts.append(f'<line class="chart-target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(required)}" '
                     f'y2="{y(required)}"/>')
        parts.append(f'<text class="chart-label" x="{WIDTH - RIGHT}" y="{y(required) - 6}" text-anchor="end">'
                     f'{amount(required)} {escape(unit)} required</text>')
    if start <= today <= last_day:
        parts.append(f'<line class="chart-today" x1="{x(today)}" x2="{x(today)}" y1="{TOP}" y2="{y(0)}"/>')
        parts.append(f'<text class="chart-label" x="{x(today)}" y="{TOP + 10}" text-anchor="middle">today</text>')
    path = [f"M{x(start)},{y(0)}"]
    level = 0.0
    for day, value in steps:
        if day < start or day > last_day:
            continue
        path.append(f"H{x(day)}V{y(value)}")
        level = value
    path.append(f"H{x(min(today, last_day))}")
    parts.append(f'<path class="chart-line" d="{"".join(path)}"/>')
    for day, value in steps:
        if start <= day <= last_day:
            parts.append(f'<circle class="chart-point" cx="{x(day)}" cy="{y(value)}" r="3"/>')

    title = f"{amount(level)} of {amount(required)} {unit} earned"
    description = (f"Credit earned from {long_date(start)} to {long_date(last_day)}, the last day of the window: "
                   f"{amount(level)} {unit} by {long_date(min(today, last_day))}, "
                   f"{amount(required)} {unit} required.")
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(parts) + "</svg>"
    )
