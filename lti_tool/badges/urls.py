"""Where every public badge document lives under the tool's base URL (one place, so links never drift).

The `verify` blueprint serves exactly these paths; documents embed them, so they must stay stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

STATUS_PURPOSES = ("revocation", "suspension")


@dataclass(frozen=True)
class BadgeUrls:
    """The public URLs of credentials, issuers, achievements, images and status lists."""

    base_url: str

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"

    # One credential --------------------------------------------------------------------------------------
    def credential(self, credential_id: str) -> str:
        """The credential's id and its verification page (HTML, or JSON when asked)."""
        return self._url(f"/credentials/{quote(credential_id)}")

    def credential_json(self, credential_id: str) -> str:
        """The verification result as JSON."""
        return self._url(f"/credentials/{quote(credential_id)}.json")

    def credential_jwt(self, credential_id: str) -> str:
        """The signed Open Badges 3.0 credential (VC-JWT) as a download."""
        return self._url(f"/credentials/{quote(credential_id)}/credential.jwt")

    def credential_document(self, credential_id: str) -> str:
        """The Open Badges 3.0 credential as JSON (the payload of the VC-JWT)."""
        return self._url(f"/credentials/{quote(credential_id)}/credential.json")

    def baked_image(self, credential_id: str) -> str:
        """The badge PNG baked with the Open Badges 2.0 assertion URL."""
        return self._url(f"/credentials/{quote(credential_id)}/badge.png")

    def baked_image_ob3(self, credential_id: str) -> str:
        """The badge PNG baked with the Open Badges 3.0 credential (VC-JWT)."""
        return self._url(f"/credentials/{quote(credential_id)}/badge-ob3.png")

    def ob2_assertion(self, credential_id: str) -> str:
        """The Open Badges 2.0 hosted Assertion."""
        return self._url(f"/badges/ob2/assertions/{quote(credential_id)}")

    # Shared documents -------------------------------------------------------------------------------------
    def ob2_badge_class(self, achievement_id: str) -> str:
        """The Open Badges 2.0 BadgeClass of an achievement."""
        return self._url(f"/badges/ob2/classes/{quote(achievement_id)}")

    def ob2_issuer(self, issuer_id: str) -> str:
        """The Open Badges 2.0 Issuer profile."""
        return self._url(f"/badges/ob2/issuers/{quote(issuer_id)}")

    def achievement(self, achievement_id: str) -> str:
        """The Open Badges 3.0 Achievement (its id)."""
        return self._url(f"/badges/achievements/{quote(achievement_id)}")

    def criteria(self, achievement_id: str) -> str:
        """The human-readable criteria of an achievement."""
        return self._url(f"/badges/achievements/{quote(achievement_id)}#criteria")

    def issuer(self, issuer_id: str) -> str:
        """The Open Badges 3.0 issuer Profile (its id)."""
        return self._url(f"/badges/issuers/{quote(issuer_id)}")

    def image_png(self, achievement_id: str) -> str:
        """The achievement's badge image as PNG (not baked)."""
        return self._url(f"/badges/images/{quote(achievement_id)}.png")

    def image_svg(self, achievement_id: str) -> str:
        """The achievement's badge image as SVG."""
        return self._url(f"/badges/images/{quote(achievement_id)}.svg")

    def framework(self, term_id: str) -> str:
        """An alignment target: a development area or point category on the frameworks page."""
        return self._url(f"/badges/frameworks#{quote(term_id)}")

    def status_list(self, issuer_id: str, purpose: str) -> str:
        """The Bitstring Status List credential of an issuer for one purpose (revocation or suspension)."""
        if purpose not in STATUS_PURPOSES:
            raise ValueError(f"unknown status purpose {purpose!r} (known: {', '.join(STATUS_PURPOSES)})")
        return self._url(f"/badges/status/{quote(issuer_id)}/{purpose}")

    def context(self, file_name: str) -> str:
        """A local copy of a JSON-LD context."""
        return self._url(f"/badges/contexts/{quote(file_name)}")

    def badge_keys(self) -> str:
        """Every public key the tool has signed badges with (the `jku` of each VC-JWT)."""
        return self._url("/badges/keys.json")
