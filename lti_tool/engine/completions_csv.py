"""Reading completions from CSV: `date,activity,hours,areas,format,provider`.

`activity` is a catalogue id, title or alias. Empty `hours`, `areas`, `format` or `provider` take the
catalogue's values. Optional extra columns: `id` (default `line-N`), `reversed` (yes/no) and `points`.
Every problem is reported as `CompletionsError` naming the line.
"""

from __future__ import annotations

import csv
import io
from .dates import parse_day
from .inputs import Completion
from .rules import Catalogue

COLUMNS = ("date", "activity", "hours", "areas", "format", "provider")
OPTIONAL_COLUMNS = ("id", "reversed", "points")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


class CompletionsError(ValueError):
    """A completions file that cannot be read; the message names the line and what is wrong."""


def read_completions(text: str, catalogue: Catalogue) -> list[Completion]:
    """The completions in a CSV text, with catalogue values filled in."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(rows, None)
    if header is None:
        raise CompletionsError("line 1: the file is empty (expected the header " + ",".join(COLUMNS) + ")")
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in COLUMNS if column not in names]
    unknown = [name for name in names if name not in COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        detail = f"missing {', '.join(missing)}" if missing else f"unknown column {', '.join(unknown)}"
        raise CompletionsError(f"line {rows.line_num}: header must be {','.join(COLUMNS)} ({detail})")
    completions = []
    ids: set[str] = set()
    for cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        line = rows.line_num
        if len(cells) != len(names):
            raise CompletionsError(f"line {line}: expected {len(names)} fields, got {len(cells)}")
        record = dict(zip(names, (cell.strip() for cell in cells)))
        completion = _completion(record, line, catalogue)
        if completion.id in ids:
            raise CompletionsError(f"line {line}: id {completion.id!r} is used twice")
        ids.add(completion.id)
        completions.append(completion)
    return completions


def _completion(record: dict[str, str], line: int, catalogue: Catalogue) -> Completion:
    def fail(message: str) -> CompletionsError:
        return CompletionsError(f"line {line}: {message}")

    try:
        day = parse_day(record["date"])
    except ValueError as exc:
        raise fail(f"date {exc}") from None
    activity = catalogue.find(record["activity"]) if record["activity"] else None
    if activity is None:
        raise fail(f"unknown activity {record['activity']!r} (use a catalogue id or title)")
    hours = _number(record["hours"], "hours", fail)
    points = _number(record.get("points", ""), "points", fail)
    areas = [area.strip() for area in record["areas"].split(";") if area.strip()] if record["areas"] else None
    known_areas = [area.id for area in catalogue.areas]
    for area in areas or ():
        if area not in known_areas:
            raise fail(f"unknown area {area!r} (known: {', '.join(known_areas)})")
    for column, vocabulary in (("format", catalogue.formats), ("provider", catalogue.providers)):
        if record[column] and record[column] not in vocabulary:
            raise fail(f"unknown {column} {record[column]!r} (known: {', '.join(vocabulary)})")
    reversed_text = record.get("reversed", "").lower()
    if reversed_text not in YES | NO:
        raise fail(f"reversed must be yes or no, got {record['reversed']!r}")
    return activity.completion(
        record.get("id") or f"line-{line}",
        day,
        hours=hours,
        areas=areas,
        format=record["format"] or None,
        provider=record["provider"] or None,
        points=points,
        reversed=reversed_text in YES,
    )


def _number(text: str, column: str, fail) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise fail(f"{column} must be a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise fail(f"{column} must be a number >= 0, got {text!r}")
    return value

