"""Badge images: the SVG the tool draws, its PNG rendering, and baking into the PNG."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ElementTree

import pytest

from tests.support import require_module
from lti_tool.badges.images import (
    OB2_KEYWORD,
    OB3_KEYWORD,
    BadgeFace,
    ImageProblem,
    bake,
    badge_png,
    badge_svg,
    baked_ob2,
    baked_ob3,
    unbake,
)

FACE = BadgeFace("CCMO", "Certified Connecticut Municipal Official", "Level 1", "CCM", "ccm")


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def test_the_svg_names_the_programme_and_level_and_escapes_its_text():
    face = BadgeFace("A&B", "Clerks <Masters> & \"Friends\"", "Level 2", "IIMC", "iimc")
    svg = badge_svg(face)
    root = ElementTree.fromstring(svg)  # well-formed XML despite the markup characters
    texts = ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "A&B" in texts and "Level 2" in texts and "IIMC" in texts
    assert any("<Masters>" in text for text in texts)
    assert root.get("role") == "img" and "A&B badge" in root.get("aria-label")


def test_the_png_is_a_square_badge_rendered_from_the_svg():
    png = badge_png(FACE)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert _png_size(png) == (400, 400)


def test_baking_puts_the_assertion_url_in_an_openbadges_itxt_chunk():
    assertion_url = "https://tool.example.org/badges/ob2/assertions/abc"
    baked = baked_ob2(badge_png(FACE), assertion_url)
    assert b"iTXt" + OB2_KEYWORD.encode() + b"\0" in baked
    assert unbake(baked, OB2_KEYWORD) == assertion_url
    assert unbake(baked, OB3_KEYWORD) is None


def test_an_independent_reader_finds_the_baked_assertion():
    bakery = require_module("openbadges_bakery")
    assertion_url = "https://tool.example.org/badges/ob2/assertions/xyz"
    assert bakery.unbake(io.BytesIO(baked_ob2(badge_png(FACE), assertion_url))) == assertion_url


def test_open_badges_3_baking_carries_the_jwt_and_rebaking_replaces_it():
    png = badge_png(FACE)
    once = baked_ob3(png, "header.payload.signature")
    twice = baked_ob3(once, "other.payload.signature")
    assert unbake(twice, OB3_KEYWORD) == "other.payload.signature"
    assert twice.count(OB3_KEYWORD.encode() + b"\0") == 1


def test_a_damaged_or_foreign_file_is_refused_with_a_reason():
    baked = bytearray(baked_ob2(badge_png(FACE), "https://x.example/a"))
    baked[60] ^= 0xFF  # inside the iTXt chunk: its CRC no longer matches
    with pytest.raises(ImageProblem, match="damaged"):
        unbake(bytes(baked), OB2_KEYWORD)
    with pytest.raises(ImageProblem, match="not a PNG"):
        bake(b"GIF89a....", OB2_KEYWORD, "x")
