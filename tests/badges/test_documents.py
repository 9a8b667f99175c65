"""The documents against the Open Badges data models: required properties and terms of the local contexts."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from lti_tool.badges import achievements, ob2, ob3
from lti_tool.badges.contexts import OB_V2_CONTEXT, OB_V3_CONTEXT, VC_V2_CONTEXT, load_context
from lti_tool.badges.urls import BadgeUrls
from lti_tool.config import PROJECT_ROOT

URLS = BadgeUrls("https://badges.example.org")
NOW = datetime(2025, 7, 1, tzinfo=timezone.utc)
# Terms the W3C VC Data Model 2.0 context defines (the only ones not in the Open Badges 3.0 context).
VC_CORE_TERMS = {"@context", "id", "type", "issuer", "validFrom", "validUntil", "credentialSubject",
                 "credentialStatus", "name", "description", "evidence", "credentialSchema", "statusPurpose",
                 "statusListIndex", "statusListCredential"}


@pytest.fixture(scope="module")
def book():
    return achievements.rulebook(PROJECT_ROOT / "rules")


def _credential(info, recipient=None, **changes) -> dict:
    award = ob3.Award(
        credential_id="c-7", achievement=info,
        recipient=recipient or ob3.Recipient.for_email("Ada@Example.org ", "s4lt"),
        name=info.name, description="d", valid_from=NOW, valid_until=None, awarded_at=NOW, status_index=3,
        credits_earned=36.0, activity_start=date(2024, 1, 2), activity_end=date(2025, 6, 10), **changes,
    )
    return ob3.credential_document(award, URLS)


@pytest.mark.parametrize("achievement_id", ["ccmo-academy", "ccmo-classic", "ccpl-academy", "iimc-cmc", "iimc-mmc",
                                            "cares-all", "cares-resolution"])
def test_every_badge_the_rules_define_meets_the_open_badges_3_data_model(book, achievement_id):
    document = _credential(achievements.achievement(book, achievement_id))
    assert ob3.structure_problems(document) == []
    assert document["@context"] == [VC_V2_CONTEXT, OB_V3_CONTEXT]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


def test_the_achievement_carries_programme_criteria_credits_and_one_alignment_per_area(book):
    achievement = _credential(achievements.achievement(book, "ccmo-classic"))["credentialSubject"]["achievement"]
    assert achievement["name"] == "Certified Connecticut Municipal Official"
    assert achievement["achievementType"] == "Certification"
    assert achievement["creditsAvailable"] == 36.0
    assert "36 credit hours" in achievement["criteria"]["narrative"]
    assert "2 workshops in the Community Development area" in achievement["criteria"]["narrative"]
    assert [(a["targetCode"], a["targetName"]) for a in achievement["alignment"]] == [
        ("personal", "Personal Development"), ("organizational", "Organizational Development"),
        ("community", "Community Development")]


def test_the_subject_is_a_salted_email_hash_never_the_email(book):
    document = _credential(achievements.achievement(book, "ccpl-academy"))
    identifier = document["credentialSubject"]["identifier"][0]
    assert identifier["identityType"] == "emailAddress" and identifier["hashed"] is True
    assert identifier["identityHash"] == ob3.Recipient.for_email("ada@example.org", "s4lt").identity
    assert ob3.email_matches(identifier["identityHash"], identifier["salt"], "ADA@example.org")
    assert not ob3.email_matches(identifier["identityHash"], identifier["salt"], "eve@example.org")
    assert "ada@" not in str(document).lower()


def test_without_email_the_subject_is_the_lms_identity(book):
    recipient = ob3.Recipient.for_lms_user("https://moodle.example.org", "4")
    document = _credential(achievements.achievement(book, "iimc-cmc"), recipient)
    identifiers = {entry["identityType"]: entry for entry in document["credentialSubject"]["identifier"]}
    assert identifiers["ltiUserId"]["identityHash"] == "4"
    assert identifiers["ltiPlatformId"]["identityHash"] == "https://moodle.example.org"
    assert not any(entry["hashed"] for entry in identifiers.values())
    assert ob3.structure_problems(document) == []


def test_missing_required_properties_are_each_named(book):
    document = _credential(achievements.achievement(book, "ccmo-classic"))
    del document["validFrom"]
    del document["credentialSubject"]["achievement"]["criteria"]
    document["credentialSubject"]["identifier"][0]["identityHash"] = "plain@example.org"
    document["credentialStatus"][0]["statusListIndex"] = 5
    problems = ob3.structure_problems(document)
    assert "credential.validFrom: is required" in problems
    assert any(p.startswith("credential.credentialSubject.achievement.criteria:") for p in problems)
    assert any("identityHash" in p and "sha256$" in p for p in problems)
    assert any("statusListIndex" in p for p in problems)


def _used_terms(node, scope: str, found: dict) -> None:
    """Collect the property names of each node under its type (the scope of type-scoped contexts)."""
    if isinstance(node, dict):
        types = node.get("type")
        scope = (types[0] if isinstance(types, list) else types) if types else scope
        for name, value in node.items():
            found.setdefault(scope, set()).add(name)
            _used_terms(value, name, found)
    elif isinstance(node, list):
        for item in node:
            _used_terms(item, scope, found)


def test_every_term_is_defined_by_the_open_badges_3_context_or_the_vc_core(book):
    context = load_context(OB_V3_CONTEXT)["@context"]
    top_level = {name for name in context if not name.startswith("@")}
    document = _credential(achievements.achievement(book, "ccpl-academy"))
    found: dict[str, set] = {}
    _used_terms(document, "credential", found)
    for scope, terms in found.items():
        scoped = set(context.get(scope, {}).get("@context", {})) if isinstance(context.get(scope), dict) else set()
        undefined = terms - scoped - top_level - VC_CORE_TERMS
        assert not undefined, f"{scope} uses terms no context defines: {sorted(undefined)}"


def test_the_ob2_documents_use_the_ob2_context_and_mirror_the_credential(book):
    info = achievements.achievement(book, "ccmo-classic")
    credential = _credential(info)
    assertion = ob2.assertion_document(credential_id="c-7", achievement_id=info.id, credential=credential,
                                       recipient_identity="sha256$abc", recipient_hashed=True,
                                       recipient_salt="s4lt", urls=URLS)
    badge_class = ob2.badge_class_document(info, URLS)
    issuer = ob2.issuer_document(info.issuer, URLS)
    assert {assertion["@context"], badge_class["@context"], issuer["@context"]} == {OB_V2_CONTEXT}
    assert assertion["verification"] == {"type": "hosted"}
    assert assertion["recipient"] == {"type": "email", "hashed": True, "salt": "s4lt", "identity": "sha256$abc"}
    assert assertion["badge"] == badge_class["id"] and badge_class["issuer"] == issuer["id"]
    assert assertion["issuedOn"] == credential["awardedDate"]
    assert load_context(OB_V2_CONTEXT)["@context"]["Assertion"] == "obi:Assertion"


def test_an_editions_badge_wording_comes_from_its_rule_file(tmp_path):
    import shutil

    from lti_tool.badges.achievements import edition_achievement
    from lti_tool.engine import default_rules_dir, load_rulebook

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    edition_file = rules / "editions" / "ccpl-academy.yaml"
    edition_file.write_text(edition_file.read_text().replace(
        "description: >-", "criteria: Thirty-six hours and one PSELC workshop per area.\ndescription: >-", 1))
    book = load_rulebook(rules)
    info = edition_achievement(book, book.edition("ccpl-academy"))
    assert info.criteria == "Thirty-six hours and one PSELC workshop per area."
    assert info.description.startswith("Awarded by the Connecticut Conference of Municipalities and the UConn")
