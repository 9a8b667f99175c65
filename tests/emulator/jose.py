"""JSON Web Tokens the way the platform signs and checks them.

Signing is done by hand (not through a JWT library) so negative tests can produce any header, a foreign key,
``alg: none`` or an HMAC token, and so a launch costs exactly one RSA signature. Verification follows the order
and the error wording of the PHP JWT library Moodle 4.5 uses, because Moodle copies those messages verbatim
into its token endpoint answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

RSA_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
HMAC_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
# Algorithms the PHP JWT library accepts in a header before it even looks for a key.
LIBRARY_ALGORITHMS = {"ES384", "ES256", "ES256K", "EdDSA", *RSA_HASHES, *HMAC_HASHES}


def b64url(data: bytes) -> str:
    """Unpadded base64url text of `data`."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Bytes of unpadded base64url `text`; raises ValueError when it is not base64url."""
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII escaped: how PHP's json_encode writes JWT parts."""
    return json.dumps(value, separators=(",", ":"))


def _int_b64(number: int) -> str:
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def _b64_int(text: str) -> int:
    return int.from_bytes(b64url_decode(text), "big")


@dataclass
class SigningKey:
    """An RSA key pair with the key id the platform publishes it under."""

    private_key: rsa.RSAPrivateKey
    kid: str
    public_jwk: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        numbers = self.private_key.public_key().public_numbers()
        # Same member order as Moodle's certs.php.
        self.public_jwk = {
            "kty": "RSA",
            "alg": "RS256",
            "kid": self.kid,
            "e": _int_b64(numbers.e),
            "n": _int_b64(numbers.n),
            "use": "sig",
        }

    @classmethod
    def generate(cls) -> "SigningKey":
        """A fresh RSA-2048 key with a Moodle-looking 20-hex-digit key id."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(private_key=private_key, kid=secrets.token_hex(10))

    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for tests that need to hand it to a library)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def encode_jws(header: dict[str, Any], payload: dict[str, Any], key: Any, alg: str) -> str:
    """A compact JWS of `payload` under `header`, signed with `key` by `alg` ("none" leaves it unsigned).

    `key` is an RSA private key object or PEM for RS*, a str or bytes secret for HS*, ignored for none.
    """
    signing_input = f"{b64url(compact_json(header).encode())}.{b64url(compact_json(payload).encode())}"
    data = signing_input.encode("ascii")
    if alg == "none":
        signature = b""
    elif alg in RSA_HASHES:
        private_key = _rsa_private_key(key)
        signature = private_key.sign(data, padding.PKCS1v15(), RSA_HASHES[alg]())
    elif alg in HMAC_HASHES:
        if not isinstance(key, (str, bytes)):
            raise ValueError(f"{alg} needs a str or bytes secret as key")
        secret = key.encode() if isinstance(key, str) else key
        signature = hmac.new(secret, data, HMAC_HASHES[alg]).digest()
    else:
        raise ValueError(f"unsupported alg {alg!r}; use RS256/RS384/RS512, HS256/HS384/HS512 or none")
    return f"{signing_input}.{b64url(signature)}"


def _rsa_private_key(key: Any) -> rsa.RSAPrivateKey:
    if isinstance(key, SigningKey):
        return key.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    if isinstance(key, (str, bytes)):
        pem = key.encode() if isinstance(key, str) else key
        loaded = serialization.load_pem_private_key(pem, password=None)
        if isinstance(loaded, rsa.RSAPrivateKey):
            return loaded
    raise ValueError("RS* signing needs an RSA private key (object, PEM, or SigningKey)")


class JwtRejected(Exception):
    """A token failed verification; the message is the wording Moodle would report."""


@dataclass(frozen=True)
class PublicKey:
    """A verification key from a JWK Set, with the algorithm it is bound to."""

    key: rsa.RSAPublicKey
    alg: str


def parse_key_set(document: Any) -> dict[str, PublicKey]:
    """Usable RSA keys of a JWK Set by key id (keys without kid are indexed by position, as the PHP library does)."""
    if not isinstance(document, dict) or "keys" not in document:
        raise JwtRejected('Missing "keys" member')
    keys: dict[str, PublicKey] = {}
    for index, jwk in enumerate(document["keys"] or []):
        if not isinstance(jwk, dict) or not jwk.get("kty"):
            raise JwtRejected('JWK must contain a "kty" parameter')
        if jwk["kty"] != "RSA":
            continue
        if "d" in jwk:
            raise JwtRejected("RSA private keys are not supported")
        if "n" not in jwk or "e" not in jwk:
            raise JwtRejected('RSA keys must contain values for both "n" and "e"')
        public_key = rsa.RSAPublicNumbers(_b64_int(jwk["e"]), _b64_int(jwk["n"])).public_key()
        keys[str(jwk.get("kid", index))] = PublicKey(public_key, jwk.get("alg") or "RS256")
    if not keys:
        raise JwtRejected("JWK Set did not contain any keys")
    return keys


def split_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of `token` without checking anything; raises JwtRejected when they are not JSON objects."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtRejected("Wrong number of segments")
    try:
        header = json.loads(b64url_decode(parts[0]))
    except ValueError:
        raise JwtRejected("Invalid header encoding") from None
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise JwtRejected("Invalid claims encoding") from None
    if not isinstance(header, dict):
        raise JwtRejected("Invalid header encoding")
    if not isinstance(payload, dict):
        raise JwtRejected("Payload must be a JSON object")
    return header, payload


def _php_iso8601(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(int(timestamp)))


def verify(token: str, keys: dict[str, PublicKey], now: float | None = None) -> dict[str, Any]:
    """The payload of `token` once signature and times check out against `keys`, else JwtRejected."""
    header, payload = split_unverified(token)
    signing_input, _, signature_text = token.rpartition(".")
    alg = header.get("alg")
    if not alg:
        raise JwtRejected("Empty algorithm")
    if alg not in LIBRARY_ALGORITHMS:
        raise JwtRejected("Algorithm not supported")
    kid = header.get("kid")
    if kid is None or kid == "":
        raise JwtRejected('"kid" empty, unable to lookup correct key')
    if str(kid) not in keys:
        raise JwtRejected('"kid" invalid, unable to lookup correct key')
    public = keys[str(kid)]
    if public.alg != alg or alg not in RSA_HASHES:
        raise JwtRejected("Incorrect key for this algorithm")
    try:
        signature = b64url_decode(signature_text)
        public.key.verify(signature, signing_input.encode("ascii"), padding.PKCS1v15(), RSA_HASHES[alg]())
    except (InvalidSignature, ValueError):
        raise JwtRejected("Signature verification failed") from None
    moment = time.time() if now is None else now
    for claim in ("nbf", "iat"):
        value = payload.get(claim)
        if isinstance(value, (int, float)) and value > moment:
            raise JwtRejected(f"Cannot handle token with {claim} prior to {_php_iso8601(value)}")
    expiry = payload.get("exp")
    if isinstance(expiry, (int, float)) and moment >= expiry:
        raise JwtRejected("Expired token")
    return payload
