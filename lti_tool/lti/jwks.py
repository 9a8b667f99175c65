"""Platform public keys: fetched from the registration's own keyset URL, parsed once, cached for minutes.

- Keys are cached per keyset URL for `ttl` seconds as parsed RSA key objects (no per-launch parsing).
- A key id that is not in the cache triggers one refetch (key rotation), at most once per refetch cooldown
  (seconds) per URL, so a flood of tokens with random key ids cannot make the tool hammer the platform.
- A failed fetch is remembered for `failure_cooldown` seconds: while a platform is down or hanging, launches
  fail at once instead of each one waiting for the timeout; stale keys keep serving while they are known.
- Only RSA keys meant for signatures with RS256 (or no stated algorithm) of at least 2048 bits are kept.

The cache is an optimisation, not shared state: every process fills its own from the platform.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import LtiRefusal
from .http import FetchError, request_json

log = logging.getLogger(__name__)

MIN_RSA_BITS = 2048
MAX_JWKS_BYTES = 256 * 1024


class KeySetProblem(ValueError):
    """A JWKS document that cannot be used."""


def _b64url_int(value: object) -> int:
    if not isinstance(value, str) or not value:
        raise KeySetProblem("RSA key member is not a base64url string")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        raise KeySetProblem("RSA key member is not base64url") from None
    return int.from_bytes(raw, "big")


def parse_key_set(document: object) -> dict[str, rsa.RSAPublicKey]:
    """The usable RS256 verification keys of a JWKS document, by key id."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetProblem('the key set has no "keys" list')
    keys: dict[str, rsa.RSAPublicKey] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        if jwk.get("use") not in (None, "sig") or jwk.get("alg") not in (None, "RS256"):
            continue
        try:
            public_key = rsa.RSAPublicNumbers(_b64url_int(jwk.get("e")), _b64url_int(jwk.get("n"))).public_key()
        except (KeySetProblem, ValueError):
            log.warning("skipping unreadable key %s in a platform key set", kid)
            continue
        if public_key.key_size < MIN_RSA_BITS:
            log.warning("skipping %s-bit key %s in a platform key set", public_key.key_size, kid)
            continue
        keys[kid] = public_key
    return keys


@dataclass
class _Entry:
    keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    fetched_at: float | None = None
    last_attempt: float = float("-inf")
    failed_at: float | None = None
    failure: str = ""
    generation: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class PlatformKeyCache:
    """Verification keys per keyset URL, refreshed on expiry and on an unknown key id."""

    def __init__(self, ttl: float = 300, refetch_cooldown: float = 10, failure_cooldown: float = 5) -> None:
        self.ttl = ttl
        self.refetch_cooldown = refetch_cooldown
        self.failure_cooldown = failure_cooldown
        self._entries: dict[str, _Entry] = {}
        self._guard = threading.Lock()

    def clear(self) -> None:
        """Forget every cached key set."""
        with self._guard:
            self._entries.clear()

    def _entry(self, url: str) -> _Entry:
        entry = self._entries.get(url)
        if entry is None:
            with self._guard:
                entry = self._entries.setdefault(url, _Entry())
        return entry

    def cached_key(self, keyset_url: str, kid: str) -> rsa.RSAPublicKey | None:
        """The key `kid` when it is cached and fresh, without any network call."""
        entry = self._entries.get(keyset_url)
        if entry is None or entry.fetched_at is None or time.monotonic() - entry.fetched_at >= self.ttl:
            return None
        return entry.keys.get(kid)

    def key_for(
        self, keyset_url: str, kid: str, *, timeout: float, refetch_cooldown: float | None = None
    ) -> rsa.RSAPublicKey:
        """The platform key `kid` from `keyset_url`, else LtiRefusal (unknown_kid or jwks_unavailable)."""
        cooldown = self.refetch_cooldown if refetch_cooldown is None else refetch_cooldown
        entry = self._entry(keyset_url)
        now = time.monotonic()
        fresh = entry.fetched_at is not None and now - entry.fetched_at < self.ttl
        key = entry.keys.get(kid)
        if key is not None and fresh:
            return key
        # Stale, empty, or a key id not seen yet: one refetch, unless one happened moments ago.
        if fresh and now - entry.last_attempt < cooldown:
            raise LtiRefusal("unknown_kid", f"the platform's key set has no key {kid!r}")
        # A stale key in hand is used while another thread refetches; without one, wait for that fetch.
        self._refresh(entry, keyset_url, timeout=timeout, wait=key is None)
        key = entry.keys.get(kid)
        if key is not None:
            return key
        if entry.fetched_at is None:
            reason = entry.failure or "no answer yet"
            raise LtiRefusal("jwks_unavailable", f"the platform's key set at {keyset_url} is unavailable: {reason}")
        raise LtiRefusal("unknown_kid", f"the platform's key set has no key {kid!r}")

    def _refresh(self, entry: _Entry, url: str, *, timeout: float, wait: bool) -> None:
        generation = entry.generation
        # Bounded wait: callers queue behind one fetch, never longer than that fetch may take.
        if not entry.lock.acquire(timeout=2 * timeout + 1 if wait else 0):
            return
        try:
            if entry.generation != generation:
                return  # another thread fetched while this one waited
            now = time.monotonic()
            if entry.failed_at is not None and now - entry.failed_at < self.failure_cooldown:
                return
            entry.last_attempt = now
            entry.generation += 1
            try:
                fetched = request_json("GET", url, timeout=timeout, max_bytes=MAX_JWKS_BYTES)
                if fetched.status != 200:
                    raise FetchError(f"{url} answered HTTP {fetched.status}")
                keys = parse_key_set(fetched.body)
            except (FetchError, KeySetProblem) as exc:
                entry.failed_at = time.monotonic()
                entry.failure = str(exc)
                log.warning("platform key set %s: %s", url, exc)
                return
            entry.keys = keys
            entry.fetched_at = time.monotonic()
            entry.failed_at = None
            entry.failure = ""
        finally:
            entry.lock.release()


platform_keys = PlatformKeyCache()
