"""The Bitstring Status List encoding: what any W3C status list verifier reads."""

from __future__ import annotations

import base64
import gzip

import pytest

from lti_tool.badges.statuslist import (
    MINIMUM_ENTRIES,
    StatusListProblem,
    bit_is_set,
    decode_bits,
    encode_bits,
    list_length,
)


def _raw(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_the_list_is_multibase_base64url_of_gzip_with_at_least_131072_entries():
    encoded = encode_bits([])
    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert len(_raw(encoded)) * 8 == MINIMUM_ENTRIES == 131_072


def test_index_zero_is_the_most_significant_bit_of_the_first_byte():
    raw = _raw(encode_bits([0, 9, 131_071]))
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0000
    assert raw[-1] == 0b0000_0001
    assert sum(bin(byte).count("1") for byte in raw) == 3


def test_set_bits_read_back_and_others_stay_clear():
    bits = decode_bits(encode_bits([5, 700, 99_999]))
    assert [index for index in (4, 5, 6, 700, 99_999, 100_000) if bit_is_set(bits, index)] == [5, 700, 99_999]


def test_the_list_grows_by_whole_blocks_when_indexes_pass_the_minimum():
    assert list_length(None) == MINIMUM_ENTRIES
    assert list_length(MINIMUM_ENTRIES - 1) == MINIMUM_ENTRIES
    assert list_length(MINIMUM_ENTRIES) == 2 * MINIMUM_ENTRIES
    bits = decode_bits(encode_bits([MINIMUM_ENTRIES + 3], list_length(MINIMUM_ENTRIES + 3)))
    assert bit_is_set(bits, MINIMUM_ENTRIES + 3)


@pytest.mark.parametrize("value, message", [
    ("zabc", "must start with 'u'"),
    ("u!!!!", "not a GZIP-compressed bitstring"),
    (None, "must start with 'u'"),
])
def test_an_unreadable_list_is_named_clearly(value, message):
    with pytest.raises(StatusListProblem, match=message):
        decode_bits(value)


def test_an_index_outside_the_list_is_refused():
    with pytest.raises(StatusListProblem, match="outside"):
        encode_bits([MINIMUM_ENTRIES])
    with pytest.raises(StatusListProblem, match="outside"):
        bit_is_set(decode_bits(encode_bits([])), MINIMUM_ENTRIES)


def test_status_positions_do_not_follow_issue_order(session, tool_key, settings):
    from lti_tool.services import credentials as service
    from tests.badges.conftest import certify
    from tests.factories import gen_official

    issued = [service.issue_credential(session, certify(session, gen_official(session, email=f"p{n}@example.org")),
                                       actor="test", settings=settings).status_index for n in range(6)]
    assert len(set(issued)) == 6
    assert issued != list(range(issued[0], issued[0] + 6))  # not handed out one after another
