"""The tool's RSA signing keys: generation, rotation, the public key set, cached key objects.

Private parts are PEM files `<kid>.pem` in KEYS_DIR (mode 0600, never committed); the database
records every public key and which one signs, so that every process and machine publishes the
same key set and agrees on the current key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ToolKey, utcnow
from .services.audit import record_audit

KEY_BITS = 2048


class KeyProblem(Exception):
    """A key problem an operator must fix (no key, missing private part)."""



def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(public_key: rsa.RSAPublicKey) -> dict:
    """The public JWK members of an RSA key (kty, n, e)."""
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def thumbprint(jwk: dict) -> str:
    """The RFC 7638 SHA-256 thumbprint of an RSA JWK, base64url without padding."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _pem_path(keys_dir: Path, kid: str) -> Path:
    return Path(keys_dir) / f"{kid}.pem"


def generate_key(session: Session, keys_dir: Path, *, actor: str = "system") -> ToolKey:
    """Create a new RSA key: write its private PEM (0600) and record its public JWK as the signing key."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    jwk = public_jwk(private_key.public_key())
    kid = thumbprint(jwk)
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(_pem_path(keys_dir, kid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    key = ToolKey(kid=kid, public_jwk={**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    session.add(key)
    session.flush()
    record_audit(session, actor=actor, action="key.generated", subject_type="tool_key", subject_id=kid)
    _cache.clear()
    return key


def rotate_key(session: Session, keys_dir: Path, *, actor: str = "system", now: datetime | None = None) -> ToolKey:
    """Make a new signing key and retire the current ones (still published for the grace period)."""
    now = now or utcnow()
    for key in session.scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))):
        key.retired_at = now
        record_audit(session, actor=actor, action="key.retired", subject_type="tool_key", subject_id=key.kid)
    session.flush()
    return generate_key(session, keys_dir, actor=actor)


def all_keys(session: Session) -> list[ToolKey]:
    """Every key ever recorded, newest first."""
    return list(session.scalars(select(ToolKey).order_by(ToolKey.created_at.desc(), ToolKey.kid)))


def published_keys(session: Session, grace: timedelta, now: datetime | None = None) -> list[ToolKey]:
    """Keys to publish: the signing key and those retired less than `grace` ago."""
    now = now or utcnow()
    return [key for key in all_keys(session) if key.retired_at is None or key.retired_at > now - grace]


def jwks(session: Session, grace: timedelta, now: datetime | None = None) -> dict:
    """The public JSON Web Key Set of the tool."""
    return {"keys": [dict(key.public_jwk) for key in published_keys(session, grace, now)]}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey


class _KeyCache:
    """Parsed private keys per process: loading a PEM costs far more than a signature."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], rsa.RSAPrivateKey] = {}
        self._lock = threading.Lock()

    def get(self, keys_dir: Path, kid: str) -> rsa.RSAPrivateKey:
        cache_key = (str(keys_dir), kid)
        key = self._keys.get(cache_key)
        if key is None:
            path = _pem_path(keys_dir, kid)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise KeyProblem(f"the private key {kid} is not in {keys_dir} on this machine") from None
            key = serialization.load_pem_private_key(data, password=None)
            with self._lock:
                self._keys[cache_key] = key
        return key

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


_cache = _KeyCache()


def signing_key(session: Session, keys_dir: Path) -> SigningKey:
    """The current signing key with its parsed private part."""
    key = session.scalars(
        select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.created_at.desc()).limit(1)
    ).first()
    if key is None:
        raise KeyProblem("the tool has no signing key: run `lti-tool keys generate`")
    return SigningKey(kid=key.kid, private_key=_cache.get(Path(keys_dir), key.kid))


def has_private_part(keys_dir: Path, kid: str) -> bool:
    """Whether this machine holds the private PEM of `kid`."""
    return _pem_path(keys_dir, kid).exists()
