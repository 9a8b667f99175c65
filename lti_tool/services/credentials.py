"""Issuing and changing verifiable badges: one credential per certification event, revocation and
suspension through the status lists, renewal through continuing education.

Every operation flushes (the request or job commits) and writes the audit log. Documents are built and
signed once, at issuance; status changes never touch the signed credential, only the status lists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import keys
from ..badges import achievements, ob3, statuslist, vcjwt
from ..badges.achievements import AchievementInfo
from ..badges.statuslist import StatusListProblem, status_list_credential
from ..badges.urls import STATUS_PURPOSES, BadgeUrls
from ..badges.verify import VerificationResult, verify_credential_jwt
from ..engine.cycles import first_cycle_start
from ..engine.dates import ONE_DAY, add_years, long_date
from ..models import (
    Certification,
    CertificationStatusChange,
    Completion,
    ContinuingEducationCycle,
    Credential,
    CredentialStatusChange,
    Municipality,
    Official,
    Platform,
    utcnow,
)
from .audit import record_audit
from .completions import build_effective

INDEX_ATTEMPTS = 20
REVOCATION = "revocation"
SUSPENSION = "suspension"


class CredentialError(ValueError):
    """A credential operation that cannot be done, with the reason in words."""


@dataclass(frozen=True)
class BadgeSettings:
    """What issuing and serving badges needs from the configuration."""

    base_url: str
    keys_dir: Path
    rules_dir: Path

    @classmethod
    def from_config(cls, config: Mapping) -> "BadgeSettings":
        """The settings of an app configuration (TOOL_BASE_URL, KEYS_DIR, RULES_DIR)."""
        return cls(str(config["TOOL_BASE_URL"]).rstrip("/"), Path(config["KEYS_DIR"]), Path(config["RULES_DIR"]))

    @classmethod
    def current(cls) -> "BadgeSettings":
        """The settings of the running Flask app."""
        from flask import current_app

        return cls.from_config(current_app.config)

    @property
    def urls(self) -> BadgeUrls:
        return BadgeUrls(self.base_url)


def _settings(settings: BadgeSettings | None) -> BadgeSettings:
    return settings or BadgeSettings.current()


# --------------------------------------------------------------------------------------------- look-ups


def credential_by_id(session: Session, credential_id: str) -> Credential | None:
    """The credential with this id, or None."""
    return session.get(Credential, credential_id)


def credential_for_event(session: Session, event_key: str) -> Credential | None:
    """The credential issued for a certification event, or None."""
    return session.scalars(select(Credential).where(Credential.event_key == event_key)).first()


def _newest_first(session: Session, condition) -> list[Credential]:
    return list(session.scalars(
        select(Credential).where(condition).order_by(Credential.issued_at.desc(), Credential.id)
    ))


def credential_replacing(session: Session, credential_id: str) -> Credential | None:
    """The renewal that follows this credential, or None."""
    return session.scalars(select(Credential).where(Credential.replaces_id == credential_id)).first()


def credentials_for_official(session: Session, official_id: int) -> list[Credential]:
    """An official's credentials, newest first."""
    return _newest_first(session, Credential.official_id == official_id)


def credentials_for_certification(session: Session, certification_id: int) -> list[Credential]:
    """Every credential of a certification (the first award and its renewals), newest first."""
    return _newest_first(session, Credential.certification_id == certification_id)


def credentials_for_municipality(session: Session, municipality_id: int) -> list[Credential]:
    """A municipality's CARES recognitions, newest first."""
    return _newest_first(session, Credential.municipality_id == municipality_id)


def status_flags(credential: Credential) -> dict[str, CredentialStatusChange | None]:
    """The latest status change per purpose (revocation, suspension) that is in force, else None."""
    latest: dict[str, CredentialStatusChange] = {}
    for change in credential.status_changes:
        latest[change.purpose] = change
    return {purpose: (latest[purpose] if purpose in latest and latest[purpose].value else None)
            for purpose in STATUS_PURPOSES}


# ------------------------------------------------------------------------------------------------ issuing


def _recipient_for_official(session: Session, official: Official) -> ob3.Recipient:
    if official.email:
        return ob3.Recipient.for_email(official.email, secrets.token_hex(16))
    platform = session.get(Platform, official.platform_id)
    return ob3.Recipient.for_lms_user(platform.issuer, official.sub)


def _next_status_index(session: Session) -> int:
    """A free-looking position in the status lists, chosen at random while the list is less than half full so
    that a credential's position says nothing about when it was issued (as the Bitstring Status List
    specification advises); then the position after the highest. A taken position is retried by the caller."""
    issued = session.scalar(select(func.count()).select_from(Credential)) or 0
    if issued < statuslist.MINIMUM_ENTRIES // 2:
        return secrets.randbelow(statuslist.MINIMUM_ENTRIES)
    highest = session.scalar(select(func.max(Credential.status_index)))
    return 0 if highest is None else highest + 1


def _sign(session: Session, document: dict, settings: BadgeSettings, now: datetime) -> str:
    key = keys.signing_key(session, settings.keys_dir)
    return vcjwt.sign(document, kid=key.kid, private_key=key.private_key,
                      jwks_url=settings.urls.badge_keys(), issued_at=now)


@dataclass(frozen=True)
class _Subject:
    official_id: int | None
    municipality_id: int | None
    certification_id: int | None
    recipient: ob3.Recipient


def _insert_award(session: Session, *, event_key: str, info: AchievementInfo, subject: _Subject,
                  make_award, replaces_id: str | None, settings: BadgeSettings, now: datetime,
                  actor: str, details: dict) -> Credential:
    """Sign and insert the credential of one event, once; a racing or repeated call gets the same row."""
    existing = credential_for_event(session, event_key)
    if existing is not None:
        return existing
    for _ in range(INDEX_ATTEMPTS):
        status_index = _next_status_index(session)
        credential_id = ob3.new_credential_id()
        award: ob3.Award = make_award(credential_id, status_index)
        document = ob3.credential_document(award, settings.urls)
        row = Credential(
            id=credential_id,
            event_key=event_key,
            achievement_id=info.id,
            issuer_id=info.issuer.id,
            official_id=subject.official_id,
            municipality_id=subject.municipality_id,
            certification_id=subject.certification_id,
            recipient_identity=subject.recipient.identity,
            recipient_salt=subject.recipient.salt,
            recipient_hashed=subject.recipient.hashed,
            status_index=status_index,
            valid_from=award.valid_from,
            valid_until=award.valid_until,
            document=document,
            jwt=_sign(session, document, settings, now),
            issued_at=now,
            replaces_id=replaces_id,
            image_url=settings.urls.image_png(info.id),
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = credential_for_event(session, event_key)
            if existing is not None:
                return existing
            continue  # another credential holds this status index: choose again
        record_audit(session, actor=actor, action="credential.issued", subject_type="credential",
                     subject_id=row.id, details={"event_key": event_key, "achievement_id": info.id,
                                                 "status_index": status_index, **details})
        return row
    raise CredentialError(f"no free status list index after {INDEX_ATTEMPTS} attempts; try again")


def _credited_completions(session: Session, official_id: int, completion_ids: Iterable) -> list:
    wanted = {int(value) for value in completion_ids}
    if not wanted:
        return []
    rows = session.scalars(select(Completion).where(Completion.official_id == official_id))
    return [item for item in build_effective(rows) if item.id in wanted and item.counts]


def _credits(completions: Sequence, event_credits: Mapping[str, float]) -> float:
    total = sum((Decimal(str(event_credits[item.activity_id])) if item.activity_id in event_credits
                 else Decimal(item.hours) for item in completions), Decimal(0))
    return float(total)


def cycle_last_day(starts_on: date, cycle_years: int) -> date:
    """The last day of a continuing-education cycle starting on `starts_on` (cycles end exclusive)."""
    return add_years(starts_on, cycle_years) - ONE_DAY


def _edition(settings: BadgeSettings, edition_id: str):
    book = achievements.rulebook(settings.rules_dir)
    try:
        return book, book.edition(edition_id)
    except KeyError as exc:
        raise CredentialError(str(exc.args[0])) from None


def issue_credential(session: Session, certification: Certification, *, actor: str,
                     credits_earned: float | None = None, valid_until: date | None = None,
                     settings: BadgeSettings | None = None, now: datetime | None = None,
                     occasion: str | None = None) -> Credential:
    """The credential of a certification, issued once (a repeated call returns the same credential).

    `occasion` names a later issue for the same certification (e.g. after a revoked certification was
    reinstated): one credential per occasion.

    `credits_earned` defaults to the credit of the certification's completions; `valid_until` (the last day
    of the continuing-education cycle) defaults to the end of the edition's first cycle, none without one.
    """
    settings = _settings(settings)
    now = now or utcnow()
    event_key = f"certification:{certification.id}" + (f":{occasion}" if occasion else "")
    book, edition = _edition(settings, certification.edition_id)
    info = achievements.edition_achievement(book, edition)
    official = session.get(Official, certification.official_id)
    completions = _credited_completions(session, official.id, certification.completion_ids or [])
    if credits_earned is None:
        credits_earned = _credits(completions, edition.event_credits)
    ce = edition.continuing_education
    if valid_until is None and ce is not None:
        valid_until = cycle_last_day(first_cycle_start(edition, certification.certified_on), ce.cycle_years)
    started = min((item.completed_on for item in completions), default=None)
    subject = _Subject(official.id, None, certification.id, _recipient_for_official(session, official))

    def make_award(credential_id: str, status_index: int) -> ob3.Award:
        return ob3.Award(
            credential_id=credential_id,
            achievement=info,
            recipient=subject.recipient,
            name=info.name,
            description=f"Awarded for completing the {edition.title} programme on "
                        f"{long_date(certification.certified_on)}.",
            valid_from=ob3.day_start(certification.certified_on),
            valid_until=ob3.day_end(valid_until) if valid_until else None,
            awarded_at=now,
            status_index=status_index,
            credits_earned=credits_earned,
            activity_start=started,
            activity_end=certification.certified_on,
        )

    return _insert_award(session, event_key=event_key, info=info, subject=subject, make_award=make_award,
                         replaces_id=None, settings=settings, now=now, actor=actor,
                         details={"certification_id": certification.id, "official_id": official.id})


def renew_credential(session: Session, certification: Certification, cycle: ContinuingEducationCycle, *,
                     actor: str, valid_until: date | None = None, settings: BadgeSettings | None = None,
                     now: datetime | None = None) -> Credential:
    """A fresh credential for a certification kept through a met continuing-education cycle, naming the
    credential it follows; issued once per cycle. `valid_until` defaults to the end of the next cycle."""
    settings = _settings(settings)
    now = now or utcnow()
    if cycle.certification_id != certification.id:
        raise CredentialError(f"cycle {cycle.id} belongs to another certification")
    if cycle.outcome != "met":
        raise CredentialError(f"the cycle {cycle.starts_on}..{cycle.ends_on} was not met ({cycle.outcome}): nothing to renew")
    event_key = f"certification:{certification.id}:cycle:{cycle.starts_on.isoformat()}"
    previous = next(iter(credentials_for_certification(session, certification.id)), None)
    book, edition = _edition(settings, certification.edition_id)
    info = achievements.edition_achievement(book, edition)
    ce = edition.continuing_education
    if valid_until is None:
        # The cycle ends exclusive (as the engine counts it): the next one starts on `ends_on`.
        valid_until = cycle_last_day(cycle.ends_on, ce.cycle_years if ce else 1)
    official = session.get(Official, certification.official_id)
    completions = _credited_completions(session, official.id, cycle.completion_ids or [])
    subject = _Subject(official.id, None, certification.id, _recipient_for_official(session, official))
    follows = f" It follows credential {settings.urls.credential(previous.id)}." if previous else ""

    def make_award(credential_id: str, status_index: int) -> ob3.Award:
        return ob3.Award(
            credential_id=credential_id,
            achievement=info,
            recipient=subject.recipient,
            name=info.name,
            description=(f"{info.name} ({edition.title}) kept through continuing education from "
                         f"{long_date(cycle.starts_on)} to {long_date(cycle.ends_on - ONE_DAY)}.{follows}"),
            valid_from=ob3.day_start(min(cycle.decided_on, now.date())),
            valid_until=ob3.day_end(valid_until),
            awarded_at=now,
            status_index=status_index,
            credits_earned=_credits(completions, {}),
            activity_start=cycle.starts_on,
            activity_end=cycle.ends_on - ONE_DAY,
        )

    return _insert_award(session, event_key=event_key, info=info, subject=subject, make_award=make_award,
                         replaces_id=previous.id if previous else None, settings=settings, now=now, actor=actor,
                         details={"certification_id": certification.id, "cycle_id": cycle.id,
                                  "replaces": previous.id if previous else None})


def issue_cares_recognition(session: Session, municipality: Municipality, *, item_id: str | None,
                            implemented_on: date, actor: str, trained_officials: Sequence[str] = (),
                            settings: BadgeSettings | None = None, now: datetime | None = None) -> Credential:
    """A municipality's CARES in Action recognition for one action item (or all of them when `item_id` is
    None), issued once; `trained_officials` (names) are listed as the officials who attended the trainings."""
    settings = _settings(settings)
    now = now or utcnow()
    event_key = f"cares:{municipality.id}:{item_id or 'all'}"
    book = achievements.rulebook(settings.rules_dir)
    try:
        info = achievements.cares_achievement(book, item_id)
    except achievements.UnknownAchievement as exc:
        raise CredentialError(str(exc)) from None
    cares = book.cares
    if item_id is None:
        sentence = cares.all_items_recognition.format(municipality=municipality.name, count=len(cares.items))
    else:
        item = next(entry for entry in cares.items if entry.id == item_id)
        sentence = cares.item_recognition.format(municipality=municipality.name, number=item.number, item=item.title)
    recipient = ob3.Recipient.for_municipality(municipality.name, municipality.id, settings.base_url)
    subject = _Subject(None, municipality.id, None, recipient)
    evidence = ()
    if trained_officials:
        evidence = ({"type": ["Evidence"], "name": f"{cares.title} trainings",
                     "narrative": "Officials of the municipality who attended the trainings: "
                                  + ", ".join(sorted(set(trained_officials))) + "."},)

    def make_award(credential_id: str, status_index: int) -> ob3.Award:
        return ob3.Award(
            credential_id=credential_id,
            achievement=info,
            recipient=recipient,
            name=sentence,
            description=f"{sentence} (implemented on {long_date(implemented_on)}).",
            valid_from=ob3.day_start(implemented_on),
            valid_until=None,
            awarded_at=now,
            status_index=status_index,
            activity_end=implemented_on,
            evidence=evidence,
        )

    return _insert_award(session, event_key=event_key, info=info, subject=subject, make_award=make_award,
                         replaces_id=None, settings=settings, now=now, actor=actor,
                         details={"municipality_id": municipality.id, "item_id": item_id})


# ------------------------------------------------------------------------------------------ status changes


def _set_status(session: Session, credential: Credential, purpose: str, value: bool, *, reason: str, actor: str,
                details: dict | None = None) -> bool:
    flags = status_flags(credential)
    if (flags[purpose] is not None) == value:
        return False
    if purpose == REVOCATION and not value:
        raise CredentialError("a revocation is final: issue a new credential instead")
    if purpose == SUSPENSION and value and flags[REVOCATION] is not None:
        return False
    change = CredentialStatusChange(credential_id=credential.id, purpose=purpose, value=value, reason=reason,
                                    recorded_by=actor, details=details)
    session.add(change)
    session.flush()
    session.refresh(credential, attribute_names=["status_changes"])
    action = {(REVOCATION, True): "credential.revoked", (SUSPENSION, True): "credential.suspended",
              (SUSPENSION, False): "credential.reinstated"}[(purpose, value)]
    record_audit(session, actor=actor, action=action, subject_type="credential", subject_id=credential.id,
                 details={"reason": reason, "status_index": credential.status_index, **(details or {})})
    return True


def revoke_credential(session: Session, credential: Credential, *, reason: str, actor: str,
                      details: dict | None = None) -> bool:
    """Revoke for good (e.g. a reversed completion broke the certificate); False if it already was."""
    return _set_status(session, credential, REVOCATION, True, reason=reason, actor=actor, details=details)


def suspend_credential(session: Session, credential: Credential, *, reason: str, actor: str,
                       details: dict | None = None) -> bool:
    """Suspend (e.g. a lapsed continuing-education cycle); False if already suspended or revoked."""
    return _set_status(session, credential, SUSPENSION, True, reason=reason, actor=actor, details=details)


def reinstate_credential(session: Session, credential: Credential, *, reason: str, actor: str,
                         details: dict | None = None) -> bool:
    """Lift a suspension; False if the credential was not suspended."""
    return _set_status(session, credential, SUSPENSION, False, reason=reason, actor=actor, details=details)


def follow_certification_status(session: Session, certification: Certification, *, actor: str) -> list[Credential]:
    """Bring a certification's credentials in line with its latest standing: revoked revokes them, lapsed
    suspends them, active lifts a suspension. Returns the credentials that changed."""
    latest = session.scalars(
        select(CertificationStatusChange).where(CertificationStatusChange.certification_id == certification.id)
        .order_by(CertificationStatusChange.id.desc()).limit(1)
    ).first()
    if latest is None:
        return []
    changed = []
    details = {"certification_id": certification.id, "certification_status_change_id": latest.id}
    for credential in credentials_for_certification(session, certification.id):
        if latest.status == "revoked":
            done = revoke_credential(session, credential, reason=latest.reason, actor=actor, details=details)
        elif latest.status == "lapsed":
            done = suspend_credential(session, credential, reason=latest.reason, actor=actor, details=details)
        else:
            done = reinstate_credential(session, credential, reason=latest.reason, actor=actor, details=details)
        if done:
            changed.append(credential)
    return changed


# ---------------------------------------------------------------------------------- status lists and keys


def status_list_document(session: Session, issuer_id: str, purpose: str, *, settings: BadgeSettings | None = None,
                         now: datetime | None = None) -> dict:
    """The issuer's Bitstring Status List credential for `purpose`, computed from the status changes now."""
    settings = _settings(settings)
    if purpose not in STATUS_PURPOSES:
        raise StatusListProblem(f"unknown status purpose {purpose!r}")
    latest_ids = (
        select(func.max(CredentialStatusChange.id))
        .where(CredentialStatusChange.purpose == purpose)
        .group_by(CredentialStatusChange.credential_id)
    )
    set_indexes = session.scalars(
        select(Credential.status_index)
        .join(CredentialStatusChange, CredentialStatusChange.credential_id == Credential.id)
        .where(CredentialStatusChange.id.in_(latest_ids), CredentialStatusChange.value.is_(True),
               Credential.issuer_id == issuer_id)
    ).all()
    highest = session.scalar(select(func.max(Credential.status_index)))
    urls = settings.urls
    return status_list_credential(list_url=urls.status_list(issuer_id, purpose), issuer_id=urls.issuer(issuer_id),
                                  purpose=purpose, set_indexes=set_indexes, highest_index=highest,
                                  now=now or utcnow())


def status_list_jwt(session: Session, issuer_id: str, purpose: str, *, settings: BadgeSettings | None = None,
                    now: datetime | None = None) -> str:
    """The issuer's status list credential for `purpose`, signed as a VC-JWT."""
    settings = _settings(settings)
    now = now or utcnow()
    document = status_list_document(session, issuer_id, purpose, settings=settings, now=now)
    return _sign(session, document, settings, now)


def badge_key_set(session: Session) -> dict:
    """Every public key the tool ever signed with: a badge stays verifiable after its key was rotated."""
    return {"keys": [dict(key.public_jwk) for key in keys.all_keys(session)]}


def verify_stored_credential(session: Session, credential: Credential, *, settings: BadgeSettings | None = None,
                             now: datetime | None = None) -> VerificationResult:
    """Verify a stored credential as any verifier would, with the tool's keys and status lists (no HTTP)."""
    return _stored_credential_verifier(session, _settings(settings), now or utcnow())(credential)


def _stored_credential_verifier(session: Session, settings: BadgeSettings,
                                now: datetime) -> Callable[[Credential], VerificationResult]:
    """Verifies stored credentials one after another, reading the key set and each status list once."""
    key_set = badge_key_set(session)
    list_documents: dict[str, dict] = {}

    def verify(credential: Credential) -> VerificationResult:
        lists = {settings.urls.status_list(credential.issuer_id, purpose): purpose for purpose in STATUS_PURPOSES}

        def fetch(url: str) -> dict:
            if url not in lists:
                raise StatusListProblem(f"{url} is not a status list of this tool")
            if url not in list_documents:
                list_documents[url] = status_list_document(session, credential.issuer_id, lists[url],
                                                           settings=settings, now=now)
            return list_documents[url]

        return verify_credential_jwt(credential.jwt, key_set, fetch, now)

    return verify


# ---------------------------------------------------------------------------------------------------- links


@dataclass(frozen=True)
class BadgeLinks:
    """The public links of one credential, for pages, LMS comments and downloads."""

    verify: str
    verify_json: str
    credential_jwt: str
    credential_json: str
    image: str
    image_ob3: str
    ob2_assertion: str
    linkedin: str


def verification_url(credential: Credential, settings: BadgeSettings | None = None) -> str:
    """The public verification page of a credential (for the LMS grade comment and the progress page)."""
    return _settings(settings).urls.credential(credential.id)


def linkedin_add_url(credential: Credential, settings: BadgeSettings | None = None) -> str:
    """LinkedIn's "add certification" link, prefilled with this credential."""
    settings = _settings(settings)
    document = credential.document
    achievement = document["credentialSubject"]["achievement"]
    issued = credential.valid_from
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": achievement["name"],
        "organizationName": document["issuer"]["name"],
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if credential.valid_until is not None:
        params["expirationYear"] = credential.valid_until.year
        params["expirationMonth"] = credential.valid_until.month
    params["certUrl"] = settings.urls.credential(credential.id)
    params["certId"] = credential.id
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def badge_links(credential: Credential, settings: BadgeSettings | None = None) -> BadgeLinks:
    """Every public link of a credential."""
    settings = _settings(settings)
    urls = settings.urls
    return BadgeLinks(
        verify=urls.credential(credential.id),
        verify_json=urls.credential_json(credential.id),
        credential_jwt=urls.credential_jwt(credential.id),
        credential_json=urls.credential_document(credential.id),
        image=urls.baked_image(credential.id),
        image_ob3=urls.baked_image_ob3(credential.id),
        ob2_assertion=urls.ob2_assertion(credential.id),
        linkedin=linkedin_add_url(credential, settings),
    )


@dataclass(frozen=True)
class BadgeSummary:
    """One badge as an official's progress page lists it."""

    credential_id: str
    name: str
    issuer: str
    issued_on: date
    valid_until: date | None
    status: str
    links: BadgeLinks


def badge_summaries(session: Session, official_id: int, *, settings: BadgeSettings | None = None,
                    now: datetime | None = None) -> list[BadgeSummary]:
    """An official's badges with their verified status and links, newest first."""
    settings = _settings(settings)
    now = now or utcnow()
    verify = _stored_credential_verifier(session, settings, now)
    summaries = []
    for credential in credentials_for_official(session, official_id):
        result = verify(credential)
        summaries.append(BadgeSummary(
            credential_id=credential.id,
            name=credential.document["credentialSubject"]["achievement"]["name"],
            issuer=credential.document["issuer"]["name"],
            issued_on=credential.valid_from.date(),
            valid_until=credential.valid_until.date() if credential.valid_until else None,
            status=result.status,
            links=badge_links(credential, settings),
        ))
    return summaries


__all__ = [
    "BadgeLinks",
    "BadgeSettings",
    "BadgeSummary",
    "CredentialError",
    "badge_key_set",
    "badge_links",
    "badge_summaries",
    "credential_by_id",
    "credential_for_event",
    "credential_replacing",
    "credentials_for_certification",
    "credentials_for_municipality",
    "credentials_for_official",
    "cycle_last_day",
    "follow_certification_status",
    "issue_cares_recognition",
    "issue_credential",
    "linkedin_add_url",
    "reinstate_credential",
    "renew_credential",
    "revoke_credential",
    "status_flags",
    "status_list_document",
    "status_list_jwt",
    "suspend_credential",
    "verification_url",
    "verify_stored_credential",
]
