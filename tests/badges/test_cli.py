"""`lti-tool badges verify`: checking a downloaded badge offline, from files only."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from lti_tool.cli.badges import badges_group
from lti_tool.services import credentials as service


@pytest.fixture
def downloaded(tmp_path, client, session, credential, settings):
    """What a verifier saved from the public URLs: the credential, the key set, both status lists."""

    def save(revoked: bool = False) -> list[str]:
        if revoked:
            service.revoke_credential(session, credential, reason="reversed", actor="admin:1")
        session.commit()
        files = {"credential.jwt": f"/credentials/{credential.id}/credential.jwt",
                 "keys.json": "/badges/keys.json", "badge.png": f"/credentials/{credential.id}/badge-ob3.png"}
        for name, path in files.items():
            (tmp_path / name).write_bytes(client.get(path).data)
        options = ["--jwks", str(tmp_path / "keys.json"), "--offline"]
        for purpose in ("revocation", "suspension"):
            url = settings.urls.status_list("ccm", purpose)
            (tmp_path / f"{purpose}.jwt").write_bytes(client.get(urlsplit(url).path).data)
            options += ["--status-list", f"{url}={tmp_path / f'{purpose}.jwt'}"]
        return options

    return save


def _verify(*args: str):
    return CliRunner().invoke(badges_group, ["verify", *args])


def test_a_downloaded_credential_verifies_offline(tmp_path, downloaded):
    options = downloaded()
    result = _verify(str(tmp_path / "credential.jwt"), *options)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VALID: Certified Connecticut Municipal Official")
    assert "signature: ok" in result.output and "revocation: ok: Not revoked." in result.output


def test_a_baked_badge_png_verifies_like_its_jwt(tmp_path, downloaded):
    result = _verify(str(tmp_path / "badge.png"), *downloaded(), "--json")
    assert result.exit_code == 0, result.output
    assert '"status": "valid"' in result.output


def test_a_revoked_credential_exits_non_zero_and_says_so(tmp_path, downloaded):
    result = _verify(str(tmp_path / "credential.jwt"), *downloaded(revoked=True))
    assert result.exit_code == 1
    assert result.output.startswith("REVOKED:")


def test_without_status_lists_offline_the_status_is_not_confirmed(tmp_path, downloaded):
    downloaded()
    result = _verify(str(tmp_path / "credential.jwt"), "--jwks", str(tmp_path / "keys.json"), "--offline")
    assert result.exit_code == 1
    assert result.output.startswith("UNKNOWN:") and "unchecked" in result.output


def test_bad_input_gets_a_one_line_reason(tmp_path):
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    result = _verify(str(tmp_path / "photo.png"), "--offline", "--jwks", "keys.json")
    assert result.exit_code == 1 and "photo.png" in result.output and "Traceback" not in result.output
    (tmp_path / "token.jwt").write_text("not-a-token")
    result = _verify(str(tmp_path / "token.jwt"), "--offline")
    assert result.exit_code == 1 and "compact JWS" in result.output
    result = _verify(str(tmp_path / "token.jwt"), "--jwks", str(tmp_path / "missing.json"))
    assert result.exit_code == 1 and "cannot read the key set" in result.output
