"""PNG and APNG (W3C PNG 3rd edition §5, §11): chunks, their text, and the metadata they hold.

A PNG is a signature and chunks: length (at most 2^31 - 1), type, data, CRC-32
of type and data. :func:`chunks` walks them through ``IEND``. Strict (strip):
every CRC and type is checked, the first chunk must be ``IHDR`` and a chunk
running past the end or a missing ``IEND`` is ``CorruptImage``. Lenient
(extract, the check before Pillow): CRCs are not checked and the walk stops at
a chunk that runs past the end (yielded with ``truncated``).

Compressed text (``zTXt``, ``iTXt``) and ``iCCP`` inflate through one
:class:`~.inflate.Inflater` per file: a zlib bomb is ``DecompressionBomb``
wherever it sits. :func:`for_pillow` runs that check before Pillow opens a
PNG and hides from Pillow the chunks its own text limit would refuse (a valid
1 MB ``iCCP``): their contents are metadata, never pixels.

:func:`read` collects ``eXIf``, ``iCCP``, ``iTXt``/``tEXt``/``zTXt`` (XMP and
ImageMagick "Raw profile" text), ``pHYs``, ``acTL``, ``IHDR`` and ``tRNS``.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from common.errors import CorruptImage

from .blocks import Blocks, text
from .inflate import Inflater
from .photoshop import photoshop_iptc

SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})
XMP_KEYWORD = b"XML:com.adobe.xmp"
_RAW_PROFILE = re.compile(rb"\s*([^\n]*)\n\s*(\d+)\s*\n(.*)", re.S)


@dataclass(frozen=True)
class Chunk:
    """A chunk: ``data[start:end]`` is length, type, data and CRC."""

    type: bytes
    start: int
    end: int
    truncated: bool = False  # (lenient) it runs past the end of the file

    @property
    def body(self) -> slice:
        return slice(self.start + 8, self.end - 4)


def name(kind: bytes) -> str:
    """A chunk type as people read it (hex when it is not four letters)."""
    return kind.decode("ascii") if kind.isalpha() and kind.isascii() else kind.hex()


def chunks(data: bytes, *, strict: bool = True) -> Iterator[Chunk]:
    """The chunks after the signature, through ``IEND`` (yielded last)."""
    view = memoryview(data)
    pos = len(SIGNATURE)
    while True:
        if pos + 12 > len(data):
            if strict:
                raise CorruptImage(f"truncated PNG: no IEND chunk (file ends at {len(data)})")
            return
        length, kind = struct.unpack_from(">L4s", data, pos)
        end = pos + 12 + length
        if strict:
            _check(data, view, pos, kind, length, end)
        elif end > len(data):
            yield Chunk(kind, pos, len(data), truncated=True)
            return
        yield Chunk(kind, pos, end)
        if kind == b"IEND":
            return
        pos = end


def _check(data: bytes, view: memoryview, pos: int, kind: bytes, length: int, end: int) -> None:
    if length > 0x7FFFFFFF or end > len(data):
        raise CorruptImage(
            f"PNG chunk {name(kind)} at offset {pos} declares {length} bytes, "
            "past the end of the file"
        )
    if not all(65 <= c <= 90 or 97 <= c <= 122 for c in kind):
        raise CorruptImage(f"PNG chunk at offset {pos} has an invalid type (0x{kind.hex()})")
    if pos == len(SIGNATURE) and kind != b"IHDR":
        raise CorruptImage("PNG does not start with an IHDR chunk")
    (crc,) = struct.unpack_from(">L", data, end - 4)
    if zlib.crc32(view[pos + 4 : end - 4]) != crc:
        raise CorruptImage(f"PNG chunk {name(kind)} at offset {pos} has a bad CRC")


Inflate = Callable[[bytes, str], bytes]


def compressed_part(kind: bytes, body: bytes) -> bytes | None:
    """The zlib stream of a ``zTXt``, compressed ``iTXt`` or ``iCCP`` chunk (``None`` when the
    chunk holds none or is malformed)."""
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not keyword:
        return None
    if kind in (b"zTXt", b"iCCP"):
        return rest[1:] if kind == b"zTXt" or len(keyword) < 80 else None
    if kind == b"iTXt" and rest[:1] not in (b"", b"\x00"):
        parts = rest[2:].split(b"\x00", 2)
        return parts[2] if len(parts) == 3 else None
    return None


def text_chunk(kind: bytes, body: bytes, inflate: Inflate) -> tuple[bytes, bytes | None]:
    """Keyword and text of a ``tEXt``/``zTXt``/``iTXt`` chunk; the text is ``None`` when it
    cannot be read (no keyword, broken zlib). A zlib bomb raises ``DecompressionBomb``."""
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not keyword:
        return keyword, None
    if kind == b"tEXt":
        return keyword, rest
    stream = compressed_part(kind, body)
    if stream is None:  # iTXt stored uncompressed (or malformed)
        parts = rest[2:].split(b"\x00", 2)
        return keyword, parts[2] if kind == b"iTXt" and len(parts) == 3 else None
    try:
        return keyword, inflate(stream, kind.decode())
    except zlib.error:
        return keyword, None


def icc_chunk(body: bytes, inflate: Inflate) -> tuple[str, bytes | None] | None:
    """Profile name and inflated profile of an ``iCCP`` chunk (profile ``None`` when its zlib
    stream is broken); ``None`` when the chunk is malformed."""
    nul = body.find(b"\x00")
    if not 0 < nul < 80 or nul + 2 > len(body):
        return None
    try:
        profile = inflate(body[nul + 2 :], "iCCP")
    except zlib.error:
        profile = None
    return body[:nul].decode("latin-1"), profile


def raw_profile(text: bytes) -> bytes | None:
    """ImageMagick's "Raw profile" text (newline, name, decimal length, hex digits) as bytes."""
    m = _RAW_PROFILE.match(text)
    if not m:
        return None
    digits = re.sub(rb"\s+", b"", m.group(3))
    try:
        return bytes.fromhex(digits.decode("ascii"))[: int(m.group(2))]
    except ValueError:
        return None


def for_pillow(data: bytes, text_limit: int, text_memory: int) -> bytes:
    """``data`` as Pillow should see it: ``DecompressionBomb`` for a zlib bomb in any text or
    ``iCCP`` chunk, and without the chunks Pillow would refuse in a valid file: one that
    inflates beyond ``text_limit``, or text beyond ``text_memory`` in all (its
    ``MAX_TEXT_CHUNK`` and ``MAX_TEXT_MEMORY``). Unchanged, and not copied, in the usual case;
    sizes are counted without keeping what is inflated."""
    inflate = Inflater()
    cuts, text_total = [], 0
    for chunk in chunks(data, strict=False):
        if chunk.truncated:
            break
        if chunk.type not in (b"iCCP", *TEXT):
            continue
        body = data[chunk.body]
        stream = compressed_part(chunk.type, body)
        try:
            size = len(body) if stream is None else inflate.measure(stream, chunk.type.decode())
        except zlib.error:
            continue
        if chunk.type != b"iCCP":
            text_total += size
        if size > text_limit or text_total > text_memory:
            cuts.append((chunk.start, chunk.end))
            text_total -= size if chunk.type != b"iCCP" else 0
    if not cuts:
        return data
    view, kept, pos = memoryview(data), [], 0
    for start, end in cuts:
        kept.append(view[pos:start])
        pos = end
    kept.append(view[pos:])
    return b"".join(kept)


def read(data: bytes) -> Blocks:
    """The metadata of a PNG (lenient; ``IDAT`` contents are skipped by length)."""
    blocks = Blocks()
    info = blocks.info
    seen_idat = False
    blocks.truncated = True  # until IEND is met
    for chunk in chunks(data, strict=False):
        if chunk.truncated:
            break
        if chunk.type == b"IEND":
            blocks.truncated = False
        kind, body, start = chunk.type, data[chunk.body], chunk.start + 8
        if kind == b"IHDR" and len(body) >= 13:
            w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body[:13])
            info.update(width=w, height=h, bit_depth=depth, color_type=color, interlace=interlace)
        elif kind == b"IDAT":
            seen_idat = True
        elif kind == b"tRNS":
            info["trns"] = True
        elif kind == b"pHYs" and len(body) >= 9:
            x, y, unit = struct.unpack(">IIB", body[:9])
            info["phys"] = {"x": x, "y": y, "unit": unit}
        elif kind == b"acTL" and len(body) >= 8:
            info["apng_frames"] = struct.unpack(">I", body[:4])[0]
        elif kind == b"eXIf":
            skip = 6 if body.startswith(b"Exif\x00\x00") else 0
            blocks.exif.append((body[skip:], start + skip))
            info["exif_after_idat"] = seen_idat
        elif kind == b"iCCP":
            _icc(body, blocks)
        elif kind in TEXT:
            _text(kind, body, blocks)
    return blocks


def _icc(body: bytes, blocks: Blocks) -> None:
    found = icc_chunk(body, blocks.inflate)
    if found is None:
        return
    blocks.info["icc_name"], profile = found
    if profile is None:
        blocks.info["icc_error"] = True
    else:
        blocks.icc = profile


def _text(kind: bytes, body: bytes, blocks: Blocks) -> None:
    raw_keyword, value = text_chunk(kind, body, blocks.inflate)
    if value is None:
        return
    keyword = raw_keyword.decode("latin-1")
    if raw_keyword == XMP_KEYWORD:
        blocks.xmp.append(value)
    elif keyword.startswith("Raw profile type "):
        _raw(keyword[len("Raw profile type ") :].lower(), raw_profile(value), blocks)
    else:
        if keyword.lower() == "comment":
            blocks.comments.append(text(value))
        blocks.info.setdefault("text", {})[keyword] = text(value)


def _raw(profile: str, raw: bytes | None, blocks: Blocks) -> None:
    if raw is None:
        return
    if profile in ("exif", "app1"):
        blocks.exif.append((raw[6:] if raw[:6] == b"Exif\x00\x00" else raw, -1))
    elif profile == "xmp":
        blocks.xmp.append(raw)
    elif profile == "iptc":
        blocks.iptc = photoshop_iptc(raw) if raw.startswith(b"8BIM") else raw
    elif profile in ("icc", "icm") and blocks.icc is None:
        blocks.icc = raw
