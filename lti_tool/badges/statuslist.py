"""W3C Bitstring Status List v1.0: the compressed bitstring and the status list credential that carries it.

Bit `i` is the `i`-th bit counting from the most significant bit of the first byte; a set bit means the
status (revoked, suspended) applies. The list is at least 131,072 entries long (16 KiB) so that one
credential's position says little about who holds it.
"""

from __future__ import annotations

import base64
import gzip
from datetime import datetime
from typing import Any, Iterable, Mapping

from .contexts import VC_V2_CONTEXT
from .vcjwt import format_timestamp

MINIMUM_ENTRIES = 131_072
MULTIBASE_BASE64URL = "u"
LIST_TYPE = "BitstringStatusList"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
ENTRY_TYPE = "BitstringStatusListEntry"


class StatusListProblem(ValueError):
    """A status list that cannot be read, or an index outside it."""


def list_length(highest_index: int | None) -> int:
    """Entries needed to hold `highest_index`: a whole number of minimum-size blocks."""
    if highest_index is None or highest_index < MINIMUM_ENTRIES:
        return MINIMUM_ENTRIES
    blocks = highest_index // MINIMUM_ENTRIES + 1
    return blocks * MINIMUM_ENTRIES


def encode_bits(set_indexes: Iterable[int], length: int = MINIMUM_ENTRIES) -> str:
    """The `encodedList` value: multibase base64url (no padding) of the GZIP-compressed bitstring."""
    bits = bytearray(length // 8)
    for index in set_indexes:
        if not 0 <= index < length:
            raise StatusListProblem(f"status index {index} is outside a list of {length} entries")
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bits(encoded_list: str) -> bytes:
    """The uncompressed bitstring of an `encodedList` value."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith(MULTIBASE_BASE64URL):
        raise StatusListProblem("encodedList is not multibase base64url (it must start with 'u')")
    text = encoded_list[1:]
    try:
        compressed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        bits = gzip.decompress(compressed)
    except (ValueError, OSError, EOFError):
        raise StatusListProblem("encodedList is not a GZIP-compressed bitstring") from None
    if not bits:
        raise StatusListProblem("encodedList holds an empty bitstring")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """Whether entry `index` of a bitstring is set."""
    if not 0 <= index < len(bits) * 8:
        raise StatusListProblem(f"status index {index} is outside the list ({len(bits) * 8} entries)")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, purpose: str, index: int) -> dict:
    """The `credentialStatus` entry pointing at position `index` of the list at `list_url`."""
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(*, list_url: str, issuer_id: str, purpose: str, set_indexes: Iterable[int],
                           highest_index: int | None, now: datetime) -> dict:
    """The BitstringStatusListCredential for one issuer and purpose, as of `now`."""
    return {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer_id,
        "validFrom": format_timestamp(now),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": LIST_TYPE,
            "statusPurpose": purpose,
            "encodedList": encode_bits(set_indexes, list_length(highest_index)),
        },
    }


def read_status_list_credential(document: Mapping[str, Any]) -> tuple[str, bytes]:
    """The purpose and bitstring of a status list credential; StatusListProblem when it is not one."""
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if LIST_CREDENTIAL_TYPE not in types:
        raise StatusListProblem(f"the status list is not a {LIST_CREDENTIAL_TYPE}")
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise StatusListProblem("the status list credential has no credentialSubject")
    purpose = subject.get("statusPurpose")
    if not isinstance(purpose, str):
        raise StatusListProblem("the status list names no statusPurpose")
    return purpose, decode_bits(subject.get("encodedList"))
