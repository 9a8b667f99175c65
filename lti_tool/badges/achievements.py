"""What each badge stands for, read from the rule book: programmes (one achievement per edition) and the
CARES in Action recognitions, with their issuer, criteria, credits, alignments and the words on the image.

Rule files are the only source of names and numbers; where a field the badge wants is not in them
(a badge description, a criteria narrative), the text is composed from the edition's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.rules import Edition, Issuer, RuleBook, RulesError
from ..rulebook import rulebook_for

CARES_ALL = "cares-all"
CARES_ITEM_PREFIX = "cares-"


class UnknownAchievement(LookupError):
    """An achievement id that names no edition and no CARES recognition."""


@dataclass(frozen=True)
class AlignmentTarget:
    """A development area (or point category) an achievement is aligned to."""

    code: str
    name: str
    framework: str


@dataclass(frozen=True)
class AchievementInfo:
    """Everything a badge says about what was achieved."""

    id: str
    name: str
    description: str
    criteria: str
    achievement_type: str
    abbreviation: str
    level: str
    issuer: Issuer
    credits_available: float | None
    credit_unit: str | None
    alignments: tuple[AlignmentTarget, ...]
    program: str


# ------------------------------------------------------------------------------------------ the rule book


def rulebook(rules_dir: Path | str) -> RuleBook:
    """The rule book of `rules_dir` (the process-wide cache of lti_tool.rulebook)."""
    return rulebook_for(rules_dir)


# ------------------------------------------------------------------------------------------- achievements


def issuer_info(book: RuleBook, issuer_id: str) -> Issuer:
    """The issuer `issuer_id` of the rule book."""
    try:
        return book.issuers[issuer_id]
    except KeyError:
        raise UnknownAchievement(f"unknown issuer {issuer_id!r} (known: {', '.join(sorted(book.issuers))})") from None


def _number(value: float) -> str:
    return f"{value:g}"


def _program_levels(book: RuleBook) -> dict[str, int]:
    """Each programme's level: 1, or one more than the highest programme it requires."""
    requires: dict[str, set[str]] = {}
    for edition in book.editions.values():
        requires.setdefault(edition.program, set()).update(p.program for p in edition.prerequisites)
    levels: dict[str, int] = {}

    def level(program: str, seen: frozenset[str]) -> int:
        if program in levels:
            return levels[program]
        before = [level(other, seen | {program}) for other in requires.get(program, ()) if other not in seen]
        levels[program] = 1 + max(before, default=0)
        return levels[program]

    for program in requires:
        level(program, frozenset())
    return levels


def _area_title(edition: Edition, area_id: str) -> str:
    return next((area.title for area in edition.areas if area.id == area_id), area_id)


def _composed_criteria(edition: Edition) -> str:
    """A criteria narrative built from the edition's numbers, for when the rules give none."""
    unit = "credit hours" if edition.unit == "hours" else "points"
    sentences = []
    total = f"Earn {_number(edition.required_total)} {unit}"
    if edition.window_years:
        total += f" within {edition.window_years} years of enrollment"
    sentences.append(total + ".")
    if edition.category_minimums:
        parts = [
            f"{_number(minimum)} {edition.vocabulary.categories[category].title}"
            if category in edition.vocabulary.categories else f"{_number(minimum)} {category}"
            for category, minimum in edition.category_minimums.items()
        ]
        sentences.append("Including at least " + ", ".join(parts) + " points.")
    for group in edition.groups:
        where = f" in the {_area_title(edition, group.area)} area" if group.area else ""
        sentences.append(f"At least {group.minimum} {group.noun(group.minimum)}{where}.")
    if edition.prerequisites:
        held = ", ".join(p.program_title for p in edition.prerequisites)
        sentences.append(f"Hold {held} when enrolling.")
    if edition.member_municipality_only:
        sentences.append("Open to officials and staff of member municipalities.")
    if edition.membership_required and edition.membership_years:
        sentences.append(f"Designation granted after {edition.membership_years} years of membership.")
    ce = edition.continuing_education
    if ce is not None:
        every = "each calendar year" if ce.cycle == "calendar_year" else f"every {ce.cycle_years} years"
        sentences.append(f"Kept by completing {_number(ce.hours)} credit hours of continuing education {every}.")
    return " ".join(sentences)


def _edition_alignments(edition: Edition) -> tuple[AlignmentTarget, ...]:
    if edition.unit == "points":
        categories = edition.vocabulary.categories
        return tuple(
            AlignmentTarget(category, categories[category].title if category in categories else category,
                            "Point categories")
            for category in edition.category_minimums
        )
    return tuple(AlignmentTarget(area.id, area.title, "Development areas") for area in edition.areas)


def edition_achievement(book: RuleBook, edition: Edition) -> AchievementInfo:
    """The achievement of completing one programme edition."""
    program = book.programs[edition.program]
    description = edition.description or (
        f"Awarded by {book.issuers[program.issuer_id].name} to an official who completed the "
        f"{edition.title} programme."
    )
    criteria = edition.criteria or _composed_criteria(edition)
    level = _program_levels(book).get(edition.program, 1)
    return AchievementInfo(
        id=edition.id,
        name=program.title,
        description=" ".join(description.split()),
        criteria=" ".join(criteria.split()),
        achievement_type="Certification",
        abbreviation=program.abbreviation,
        level=f"Level {level}",
        issuer=issuer_info(book, program.issuer_id),
        credits_available=float(edition.required_total),
        credit_unit=edition.unit,
        alignments=_edition_alignments(edition),
        program=edition.program,
    )


def cares_achievement(book: RuleBook, item_id: str | None) -> AchievementInfo:
    """The CARES in Action recognition of one action item, or of all of them (`item_id` None)."""
    cares = book.cares
    program = book.programs[cares.program]
    if item_id is None:
        achievement_id = CARES_ALL
        name = f"{cares.title}: all {len(cares.items)} action items"
        description = f"Recognises a municipality that has implemented all {len(cares.items)} {cares.title} action items."
        criteria = "Every action item implemented, each with its date, evidence and the CCM reviewer who confirmed it: " + "; ".join(
            f"({item.number}) {item.title}" for item in cares.items
        ) + "."
    else:
        item = next((entry for entry in cares.items if entry.id == item_id), None)
        if item is None:
            known = ", ".join(entry.id for entry in cares.items)
            raise UnknownAchievement(f"unknown CARES action item {item_id!r} (known: {known})")
        achievement_id = CARES_ITEM_PREFIX + item.id
        name = f"{cares.title}: action item {item.number}"
        description = f"Recognises a municipality that has implemented {cares.title} action item {item.number}: {item.title}."
        criteria = (f"Action item {item.number} ({item.title}) implemented, with its date, evidence and the "
                    "CCM reviewer who confirmed it.")
    return AchievementInfo(
        id=achievement_id,
        name=name,
        description=" ".join(description.split()),
        criteria=" ".join(criteria.split()),
        achievement_type="Award",
        abbreviation=program.abbreviation,
        level="Municipal recognition" if item_id is None else f"Action item {item.number}",
        issuer=issuer_info(book, program.issuer_id),
        credits_available=None,
        credit_unit=None,
        alignments=(),
        program=cares.program,
    )


def achievement(book: RuleBook, achievement_id: str) -> AchievementInfo:
    """The achievement with this id: an edition id, `cares-all`, or `cares-<action item id>`."""
    if achievement_id in book.editions:
        return edition_achievement(book, book.editions[achievement_id])
    if achievement_id == CARES_ALL:
        return cares_achievement(book, None)
    if achievement_id.startswith(CARES_ITEM_PREFIX):
        return cares_achievement(book, achievement_id[len(CARES_ITEM_PREFIX):])
    raise UnknownAchievement(f"no badge is issued for {achievement_id!r}")


def framework_terms(book: RuleBook) -> dict[str, list[Any]]:
    """The alignment targets that badges point at: development areas and point categories."""
    return {
        "Development areas": list(book.catalogue.areas),
        "Point categories": list(book.catalogue.categories.values()),
    }


__all__ = [
    "AchievementInfo",
    "AlignmentTarget",
    "Issuer",
    "RulesError",
    "UnknownAchievement",
    "achievement",
    "cares_achievement",
    "edition_achievement",
    "framework_terms",
    "issuer_info",
    "rulebook",
]
