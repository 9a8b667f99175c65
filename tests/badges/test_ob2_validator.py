"""The hosted Open Badges 2.0 assertion passes 1EdTech's validator core (`openbadges` on PyPI).

The tool runs on a loopback HTTP server and the validator fetches the assertion, badge class, issuer and
image from it. Only the Open Badges 2.0 context, which lives on w3id.org, is answered from the local copy:
nothing leaves the machine.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from tests.support import require_module
from lti_tool.badges.contexts import LOCAL_CONTEXT_FILES, OB_V2_CONTEXT, context_text
from lti_tool.services import credentials as service

openbadges_verifier = require_module("openbadges.verifier.verifier")
openbadges_utils = require_module("openbadges.verifier.utils")


class _LocalContexts(requests.adapters.BaseAdapter):
    """Answers the canonical JSON-LD context URLs from the copies shipped with the tool; refuses the rest."""

    def send(self, request, **kwargs):
        response = requests.Response()
        response.url = request.url
        response.request = request
        name = LOCAL_CONTEXT_FILES.get(request.url.rstrip("/"))
        if name is None:
            response.status_code = 599
            response._content = f"refused: {request.url} is not on this machine".encode()
        else:
            response.status_code = 200
            response._content = context_text(name).encode("utf-8")
            response.headers["Content-Type"] = "application/ld+json"
        return response

    def close(self):
        pass


@pytest.fixture
def served_tool(app):
    """The app on a loopback port; its base URL is that address so documents point at it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["TOOL_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["TOOL_BASE_URL"]
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def offline_loader(monkeypatch, served_tool):
    """The validator's JSON-LD document loader, reading contexts locally and the tool over loopback only."""
    from pyld import jsonld

    session = requests.Session()
    session.mount("https://", _LocalContexts())
    session.mount("http://", _LocalContexts())
    session.mount(served_tool + "/", requests.adapters.HTTPAdapter())
    loader = openbadges_utils.CachableDocumentLoader(use_cache=False, session=session)
    monkeypatch.setattr(jsonld, "_default_document_loader", loader)
    return loader


def _validate(assertion_url: str, loader) -> dict:
    options = dict(openbadges_verifier.DEFAULT_OPTIONS, use_cache=False, cache_backend=None,
                   jsonld_options={"documentLoader": loader})
    store = openbadges_verifier.verification_store(assertion_url, options=options)
    return openbadges_verifier.generate_report(store, options=options)


def _errors(report: dict) -> list[str]:
    return [m["result"] for m in report["report"]["messages"] if m["messageLevel"] == "ERROR"]


def test_the_hosted_assertion_passes_the_open_badges_2_validator(session, credential_factory, offline_loader):
    credential = credential_factory()
    assertion_url = service.badge_links(credential).ob2_assertion
    report = _validate(assertion_url, offline_loader)
    assert _errors(report) == []
    assert report["report"]["valid"] is True
    assert report["report"]["openBadgesVersion"] == "2.0"
    types = {node["id"]: node.get("type") for node in report["graph"]}
    assert types[assertion_url] == "Assertion"
    assert "BadgeClass" in types.values() and "Issuer" in types.values()


def test_the_validator_sees_a_revoked_assertion_as_invalid(session, credential_factory, offline_loader):
    credential = credential_factory()
    service.revoke_credential(session, credential, reason="a completion was reversed", actor="admin:1")
    session.commit()
    report = _validate(service.badge_links(credential).ob2_assertion, offline_loader)
    assert report["report"]["valid"] is False


def test_the_recipient_hash_matches_the_officials_email_for_the_validator(credential_factory, offline_loader):
    credential = credential_factory()
    options = dict(openbadges_verifier.DEFAULT_OPTIONS, use_cache=False, cache_backend=None,
                   jsonld_options={"documentLoader": offline_loader})
    store = openbadges_verifier.verification_store(
        service.badge_links(credential).ob2_assertion, recipient_profile={"email": "ada.lovelace@example.org"},
        options=options)
    report = openbadges_verifier.generate_report(store, options=options)
    assert report["report"]["valid"] is True
    assert report["report"]["recipientProfile"]["email"] == "ada.lovelace@example.org"


@pytest.fixture
def credential_factory(session, certification, served_tool, settings):
    """Issue the certification's credential under the served base URL and commit it for the server thread."""

    def issue():
        current = service.BadgeSettings(served_tool, settings.keys_dir, settings.rules_dir)
        credential = service.issue_credential(session, certification, actor="test", settings=current)
        session.commit()
        assert urlsplit(credential.document["id"]).port == urlsplit(served_tool).port
        return credential

    return issue


def test_the_ob2_context_url_is_the_one_the_local_copy_stands_for():
    assert OB_V2_CONTEXT == openbadges_verifier.OPENBADGES_CONTEXT_V2_URI
