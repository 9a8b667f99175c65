"""Public badge pages and documents: anyone can verify a credential without logging in.

Serves the verification page of each credential (HTML, or JSON with `Accept: application/json` or a
`.json` suffix), its downloads (VC-JWT, JSON, baked PNGs), the Open Badges 2.0 hosted documents, the
issuer profiles and achievements, the badge images, the status lists, the badge key set and local copies
of the JSON-LD contexts. Paths are those of `lti_tool.badges.urls.BadgeUrls`.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from flask import Blueprint, Response, abort, render_template, request

from ..badges import achievements, ob2, ob3
from ..badges.contexts import LOCAL_CONTEXT_FILES, UnknownContext, context_text
from ..badges.images import BadgeFace, badge_png, badge_svg, baked_ob2, baked_ob3
from ..badges.statuslist import StatusListProblem
from ..badges.urls import STATUS_PURPOSES
from ..badges.vcjwt import MEDIA_TYPE as VC_JWT_MEDIA_TYPE
from ..badges.vcjwt import parse_timestamp
from ..db import db
from ..engine.dates import long_date
from ..models import Credential, Municipality, Official, utcnow
from ..services import credentials as service

bp = Blueprint("verify", __name__)

JSON_LD = "application/ld+json"
NO_STORE = "no-cache, no-store, must-revalidate"
STATUS_WORDS = {
    "valid": ("Valid", "The credential is genuine, in force and unchanged since it was issued."),
    "expired": ("Expired", "The credential is genuine but its validity period has ended."),
    "suspended": ("Suspended", "The issuer has suspended this credential; it may be reinstated."),
    "revoked": ("Revoked", "The issuer has revoked this credential."),
    "unknown": ("Not confirmed", "The credential's status could not be checked."),
    "invalid": ("Not valid", "The credential cannot be trusted."),
}


# ------------------------------------------------------------------------------------------------ helpers


def _settings() -> service.BadgeSettings:
    return service.BadgeSettings.current()


def _wants_json() -> bool:
    accepted = request.accept_mimetypes
    best = accepted.best_match(["text/html", "application/json", JSON_LD])
    return best in ("application/json", JSON_LD) and accepted[best] > accepted["text/html"]


def _json(document, status: int = 200, *, media_type: str = "application/json", cache: str | None = None,
          download: str | None = None) -> Response:
    response = _file(json.dumps(document, indent=2, ensure_ascii=False) + "\n", media_type, download=download,
                     cache=cache)
    response.status_code = status
    return response


def _file(body: str | bytes, media_type: str, *, download: str | None = None, cache: str | None = None) -> Response:
    """A public file: readable from any origin, offered as a download when `download` names it."""
    response = Response(body, mimetype=media_type)
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    if cache:
        response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _split_suffix(name: str, suffix: str) -> tuple[str, bool]:
    if name.endswith(suffix):
        return name[: -len(suffix)], True
    return name, False


def _credential_or_404(credential_id: str) -> Credential:
    credential = service.credential_by_id(db.session, credential_id)
    if credential is None:
        abort(404, description=f"No credential {credential_id} was issued by this tool.")
    return credential


def _book():
    try:
        return achievements.rulebook(_settings().rules_dir)
    except achievements.RulesError as exc:
        abort(503, description=f"The badge definitions cannot be read right now: {exc.errors[0]}")


def _achievement_or_404(achievement_id: str) -> achievements.AchievementInfo:
    try:
        return achievements.achievement(_book(), achievement_id)
    except achievements.UnknownAchievement as exc:
        abort(404, description=str(exc))


def _issuer_or_404(issuer_id: str) -> achievements.Issuer:
    try:
        return achievements.issuer_info(_book(), issuer_id)
    except achievements.UnknownAchievement as exc:
        abort(404, description=str(exc))


def _public_recipient_name(credential: Credential) -> str:
    """The name a badge shows: never an email address."""
    if credential.municipality_id is not None:
        municipality = db.session.get(Municipality, credential.municipality_id)
        return municipality.name if municipality else "A municipality"
    official = db.session.get(Official, credential.official_id) if credential.official_id else None
    return (official.public_name if official else None) or "The recipient"


def _face_of_credential(credential: Credential) -> BadgeFace:
    """The badge face of a credential's achievement: from the rules, else from the stored credential."""
    achievement = credential.document["credentialSubject"]["achievement"]
    try:
        info = achievements.achievement(achievements.rulebook(_settings().rules_dir), credential.achievement_id)
        return BadgeFace.of(info)
    except (achievements.RulesError, achievements.UnknownAchievement):
        return BadgeFace(achievement.get("humanCode", ""), achievement["name"], "", credential.issuer_id.upper(),
                         credential.issuer_id)


def _date(value: str | None) -> str | None:
    return long_date(parse_timestamp(value).date()) if value else None


# ------------------------------------------------------------------------------------- one credential


@bp.get("/credentials/<credential_id>")
def credential_page(credential_id: str):
    """The verification page of a credential: HTML, or JSON when asked for it."""
    credential_id, json_suffix = _split_suffix(credential_id, ".json")
    credential = _credential_or_404(credential_id)
    settings = _settings()
    now = utcnow()
    result = service.verify_stored_credential(db.session, credential, settings=settings, now=now)
    links = service.badge_links(credential, settings)
    document = credential.document
    subject = document["credentialSubject"]
    recipient_name = _public_recipient_name(credential)
    replaced_by = service.credential_replacing(db.session, credential.id)
    if json_suffix or _wants_json():
        body = {
            **result.as_json(),
            "recipient": {"name": recipient_name},
            "links": asdict(links),
            "replaces": settings.urls.credential(credential.replaces_id) if credential.replaces_id else None,
            "replacedBy": settings.urls.credential(replaced_by.id) if replaced_by else None,
            "checkedAt": now.isoformat(),
        }
        return _json(body, cache=NO_STORE)
    title, explanation = STATUS_WORDS[result.status]
    response = Response(render_template(
        "verify/credential.html",
        credential=credential,
        document=document,
        achievement=subject["achievement"],
        subject=subject,
        recipient_name=recipient_name,
        result=result,
        status_title=title,
        status_explanation=explanation,
        links=links,
        urls=settings.urls,
        valid_from=_date(document.get("validFrom")),
        valid_until=_date(document.get("validUntil")),
        awarded=_date(document.get("awardedDate")),
        activity_start=_date(subject.get("activityStartDate")),
        activity_end=_date(subject.get("activityEndDate")),
        replaced_by=replaced_by,
    ))
    response.headers["Cache-Control"] = NO_STORE
    return response


@bp.get("/credentials/<credential_id>/credential.jwt")
def credential_jwt(credential_id: str):
    """The signed credential (VC-JWT) as a download."""
    credential = _credential_or_404(credential_id)
    return _file(credential.jwt, VC_JWT_MEDIA_TYPE, download=f"credential-{credential.id}.jwt")


@bp.get("/credentials/<credential_id>/credential.json")
def credential_document(credential_id: str):
    """The Open Badges 3.0 credential as JSON-LD (the payload of the VC-JWT)."""
    credential = _credential_or_404(credential_id)
    return _json(credential.document, media_type=JSON_LD, download=f"credential-{credential.id}.json")


def _baked_png(credential: Credential, keyword_text: str, bake, file_name: str) -> Response:
    png = bake(badge_png(_face_of_credential(credential)), keyword_text)
    return _file(png, "image/png", download=file_name if request.args.get("download") else None)


@bp.get("/credentials/<credential_id>/badge.png")
def baked_image(credential_id: str):
    """The badge PNG baked with the hosted Open Badges 2.0 assertion URL."""
    credential = _credential_or_404(credential_id)
    return _baked_png(credential, _settings().urls.ob2_assertion(credential.id), baked_ob2,
                      f"badge-{credential.id}.png")


@bp.get("/credentials/<credential_id>/badge-ob3.png")
def baked_image_ob3(credential_id: str):
    """The badge PNG baked with the Open Badges 3.0 credential (VC-JWT)."""
    credential = _credential_or_404(credential_id)
    return _baked_png(credential, credential.jwt, baked_ob3, f"badge-{credential.id}-ob3.png")


# ----------------------------------------------------------------------------------- Open Badges 2.0


@bp.get("/badges/ob2/assertions/<credential_id>")
def ob2_assertion(credential_id: str):
    """The hosted assertion; 410 with `revoked: true` once revoked or while suspended."""
    credential = _credential_or_404(credential_id)
    urls = _settings().urls
    flags = service.status_flags(credential)
    stopped = flags["revocation"] or flags["suspension"]
    if stopped is not None:
        word = "Revoked" if flags["revocation"] else "Suspended"
        return _json(ob2.revoked_document(credential.id, f"{word}: {stopped.reason}", urls), 410,
                     media_type=JSON_LD, cache=NO_STORE)
    document = ob2.assertion_document(
        credential_id=credential.id, achievement_id=credential.achievement_id, credential=credential.document,
        recipient_identity=credential.recipient_identity, recipient_hashed=credential.recipient_hashed,
        recipient_salt=credential.recipient_salt, urls=urls,
    )
    return _json(document, media_type=JSON_LD, cache=NO_STORE)


@bp.get("/badges/ob2/classes/<achievement_id>")
def ob2_badge_class(achievement_id: str):
    """The BadgeClass of an achievement."""
    info = _achievement_or_404(achievement_id)
    return _json(ob2.badge_class_document(info, _settings().urls), media_type=JSON_LD)


@bp.get("/badges/ob2/issuers/<issuer_id>")
def ob2_issuer(issuer_id: str):
    """The Issuer profile (Open Badges 2.0)."""
    issuer = _issuer_or_404(issuer_id)
    return _json(ob2.issuer_document(issuer, _settings().urls), media_type=JSON_LD)


# ------------------------------------------------------------------- Open Badges 3.0 shared documents


@bp.get("/badges/achievements/<achievement_id>")
def achievement(achievement_id: str):
    """An achievement: its criteria page, or the Achievement JSON-LD when asked for JSON."""
    achievement_id, json_suffix = _split_suffix(achievement_id, ".json")
    info = _achievement_or_404(achievement_id)
    urls = _settings().urls
    if json_suffix or _wants_json():
        return _json(ob3.hosted_achievement(info, urls), media_type=JSON_LD)
    return render_template("verify/achievement.html", info=info, urls=urls)


@bp.get("/badges/issuers/<issuer_id>")
def issuer(issuer_id: str):
    """An issuer's profile page, or its Profile JSON-LD when asked for JSON."""
    issuer_id, json_suffix = _split_suffix(issuer_id, ".json")
    info = _issuer_or_404(issuer_id)
    urls = _settings().urls
    if json_suffix or _wants_json():
        return _json(ob3.hosted_profile(info, urls), media_type=JSON_LD)
    book = _book()
    offered = [achievements.achievement(book, edition_id) for edition_id in sorted(book.editions)]
    offered = [entry for entry in offered if entry.issuer.id == info.id]
    return render_template("verify/issuer.html", issuer=info, achievements=offered, urls=urls)


@bp.get("/badges/frameworks")
def frameworks():
    """The development areas and point categories that badges are aligned to."""
    return render_template("verify/frameworks.html", frameworks=achievements.framework_terms(_book()))


@bp.get("/badges/images/<file_name>")
def image(file_name: str):
    """An achievement's badge image: `<id>.svg` or `<id>.png` (not baked)."""
    achievement_id, is_svg = _split_suffix(file_name, ".svg")
    if not is_svg:
        achievement_id, is_png = _split_suffix(file_name, ".png")
        if not is_png:
            abort(404, description="Badge images are served as <achievement>.svg or <achievement>.png.")
    face = BadgeFace.of(_achievement_or_404(achievement_id))
    if is_svg:
        return _file(badge_svg(face), "image/svg+xml", cache="public, max-age=3600")
    return _file(badge_png(face), "image/png", cache="public, max-age=3600")


# ------------------------------------------------------------------------------ status lists and keys


@bp.get("/badges/status/<issuer_id>/<purpose>")
def status_list(issuer_id: str, purpose: str):
    """An issuer's status list credential: VC-JWT by default, the JSON document with `.json` or Accept."""
    purpose, json_suffix = _split_suffix(purpose, ".json")
    if purpose not in STATUS_PURPOSES:
        abort(404, description=f"Status lists exist for {' and '.join(STATUS_PURPOSES)}, not {purpose!r}.")
    _issuer_or_404(issuer_id)
    settings = _settings()
    now = utcnow()
    try:
        if json_suffix or _wants_json():
            document = service.status_list_document(db.session, issuer_id, purpose, settings=settings, now=now)
            return _json(document, cache=NO_STORE)
        token = service.status_list_jwt(db.session, issuer_id, purpose, settings=settings, now=now)
    except StatusListProblem as exc:
        abort(404, description=str(exc))
    return _file(token, VC_JWT_MEDIA_TYPE, cache=NO_STORE)


@bp.get("/badges/keys.json")
def badge_keys():
    """Every public key badges were signed with, retired ones included."""
    return _json(service.badge_key_set(db.session), cache="public, max-age=300")


@bp.get("/badges/contexts/<file_name>")
def context(file_name: str):
    """A local copy of a JSON-LD context the badges use."""
    try:
        text = context_text(file_name)
    except UnknownContext:
        known = ", ".join(sorted(LOCAL_CONTEXT_FILES.values()))
        abort(404, description=f"No context {file_name!r} here (known: {known}).")
    return _file(text, JSON_LD, cache="public, max-age=86400")
