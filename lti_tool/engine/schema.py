"""A small checker for the shapes of the YAML rule files.

Each spec checks one value, reports every problem it finds as `path: what is wrong`, and returns the value
converted to its Python form (dates become `datetime.date`, numbers become `float` or `int`). A spec never
stops at the first problem, so one run of `lti-tool rules validate` lists everything that needs fixing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

Report = Callable[[str, str], None]

INVALID = object()
"""Returned by a spec for a value it rejected; records holding it are never built into rules."""


def describe(value: Any) -> str:
    """Say what a rejected value was, briefly, for an error line."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (dt.date, int, float)):
        return str(value)
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def join(path: str, name: str | int) -> str:
    """The path of a child value: `a.b`, `a[3]` or `a[some-id]`."""
    if isinstance(name, int) or name.startswith("["):
        return f"{path}[{name}]" if isinstance(name, int) else f"{path}{name}"
    return f"{path}.{name}" if path else name


class Spec:
    """Checks one value; subclasses say what they expect."""

    expected = "a value"

    def check(self, value: Any, path: str, report: Report) -> Any:
        raise NotImplementedError

    def reject(self, value: Any, path: str, report: Report) -> Any:
        report(path, f"expected {self.expected}, got {describe(value)}")
        return INVALID


@dataclass
class Text(Spec):
    """A non-empty string, optionally one of `choices` or matching `pattern`."""

    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    what: str = "a text"

    def __post_init__(self) -> None:
        if self.choices:
            self.expected = "one of " + ", ".join(self.choices)
        elif self.pattern:
            self.expected = self.what
        else:
            self.expected = "a non-empty text"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if not isinstance(value, str) or not value.strip():
            return self.reject(value, path, report)
        if self.choices and value not in self.choices:
            return self.reject(value, path, report)
        if self.pattern and not re.fullmatch(self.pattern, value):
            return self.reject(value, path, report)
        return value.strip()


SLUG = Text(pattern=r"[a-z0-9]+(?:[-_][a-z0-9]+)*", what="an id of lower-case letters, digits, '-' or '_'")


@dataclass
class Whole(Spec):
    """A whole number at least `minimum`."""

    minimum: int = 0

    def __post_init__(self) -> None:
        self.expected = f"a whole number >= {self.minimum}"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < self.minimum:
            return self.reject(value, path, report)
        return value


@dataclass
class Number(Spec):
    """A number (whole or decimal) at least `minimum`, and at most `maximum` when given."""

    minimum: float = 0
    maximum: float | None = None

    def __post_init__(self) -> None:
        upper = f" and <= {self.maximum:g}" if self.maximum is not None else ""
        self.expected = f"a number >= {self.minimum:g}{upper}"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.reject(value, path, report)
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            return self.reject(value, path, report)
        return float(value)


class Day(Spec):
    """A calendar date written YYYY-MM-DD."""

    expected = "a date YYYY-MM-DD"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if isinstance(value, dt.datetime):
            return self.reject(value, path, report)
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        return self.reject(value, path, report)


class Flag(Spec):
    """true or false."""

    expected = "true or false"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if not isinstance(value, bool):
            return self.reject(value, path, report)
        return value


@dataclass
class ListOf(Spec):
    """A list whose items all pass `item`; items that are mappings with an `id` are named by it in paths."""

    item: Spec
    min_items: int = 0
    unique: bool = False

    def __post_init__(self) -> None:
        self.expected = "a list" if not self.min_items else f"a list of at least {self.min_items}"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if not isinstance(value, list) or len(value) < self.min_items:
            return self.reject(value, path, report)
        result = []
        seen: set[Any] = set()
        for index, entry in enumerate(value):
            label = index
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                label = f"[{entry['id']}]"
            checked = self.item.check(entry, join(path, label), report)
            if self.unique and checked is not INVALID:
                if checked in seen:
                    report(join(path, label), f"{describe(entry)} is listed twice")
                    checked = INVALID
                seen.add(checked)
            result.append(checked)
        return INVALID if any(entry is INVALID for entry in result) else result


@dataclass
class MapOf(Spec):
    """A mapping from keys passing `key` to values passing `value`."""

    key: Spec
    value: Spec
    min_items: int = 0

    def __post_init__(self) -> None:
        self.expected = "a mapping" if not self.min_items else f"a mapping of at least {self.min_items} entries"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if not isinstance(value, dict) or len(value) < self.min_items:
            return self.reject(value, path, report)
        result = {}
        for raw_key, raw_value in value.items():
            key = self.key.check(raw_key, join(path, str(raw_key)), report)
            checked = self.value.check(raw_value, join(path, str(raw_key)), report)
            result[key] = checked
        if INVALID in result or any(entry is INVALID for entry in result.values()):
            return INVALID
        return result


@dataclass
class Field:
    """One field of a record: its spec, whether it must be present, and its value when absent."""

    spec: Spec
    required: bool = True
    default: Any = None


def optional(spec: Spec, default: Any = None) -> Field:
    """A field that may be left out."""
    return Field(spec, required=False, default=default)


@dataclass
class Record(Spec):
    """A mapping with named fields; unknown field names are errors (they are usually typos)."""

    fields: Mapping[str, Field | Spec] = field(default_factory=dict)
    expected: str = "a mapping"

    def check(self, value: Any, path: str, report: Report) -> Any:
        if not isinstance(value, dict):
            return self.reject(value, path, report)
        result: dict[str, Any] = {}
        ok = True
        for name, entry in self.fields.items():
            spec_field = entry if isinstance(entry, Field) else Field(entry)
            if name not in value or value[name] is None and not spec_field.required:
                if spec_field.required:
                    report(join(path, name), "is required")
                    ok = False
                result[name] = spec_field.default
                continue
            checked = spec_field.spec.check(value[name], join(path, name), report)
            ok = ok and checked is not INVALID
            result[name] = checked
        for name in value:
            if name not in self.fields:
                known = ", ".join(self.fields)
                report(join(path, str(name)), f"unknown field (known: {known})")
                ok = False
        return result if ok else INVALID


def check_document(spec: Spec, document: Any, file_label: str, errors: list[str]) -> Any:
    """Check a whole file's content; every problem is appended to `errors` as one line naming the file."""

    def report(path: str, message: str) -> None:
        errors.append(f"{file_label}: {path}: {message}" if path else f"{file_label}: {message}")

    return spec.check(document, "", report)
