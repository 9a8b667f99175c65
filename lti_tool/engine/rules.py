"""The rule book: programme editions, the activity catalogue, issuers and CARES, loaded from `rules/`.

Layout of a rules directory:

    issuers.yaml          issuing organisations (CCM, IIMC)
    programs.yaml         programmes (CCMO, CCPL, CMC, MMC, CARES) and who issues them
    catalogue.yaml        development areas, formats, providers, kinds, point categories, activities + sessions
    cares.yaml            CARES in Action: the seven action items, recognitions, the trainings
    editions/<id>.yaml    one file per programme edition, with every number it uses

`load_rulebook()` checks every file against its schema and the references between files, and either
returns a complete `RuleBook` or raises `RulesError` listing every problem, one line each.
"""

from __future__ import annotations

import datetime as dt
import os
import string
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .inputs import FORMAT_EVENT, Completion
from .schema import (
    INVALID,
    SLUG,
    Day,
    Flag,
    ListOf,
    MapOf,
    Number,
    Record,
    Text,
    Whole,
    check_document,
    optional,
)

UNITS = ("hours", "points")
COUNTS_FROM = ("enrollment", "membership", "prerequisite")
CYCLES = ("calendar_year", "after_certification")
REPEATS = ("programme", "year", "completion")


class RulesError(Exception):
    """The rule files are broken; `errors` holds one line per problem (file: field path: what is wrong)."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def default_rules_dir() -> Path:
    """Where the rules live: `$RULES_DIR` if set, else the `rules/` directory of this source tree."""
    configured = os.environ.get("RULES_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "rules"


# ---------------------------------------------------------------------------------------------- rule values


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary (an area, a format, a provider, a kind, a point category)."""

    id: str
    title: str
    short: str


@dataclass(frozen=True)
class Issuer:
    """An organisation that issues certifications."""

    id: str
    name: str
    abbreviation: str
    url: str
    email: str
    description: str


@dataclass(frozen=True)
class Program:
    """A programme (CCMO, CCPL, CMC, MMC, CARES); its editions hold the rules."""

    id: str
    title: str
    abbreviation: str
    issuer_id: str


@dataclass(frozen=True)
class Session:
    """A dated sitting of an activity (one or more days), with its place; format/provider override the activity's."""

    dates: tuple[dt.date, ...]
    place: str
    format: str | None = None
    provider: str | None = None
    time: str | None = None

    @property
    def last_day(self) -> dt.date:
        """The day the session is complete (the last of its days)."""
        return self.dates[-1]


@dataclass(frozen=True)
class Activity:
    """A catalogue entry that can earn credit."""

    id: str
    title: str
    kind: str
    format: str
    provider: str
    areas: tuple[str, ...]
    hours: float | None
    points: float | None
    category: str | None
    passing_score_fraction: float
    counts_once_per: str = "programme"
    aliases: tuple[str, ...] = ()
    description: str | None = None
    sessions: tuple[Session, ...] = ()

    def completion(
        self,
        completion_id: str,
        on: dt.date,
        *,
        hours: float | None = None,
        areas: Iterable[str] | None = None,
        format: str | None = None,
        provider: str | None = None,
        points: float | None = None,
        reversed: bool = False,
    ) -> Completion:
        """A completion of this activity, with the catalogue's values where none are given."""
        return Completion(
            id=completion_id,
            activity_id=self.id,
            date=on,
            hours=self.hours or 0.0 if hours is None else float(hours),
            areas=frozenset(self.areas if areas is None else areas),
            format=format or self.format,
            provider=provider or self.provider,
            kind=self.kind,
            title=self.title,
            category=self.category,
            points=self.points or 0.0 if points is None else float(points),
            counts_once_per=self.counts_once_per,
            reversed=reversed,
        )


@dataclass(frozen=True)
class Catalogue:
    """The activities and the vocabularies they use."""

    areas: tuple[Term, ...]
    formats: Mapping[str, Term]
    providers: Mapping[str, Term]
    kinds: Mapping[str, Term]
    categories: Mapping[str, Term]
    activities: Mapping[str, Activity]
    by_title: Mapping[str, Activity] = field(default_factory=dict, repr=False)

    def find(self, id_or_title: str) -> Activity | None:
        """The activity with this id, title or alias (titles compared without case), or None."""
        key = id_or_title.strip()
        return self.activities.get(key) or self.by_title.get(key.casefold())


@dataclass(frozen=True)
class Filter:
    """Which completions a requirement accepts; an absent list accepts anything."""

    kinds: frozenset[str] | None = None
    formats: frozenset[str] | None = None
    providers: frozenset[str] | None = None
    categories: frozenset[str] | None = None

    def accepts(self, completion: Completion) -> bool:
        """Whether the completion is of the kind, format, provider and category this filter asks for."""
        return (
            (self.kinds is None or completion.kind in self.kinds)
            and (self.formats is None or completion.format in self.formats)
            and (self.providers is None or completion.provider in self.providers)
            and (self.categories is None or completion.category in self.categories)
        )


@dataclass(frozen=True)
class SlotGroup:
    """A minimum number of distinct completions of some sort: workshops in one area, or an attendance.

    Each completion fills at most one slot in all of an edition's groups together.
    """

    id: str
    minimum: int
    one: str
    many: str
    filter: Filter
    area: str | None = None

    def noun(self, count: int | float) -> str:
        """The noun for `count` of these."""
        return self.one if count == 1 else self.many


@dataclass(frozen=True)
class FeeRule:
    """A continuing-education fee: its amount, when it must be paid by, how early it may be paid."""

    amount: float
    due_within_days: int | None
    payable_days_before: int


@dataclass(frozen=True)
class ContinuingEducationRule:
    """How a certification is kept: cycles of a length, hours per cycle, a fee and attendances."""

    cycle: str
    cycle_years: int
    hours: float
    fee: FeeRule | None
    groups: tuple[SlotGroup, ...]


@dataclass(frozen=True)
class Prerequisite:
    """A certification the official must hold on the enrollment date."""

    program: str
    program_title: str


@dataclass(frozen=True)
class Edition:
    """One versioned rule set of a programme; compiled once at load for fast evaluation."""

    id: str
    program: str
    program_title: str
    program_abbreviation: str
    issuer_id: str
    issuer_name: str
    title: str
    applies_from: dt.date
    applies_until: dt.date | None
    unit: str
    window_years: int | None
    counts_from: str
    member_municipality_only: bool
    membership_required: bool
    membership_years: int
    prerequisites: tuple[Prerequisite, ...]
    formats: frozenset[str]
    providers: frozenset[str]
    event_credits: Mapping[str, float]
    required_total: float
    category_minimums: Mapping[str, float]
    groups: tuple[SlotGroup, ...]
    fees: Mapping[str, float]
    continuing_education: ContinuingEducationRule | None
    areas: tuple[Term, ...]
    vocabulary: Catalogue = field(repr=False, compare=False)
    source: str = ""
    # What the programme's badge says about it (composed from the numbers when absent).
    description: str | None = None
    criteria: str | None = None
    _options: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def area_groups(self) -> bool:
        """Whether the edition has per-area minimums."""
        return any(group.area for group in self.groups)

    def applies_to(self, enrolled_on: dt.date) -> bool:
        """Whether a new enrollment on this date starts under this edition."""
        return self.applies_from <= enrolled_on and (self.applies_until is None or enrolled_on <= self.applies_until)

    def area_title(self, area_id: str) -> str:
        """The short name of a development area (`Community`)."""
        for area in self.areas:
            if area.id == area_id:
                return area.short
        return area_id

    def credit_for(self, completion: Completion) -> float | str:
        """The credit this edition gives a completion, or the code of the reason it gives none.

        Reasons: `event_not_counted`, `wrong_format`, `wrong_provider`, `wrong_category`. Dates and repeats
        are judged by the caller, who knows the window and what was counted before.
        """
        credit = self.event_credits.get(completion.activity_id)
        if credit is not None:
            return credit
        if completion.format == FORMAT_EVENT:
            return "event_not_counted"
        if completion.format not in self.formats:
            return "wrong_format"
        if completion.provider not in self.providers:
            return "wrong_provider"
        if self.unit == "points":
            if self.category_minimums and completion.category not in self.category_minimums:
                return "wrong_category"
            return completion.points
        return completion.hours

    def slot_options(self, completion: Completion) -> tuple[int, ...]:
        """Indexes of the slot groups this completion could fill (cached per kind of completion)."""
        key = (completion.activity_id, completion.areas, completion.format, completion.provider, completion.kind,
               completion.category)
        options = self._options.get(key)
        if options is None:
            options = tuple(
                index
                for index, group in enumerate(self.groups)
                if (group.area is None or group.area in completion.areas) and group.filter.accepts(completion)
            )
            if len(self._options) > 50_000:
                self._options.clear()
            self._options[key] = options
        return options


@dataclass(frozen=True)
class CaresItem:
    """One of the CARES action items."""

    number: int
    id: str
    title: str


@dataclass(frozen=True)
class CaresRules:
    """CCM CARES in Action: the items, how recognitions are worded, and which activities are its trainings."""

    program: str
    title: str
    items: tuple[CaresItem, ...]
    item_recognition: str
    all_items_recognition: str
    trainings: frozenset[str]


@dataclass(frozen=True)
class RuleBook:
    """Everything in a rules directory, checked and cross-referenced."""

    root: Path
    issuers: Mapping[str, Issuer]
    programs: Mapping[str, Program]
    catalogue: Catalogue
    editions: Mapping[str, Edition]
    cares: CaresRules

    def edition(self, edition_id: str) -> Edition:
        """The edition with this id; KeyError naming the known ones otherwise."""
        try:
            return self.editions[edition_id]
        except KeyError:
            known = ", ".join(sorted(self.editions))
            raise KeyError(f"unknown edition {edition_id!r} (known: {known})") from None

    def edition_for(self, program: str, enrolled_on: dt.date) -> Edition | None:
        """The edition of `program` that a new enrollment on `enrolled_on` starts under, if any."""
        for edition in self.editions.values():
            if edition.program == program and edition.applies_to(enrolled_on):
                return edition
        return None


# ----------------------------------------------------------------------------------------------- schemas

TERM = Record({"id": SLUG, "title": Text(), "short": optional(Text())})
IDS = ListOf(SLUG, min_items=1, unique=True)
NOUN = Record({"one": Text(), "many": Text()})
FILTER = Record(
    {
        "kinds": optional(IDS),
        "formats": optional(IDS),
        "providers": optional(IDS),
        "categories": optional(IDS),
    }
)
GROUP = Record({"id": SLUG, "noun": NOUN, "minimum": Whole(1), "filter": optional(FILTER, {})})

ISSUERS_FILE = Record(
    {
        "issuers": ListOf(
            Record({"id": SLUG, "name": Text(), "abbreviation": Text(), "url": Text(), "email": Text(),
                    "description": Text()}),
            min_items=1,
        )
    }
)

PROGRAMS_FILE = Record(
    {
        "programs": ListOf(
            Record({"id": SLUG, "title": Text(), "abbreviation": Text(), "issuer": SLUG}),
            min_items=1,
        )
    }
)

SESSION = Record(
    {
        "date": optional(Day()),
        "dates": optional(ListOf(Day(), min_items=1)),
        "place": Text(),
        "time": optional(Text()),
        "format": optional(SLUG),
        "provider": optional(SLUG),
    }
)

ACTIVITY = Record(
    {
        "id": SLUG,
        "title": Text(),
        "aliases": optional(ListOf(Text()), []),
        "kind": SLUG,
        "format": SLUG,
        "provider": SLUG,
        "areas": optional(ListOf(SLUG, unique=True), []),
        "hours": optional(Number(0)),
        "points": optional(Number(0)),
        "category": optional(SLUG),
        "passing_score_fraction": optional(Number(0, 1)),
        "counts_once_per": optional(Text(choices=REPEATS), "programme"),
        "description": optional(Text()),
        "sessions": optional(ListOf(SESSION), []),
    }
)

CATALOGUE_FILE = Record(
    {
        "defaults": Record({"passing_score_fraction": Number(0, 1)}),
        "areas": ListOf(TERM, min_items=1),
        "formats": ListOf(TERM, min_items=1),
        "providers": ListOf(TERM, min_items=1),
        "kinds": ListOf(TERM, min_items=1),
        "categories": optional(ListOf(TERM), []),
        "activities": ListOf(ACTIVITY, min_items=1),
    }
)

CARES_FILE = Record(
    {
        "program": SLUG,
        "title": Text(),
        "action_items": ListOf(Record({"number": Whole(1), "id": SLUG, "title": Text()}), min_items=1),
        "recognitions": Record({"item": Text(), "all_items": Text()}),
        "trainings": IDS,
    }
)

EDITION_FILE = Record(
    {
        "id": SLUG,
        "program": SLUG,
        "title": Text(),
        "description": optional(Text()),
        "criteria": optional(Text()),
        "applies_from": Day(),
        "applies_until": optional(Day()),
        "unit": Text(choices=UNITS),
        "window_years": optional(Whole(1)),
        "counts_from": optional(Text(choices=COUNTS_FROM), "enrollment"),
        "eligibility": optional(
            Record(
                {
                    "member_municipality": optional(Flag(), False),
                    "membership": optional(Record({"min_years": optional(Whole(0), 0)})),
                    "prerequisites": optional(ListOf(Record({"program": SLUG}), min_items=1), []),
                }
            ),
            {"member_municipality": False, "membership": None, "prerequisites": []},
        ),
        "accepts": Record({"formats": IDS, "providers": IDS}),
        "event_credits": optional(MapOf(SLUG, Number(0)), {}),
        "requirements": Record(
            {
                "hours": optional(Number(0)),
                "points": optional(
                    Record({"total": Number(0), "categories": optional(MapOf(SLUG, Number(0)), {})})
                ),
                "area_minimums": optional(
                    Record({"noun": NOUN, "filter": optional(FILTER, {}), "minimum": MapOf(SLUG, Whole(0), 1)})
                ),
                "attendance": optional(ListOf(GROUP), []),
            }
        ),
        "fees": optional(MapOf(SLUG, Number(0)), {}),
        "continuing_education": optional(
            Record(
                {
                    "cycle": Text(choices=CYCLES),
                    "cycle_years": Whole(1),
                    "hours": Number(0),
                    "fee": optional(
                        Record(
                            {
                                "amount": Number(0),
                                "due_within_days": optional(Whole(1)),
                                "payable_days_before": optional(Whole(0), 0),
                            }
                        )
                    ),
                    "attendance": optional(ListOf(GROUP), []),
                }
            )
        ),
    }
)


# ------------------------------------------------------------------------------------------------ loading


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loading that refuses a key written twice in one mapping (the second would silently win)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def file_label(path: Path) -> str:
    """How a rule file is named in error lines: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, errors: list[str]) -> Any:
    label = file_label(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.append(f"{label}: file is missing")
        return INVALID
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(f"{label}: cannot be read ({exc})")
        return INVALID
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        errors.append(f"{label}: {where}not valid YAML ({problem})")
        return INVALID


def _checked(spec: Record, path: Path, errors: list[str]) -> Any:
    document = _read_yaml(path, errors)
    if document is INVALID:
        return INVALID
    return check_document(spec, document, file_label(path), errors)


@dataclass
class _Problems:
    """Cross-reference problems, each tied to a file and a field path."""

    errors: list[str]

    def add(self, path: Path, field_path: str, message: str) -> None:
        self.errors.append(f"{file_label(path)}: {field_path}: {message}")

    def unknown(self, path: Path, field_path: str, what: str, value: str, known: Iterable[str]) -> None:
        self.add(path, field_path, f"unknown {what} {value!r} (known: {', '.join(sorted(known))})")


def rule_files(root: Path) -> dict[str, Path]:
    """The files a rules directory is made of, by role: issuers, programs, catalogue, cares, editions/<id>."""
    files = {name: root / f"{name}.yaml" for name in ("issuers", "programs", "catalogue", "cares")}
    editions_dir = root / "editions"
    if editions_dir.is_dir():
        for path in sorted(editions_dir.glob("*.y*ml")):
            files[f"editions/{path.stem}"] = path
    return files


def load_rulebook(path: Path | str | None = None, replace: Mapping[str, Path] | None = None) -> RuleBook:
    """Load and check a rules directory (default: `default_rules_dir()`), all or nothing.

    `replace` swaps single files by role (e.g. `{"editions/ccmo-new": draft_path}`) so that a draft file can be
    checked against the rest of a rules directory. Raises `RulesError` listing every problem.
    """
    root = Path(path) if path is not None else default_rules_dir()
    if not root.is_dir():
        raise RulesError([f"{file_label(root)}: not a rules directory"])
    files = rule_files(root)
    files.update(replace or {})
    errors: list[str] = []
    issuers_doc = _checked(ISSUERS_FILE, files["issuers"], errors)
    programs_doc = _checked(PROGRAMS_FILE, files["programs"], errors)
    catalogue_doc = _checked(CATALOGUE_FILE, files["catalogue"], errors)
    cares_doc = _checked(CARES_FILE, files["cares"], errors)
    edition_docs = {
        role: _checked(EDITION_FILE, file, errors) for role, file in files.items() if role.startswith("editions/")
    }
    if not edition_docs:
        errors.append(f"{file_label(root / 'editions')}: no edition files (editions/<id>.yaml)")
    if errors:
        raise RulesError(errors)

    problems = _Problems(errors)
    issuers = _build_issuers(issuers_doc, files["issuers"], problems)
    programs = _build_programs(programs_doc, files["programs"], issuers, problems)
    catalogue = _build_catalogue(catalogue_doc, files["catalogue"], problems)
    cares = _build_cares(cares_doc, files["cares"], programs, catalogue, problems)
    editions: dict[str, Edition] = {}
    for role, document in edition_docs.items():
        edition = _build_edition(document, files[role], programs, issuers, catalogue, problems)
        if edition is None:
            continue
        if edition.id in editions:
            problems.add(files[role], "id", f"edition {edition.id!r} is defined twice (also {editions[edition.id].source})")
            continue
        editions[edition.id] = edition
    _check_overlaps(editions, files, problems)
    if errors:
        raise RulesError(errors)
    return RuleBook(root=root, issuers=issuers, programs=programs, catalogue=catalogue, editions=editions, cares=cares)


def _unique_ids(entries: list[dict], path: Path, list_path: str, problems: _Problems) -> dict[str, dict]:
    by_id: dict[str, dict] = {}
    for entry in entries:
        if entry["id"] in by_id:
            problems.add(path, f"{list_path}[{entry['id']}]", "id is used twice")
        by_id[entry["id"]] = entry
    return by_id


def _build_issuers(document: dict, path: Path, problems: _Problems) -> dict[str, Issuer]:
    entries = _unique_ids(document["issuers"], path, "issuers", problems)
    return {key: Issuer(**entry) for key, entry in entries.items()}


def _build_programs(document: dict, path: Path, issuers: Mapping[str, Issuer], problems: _Problems) -> dict[str, Program]:
    programs = {}
    for key, entry in _unique_ids(document["programs"], path, "programs", problems).items():
        if entry["issuer"] not in issuers:
            problems.unknown(path, f"programs[{key}].issuer", "issuer", entry["issuer"], issuers)
        programs[key] = Program(key, entry["title"], entry["abbreviation"], entry["issuer"])
    return programs


def _terms(entries: list[dict], path: Path, list_path: str, problems: _Problems) -> dict[str, Term]:
    return {
        key: Term(key, entry["title"], entry["short"] or entry["title"])
        for key, entry in _unique_ids(entries, path, list_path, problems).items()
    }


def _build_catalogue(document: dict, path: Path, problems: _Problems) -> Catalogue:
    areas = _terms(document["areas"], path, "areas", problems)
    formats = _terms(document["formats"], path, "formats", problems)
    providers = _terms(document["providers"], path, "providers", problems)
    kinds = _terms(document["kinds"], path, "kinds", problems)
    categories = _terms(document["categories"], path, "categories", problems)
    default_fraction = document["defaults"]["passing_score_fraction"]
    activities: dict[str, Activity] = {}
    by_title: dict[str, Activity] = {}
    for entry in document["activities"]:
        key = entry["id"]
        where = f"activities[{key}]"
        if key in activities:
            problems.add(path, where, "id is used twice")
        for name, vocabulary in (("kind", kinds), ("format", formats), ("provider", providers)):
            if entry[name] not in vocabulary:
                problems.unknown(path, f"{where}.{name}", name, entry[name], vocabulary)
        for index, area in enumerate(entry["areas"]):
            if area not in areas:
                problems.unknown(path, f"{where}.areas[{index}]", "area", area, areas)
        if entry["category"] is not None and entry["category"] not in categories:
            problems.unknown(path, f"{where}.category", "category", entry["category"], categories)
        if entry["hours"] is None and entry["points"] is None and entry["format"] != "event":
            problems.add(path, where, "needs hours or points (only events may leave both out)")
        if entry["points"] is not None and entry["category"] is None:
            problems.add(path, f"{where}.category", "is required when the activity earns points")
        sessions = tuple(_build_session(session, path, f"{where}.sessions[{index}]", formats, providers, problems)
                         for index, session in enumerate(entry["sessions"]))
        activity = Activity(
            id=key,
            title=entry["title"],
            kind=entry["kind"],
            format=entry["format"],
            provider=entry["provider"],
            areas=tuple(area for area in areas if area in entry["areas"]),
            hours=entry["hours"],
            points=entry["points"],
            category=entry["category"],
            passing_score_fraction=entry["passing_score_fraction"] if entry["passing_score_fraction"] is not None
            else default_fraction,
            counts_once_per=entry["counts_once_per"],
            aliases=tuple(entry["aliases"]),
            description=entry["description"],
            sessions=tuple(session for session in sessions if session is not None),
        )
        activities[key] = activity
        for name in (activity.title, *activity.aliases):
            other = by_title.get(name.casefold())
            if other is not None and other.id != key:
                problems.add(path, f"{where}.title", f"title or alias {name!r} is also used by {other.id!r}")
            by_title[name.casefold()] = activity
    return Catalogue(
        areas=tuple(areas.values()),
        formats=formats,
        providers=providers,
        kinds=kinds,
        categories=categories,
        activities=activities,
        by_title=by_title,
    )


def _build_session(entry: dict, path: Path, where: str, formats: Mapping, providers: Mapping,
                   problems: _Problems) -> Session | None:
    if (entry["date"] is None) == (entry["dates"] is None):
        problems.add(path, where, "give either date or dates")
        return None
    dates = (entry["date"],) if entry["date"] is not None else tuple(sorted(entry["dates"]))
    if entry["format"] is not None and entry["format"] not in formats:
        problems.unknown(path, f"{where}.format", "format", entry["format"], formats)
    if entry["provider"] is not None and entry["provider"] not in providers:
        problems.unknown(path, f"{where}.provider", "provider", entry["provider"], providers)
    return Session(dates, entry["place"], entry["format"], entry["provider"], entry["time"])


def _template_fields(template: str) -> set[str] | None:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return None


def _build_cares(document: dict, path: Path, programs: Mapping[str, Program], catalogue: Catalogue,
                 problems: _Problems) -> CaresRules:
    if document["program"] not in programs:
        problems.unknown(path, "program", "program", document["program"], programs)
    items = _unique_ids(document["action_items"], path, "action_items", problems)
    numbers = sorted(item["number"] for item in items.values())
    if numbers != list(range(1, len(numbers) + 1)):
        problems.add(path, "action_items", f"numbers must run 1..{len(numbers)} without gaps, got {numbers}")
    allowed = {"item": {"municipality", "number", "item"}, "all_items": {"municipality", "count"}}
    for name, fields in allowed.items():
        used = _template_fields(document["recognitions"][name])
        if used is None or not used <= fields:
            problems.add(path, f"recognitions.{name}", f"may use only {{{'}, {'.join(sorted(fields))}}} as placeholders")
    for index, activity_id in enumerate(document["trainings"]):
        if activity_id not in catalogue.activities:
            problems.add(path, f"trainings[{index}]", f"unknown activity {activity_id!r} (not in the catalogue)")
    return CaresRules(
        program=document["program"],
        title=document["title"],
        items=tuple(sorted((CaresItem(entry["number"], key, entry["title"]) for key, entry in items.items()),
                           key=lambda item: item.number)),
        item_recognition=document["recognitions"]["item"],
        all_items_recognition=document["recognitions"]["all_items"],
        trainings=frozenset(document["trainings"]),
    )


def _build_filter(entry: dict, path: Path, where: str, catalogue: Catalogue, problems: _Problems) -> Filter:
    vocabularies = {
        "kinds": ("kind", catalogue.kinds),
        "formats": ("format", catalogue.formats),
        "providers": ("provider", catalogue.providers),
        "categories": ("category", catalogue.categories),
    }
    values = {}
    for name, (what, vocabulary) in vocabularies.items():
        listed = entry.get(name)
        if listed is None:
            values[name] = None
            continue
        for index, value in enumerate(listed):
            if value not in vocabulary:
                problems.unknown(path, f"{where}.{name}[{index}]", what, value, vocabulary)
        values[name] = frozenset(listed)
    return Filter(**values)


def _build_groups(entries: list[dict], path: Path, where: str, catalogue: Catalogue,
                  problems: _Problems) -> tuple[SlotGroup, ...]:
    groups = []
    for key, entry in _unique_ids(entries, path, where, problems).items():
        groups.append(
            SlotGroup(
                id=f"attendance:{key}",
                minimum=entry["minimum"],
                one=entry["noun"]["one"],
                many=entry["noun"]["many"],
                filter=_build_filter(entry["filter"], path, f"{where}[{key}].filter", catalogue, problems),
            )
        )
    return tuple(groups)


def _build_edition(document: dict, path: Path, programs: Mapping[str, Program], issuers: Mapping[str, Issuer],
                   catalogue: Catalogue, problems: _Problems) -> Edition | None:
    before = len(problems.errors)
    if document["id"] != path.stem:
        problems.add(path, "id", f"must match the file name ({path.stem!r}), got {document['id']!r}")
    program = programs.get(document["program"])
    if program is None:
        problems.unknown(path, "program", "program", document["program"], programs)
    if document["applies_until"] is not None and document["applies_until"] < document["applies_from"]:
        problems.add(path, "applies_until", "is before applies_from")

    accepts = document["accepts"]
    for index, value in enumerate(accepts["formats"]):
        if value not in catalogue.formats:
            problems.unknown(path, f"accepts.formats[{index}]", "format", value, catalogue.formats)
    for index, value in enumerate(accepts["providers"]):
        if value not in catalogue.providers:
            problems.unknown(path, f"accepts.providers[{index}]", "provider", value, catalogue.providers)
    for activity_id in document["event_credits"]:
        activity = catalogue.activities.get(activity_id)
        if activity is None:
            problems.add(path, f"event_credits.{activity_id}", f"unknown activity {activity_id!r} (not in the catalogue)")
        elif activity.format != "event":
            problems.add(path, f"event_credits.{activity_id}", f"{activity.title!r} is not an event (format {activity.format})")

    eligibility = document["eligibility"]
    prerequisites = []
    for index, entry in enumerate(eligibility["prerequisites"]):
        required = programs.get(entry["program"])
        if required is None:
            problems.unknown(path, f"eligibility.prerequisites[{index}].program", "program", entry["program"], programs)
            continue
        prerequisites.append(Prerequisite(required.id, required.abbreviation))
    membership = eligibility["membership"]
    counts_from = document["counts_from"]
    if counts_from == "membership" and membership is None:
        problems.add(path, "counts_from", "is 'membership' but eligibility.membership is not set")
    if counts_from == "prerequisite" and len(eligibility["prerequisites"]) != 1:
        problems.add(path, "counts_from", "is 'prerequisite' but eligibility.prerequisites does not name exactly one")

    requirements = document["requirements"]
    unit = document["unit"]
    category_minimums: dict[str, float] = {}
    required_total = 0.0
    if unit == "hours":
        if requirements["hours"] is None:
            problems.add(path, "requirements.hours", "is required when unit is hours")
        if requirements["points"] is not None:
            problems.add(path, "requirements.points", "is for editions whose unit is points")
        required_total = requirements["hours"] or 0.0
    else:
        if requirements["points"] is None:
            problems.add(path, "requirements.points", "is required when unit is points")
        else:
            required_total = requirements["points"]["total"]
            category_minimums = requirements["points"]["categories"]
            for category in category_minimums:
                if category not in catalogue.categories:
                    problems.unknown(path, f"requirements.points.categories.{category}", "category", category,
                                     catalogue.categories)
        if requirements["hours"] is not None:
            problems.add(path, "requirements.hours", "is for editions whose unit is hours")

    groups: list[SlotGroup] = []
    area_minimums = requirements["area_minimums"]
    if area_minimums is not None:
        area_filter = _build_filter(area_minimums["filter"], path, "requirements.area_minimums.filter", catalogue,
                                    problems)
        for area_id, minimum in area_minimums["minimum"].items():
            if area_id not in {area.id for area in catalogue.areas}:
                problems.unknown(path, f"requirements.area_minimums.minimum.{area_id}", "area", area_id,
                                 (area.id for area in catalogue.areas))
            elif minimum > 0:
                noun = area_minimums["noun"]
                groups.append(SlotGroup(f"area:{area_id}", minimum, noun["one"], noun["many"], area_filter, area_id))
    groups.extend(_build_groups(requirements["attendance"], path, "requirements.attendance", catalogue, problems))

    continuing = None
    ce = document["continuing_education"]
    if ce is not None:
        if unit != "hours":
            problems.add(path, "continuing_education", "is supported for editions whose unit is hours")
        fee = ce["fee"]
        continuing = ContinuingEducationRule(
            cycle=ce["cycle"],
            cycle_years=ce["cycle_years"],
            hours=ce["hours"],
            fee=FeeRule(fee["amount"], fee["due_within_days"], fee["payable_days_before"]) if fee else None,
            groups=_build_groups(ce["attendance"], path, "continuing_education.attendance", catalogue, problems),
        )
    if program is None or program.issuer_id not in issuers or len(problems.errors) > before:
        return None
    return Edition(
        id=document["id"],
        program=program.id,
        program_title=program.title,
        program_abbreviation=program.abbreviation,
        issuer_id=program.issuer_id,
        issuer_name=issuers[program.issuer_id].abbreviation,
        title=document["title"],
        applies_from=document["applies_from"],
        applies_until=document["applies_until"],
        unit=unit,
        window_years=document["window_years"],
        counts_from=counts_from,
        member_municipality_only=eligibility["member_municipality"],
        membership_required=membership is not None,
        membership_years=membership["min_years"] if membership else 0,
        prerequisites=tuple(prerequisites),
        formats=frozenset(accepts["formats"]),
        providers=frozenset(accepts["providers"]),
        event_credits=dict(document["event_credits"]),
        required_total=required_total,
        category_minimums=dict(category_minimums),
        groups=tuple(groups),
        fees=dict(document["fees"]),
        continuing_education=continuing,
        areas=catalogue.areas,
        vocabulary=catalogue,
        source=file_label(path),
        description=document["description"],
        criteria=document["criteria"],
    )


def _check_overlaps(editions: Mapping[str, Edition], files: Mapping[str, Path], problems: _Problems) -> None:
    far_future = dt.date.max
    ordered = sorted(editions.values(), key=lambda edition: (edition.program, edition.applies_from))
    for earlier, later in zip(ordered, ordered[1:]):
        if earlier.program != later.program:
            continue
        if (earlier.applies_until or far_future) >= later.applies_from:
            problems.add(
                files[f"editions/{later.id}"] if f"editions/{later.id}" in files else Path(later.source),
                "applies_from",
                f"overlaps {earlier.id} (a new {later.program} enrollment on {later.applies_from} would match both)",
            )
