"""Badge images: an SVG per achievement drawn by the tool, its PNG rendering, and baking.

Baking puts the badge into the PNG itself as an `iTXt` chunk: keyword `openbadges` with the hosted
Open Badges 2.0 assertion URL, or keyword `openbadgecredential` with the Open Badges 3.0 VC-JWT.
"""

from __future__ import annotations

import hashlib
import struct
import textwrap
import zlib
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from .achievements import AchievementInfo

OB2_KEYWORD = "openbadges"
OB3_KEYWORD = "openbadgecredential"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZE = 400
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
# Dark colours: white text on each has a contrast ratio above 7:1.
PALETTE = ("#0b4f8a", "#1d5e3b", "#5b2a86", "#7a1f3d", "#3d4a5c")


class ImageProblem(ValueError):
    """A file that is not a PNG this module can read."""


@dataclass(frozen=True)
class BadgeFace:
    """The words on a badge image."""

    abbreviation: str
    title: str
    level: str
    issuer: str
    colour_key: str

    @classmethod
    def of(cls, info: AchievementInfo) -> "BadgeFace":
        """The face of an achievement's badge: programme abbreviation, name, level and issuer."""
        return cls(info.abbreviation, info.name, info.level, info.issuer.abbreviation, info.issuer.id)


def colour_for(key: str) -> str:
    """A stable dark colour for an issuer."""
    return PALETTE[int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % len(PALETTE)]


def _attribute(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _text(x: float, y: float, content: str, *, size: int, fill: str, weight: str = "normal",
          spacing: float = 0) -> str:
    return (f'<text x="{x}" y="{y}" text-anchor="middle" font-family="{FONT}" font-size="{size}" '
            f'font-weight="{weight}" letter-spacing="{spacing}" fill="{fill}">{escape(content)}</text>')


def badge_svg(face: BadgeFace) -> str:
    """The badge as a square SVG (400 x 400) with its text escaped."""
    colour = colour_for(face.colour_key)
    middle = SIZE / 2
    title_lines = textwrap.wrap(face.title, width=24)[:3] or [""]
    abbreviation_size = 84 if len(face.abbreviation) <= 4 else max(40, int(84 * 4 / len(face.abbreviation)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" '
        f'role="img" aria-label="{_attribute(f"{face.abbreviation} badge: {face.title}, {face.level}")}">',
        f"<title>{escape(face.abbreviation)}: {escape(face.title)} ({escape(face.level)}), {escape(face.issuer)}</title>",
        f'<circle cx="{middle}" cy="{middle}" r="196" fill="{colour}"/>',
        f'<circle cx="{middle}" cy="{middle}" r="178" fill="none" stroke="#ffffff" stroke-width="4"/>',
        f'<circle cx="{middle}" cy="{middle}" r="164" fill="#ffffff"/>',
        _text(middle, 92, face.issuer, size=22, fill=colour, weight="bold", spacing=3),
        _text(middle, 178, face.abbreviation, size=abbreviation_size, fill=colour, weight="bold"),
    ]
    first_line_y = 214
    for number, line in enumerate(title_lines):
        parts.append(_text(middle, first_line_y + number * 24, line, size=19, fill="#1b1f24"))
    parts.append(f'<rect x="36" y="290" width="{SIZE - 72}" height="50" rx="8" fill="{colour}"/>')
    parts.append(_text(middle, 323, face.level, size=22, fill="#ffffff", weight="bold"))
    parts.append("</svg>")
    return "\n".join(parts)


@lru_cache(maxsize=64)
def render_png(svg: str) -> bytes:
    """The SVG rendered to PNG."""
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(svg_string=svg))


def badge_png(face: BadgeFace) -> bytes:
    """The badge rendered to PNG, not baked."""
    return render_png(badge_svg(face))


# --------------------------------------------------------------------------------------------- PNG chunks


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise ImageProblem("the file is not a PNG image")
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset < len(png):
        if offset + 8 > len(png):
            raise ImageProblem("the PNG ends inside a chunk header")
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        data = png[offset + 8:offset + 8 + length]
        if len(data) != length or offset + 12 + length > len(png):
            raise ImageProblem("the PNG ends inside a chunk")
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length])
        if crc != zlib.crc32(kind + data):
            raise ImageProblem(f"the PNG chunk {kind.decode('latin-1')} is damaged (CRC mismatch)")
        chunks.append((kind, data))
        offset += 12 + length
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise ImageProblem("the PNG does not start with IHDR and end with IEND")
    return chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _itxt_keyword(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("latin-1")


def bake(png: bytes, keyword: str, text: str) -> bytes:
    """`png` with one uncompressed iTXt chunk `keyword` holding `text` (replacing any earlier one)."""
    chunks = [(kind, data) for kind, data in _chunks(png) if not (kind == b"iTXt" and _itxt_keyword(data) == keyword)]
    # keyword, NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL, text
    payload = keyword.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    out = [PNG_SIGNATURE, _chunk(*chunks[0]), _chunk(b"iTXt", payload)]
    out.extend(_chunk(kind, data) for kind, data in chunks[1:])
    return b"".join(out)


def unbake(png: bytes, keyword: str) -> str | None:
    """The text of the iTXt chunk `keyword` in `png`, or None when it has none."""
    for kind, data in _chunks(png):
        if kind != b"iTXt" or _itxt_keyword(data) != keyword:
            continue
        rest = data[len(keyword) + 1:]
        if len(rest) < 2:
            raise ImageProblem(f"the {keyword} chunk is truncated")
        compressed = rest[0] == 1
        rest = rest[2:]
        _language, rest = rest.split(b"\0", 1)
        _translated, text = rest.split(b"\0", 1)
        return (zlib.decompress(text) if compressed else text).decode("utf-8")
    return None


def baked_ob2(png: bytes, assertion_url: str) -> bytes:
    """A badge PNG baked with its hosted Open Badges 2.0 assertion URL."""
    return bake(png, OB2_KEYWORD, assertion_url)


def baked_ob3(png: bytes, credential_jwt: str) -> bytes:
    """A badge PNG baked with its Open Badges 3.0 credential (compact VC-JWT)."""
    return bake(png, OB3_KEYWORD, credential_jwt)
