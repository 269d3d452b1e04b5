"""JPEG (ITU-T T.81 Annex B): marker segments before and between the scans, and their metadata.

A JPEG file is SOI, marker segments (``FF xx``, a 2-byte length counting
itself, a payload), one or more scans (SOS and entropy-coded data, in which
``FF`` is always followed by ``00`` or an RSTn) and EOI. :func:`segments`
walks the header up to the first SOS; :func:`scan_markers` walks what follows
it (the entropy-coded data is searched by a compiled pattern, never byte by
byte in Python). Both work on any buffer (``bytes`` or ``mmap``).

Strict (strip): a segment that runs past the end or a missing EOI is
``CorruptImage``. Lenient (extract): the walk stops there and the last segment
is marked ``truncated``. Junk before a marker is skipped as libjpeg skips it;
every step advances, so a walk is linear in the file size.

:func:`read` collects the metadata: APP1 ``Exif`` and XMP (+ extended XMP),
APP2 ``ICC_PROFILE`` chunks, APP13 Photoshop IRB (IPTC), APP0 JFIF density,
APP14 Adobe, COM, SOFn and DQT (EXIF 2.32 §4.5.4; XMP Part 3 §1.1.3; ICC.1 B.4).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from common.errors import CorruptImage

from .blocks import Blocks, text
from .photoshop import photoshop_iptc

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
APP0, APP1, APP2, APP13, APP14, COM, DQT = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE, 0xDB
STANDALONE = frozenset({0x01, SOI, EOI, *range(0xD0, 0xD8)})  # TEM, SOI, EOI, RSTn: no length
SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
# A marker inside or after entropy-coded data: FF not followed by a stuffed 00 or an RSTn.
NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
FILL = re.compile(rb"\xff+")

XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_SIG = b"http://ns.adobe.com/xmp/extension/\x00"
ICC_SIG = b"ICC_PROFILE\x00"
PHOTOSHOP_SIG = b"Photoshop 3.0\x00"
JFIF_SIG = b"JFIF\x00"


@dataclass(frozen=True)
class Segment:
    """A marker and its segment: ``data[start:end]`` (the payload starts at ``start + 4``)."""

    marker: int
    start: int
    end: int
    junk: int = 0  # bytes skipped before the marker
    truncated: bool = False  # (lenient) the segment runs past the end: ``end`` is the file's


def segments(data, pos: int = 2, *, strict: bool = True) -> Iterator[Segment]:
    """The segments from ``pos`` through the first SOS (yielded last) or EOI (yielded, in
    a file without image data). Stand-alone markers come as two-byte segments."""
    while True:
        start = next_marker(data, pos, strict=strict)
        if start < 0:
            return
        marker = data[start + 1]
        if marker in STANDALONE:
            yield Segment(marker, start, start + 2, start - pos)
            if marker == EOI:
                return
            pos = start + 2
            continue
        segment = _segment(data, start, start - pos, strict=strict)
        if segment is None:
            return
        yield segment
        if marker == SOS or segment.truncated:
            return
        pos = segment.end


def next_marker(data, pos: int, *, strict: bool = True) -> int:
    """Where the marker at or after ``pos`` starts (junk and fill bytes before it skipped);
    -1 (lenient) or ``CorruptImage`` (strict) when there is none."""
    if pos + 1 < len(data) and data[pos] == 0xFF and data[pos + 1] not in (0x00, 0xFF):
        return pos  # the usual case: the next segment starts right here
    start = pos
    while True:
        start = data.find(b"\xff", start)
        if start != -1:
            start = FILL.match(data, start).end() - 1  # the last FF of a fill run
        if start == -1 or start + 1 >= len(data):
            if strict:
                raise CorruptImage(f"truncated JPEG: no marker after offset {pos}")
            return -1
        if data[start + 1] != 0:
            return start
        start += 2


def _segment(data, start: int, junk: int, *, strict: bool) -> Segment | None:
    marker = data[start + 1]
    if start + 4 > len(data):
        if strict:
            raise CorruptImage(f"truncated JPEG: segment at offset {start} has no length")
        return None
    length = int.from_bytes(data[start + 2 : start + 4], "big")
    end = start + 2 + length
    if length >= 2 and end <= len(data):
        return Segment(marker, start, end, junk)
    if strict:
        raise CorruptImage(
            f"JPEG marker FF{marker:02X} at offset {start} declares {length} bytes, "
            f"past the end of the file ({len(data)} bytes)"
        )
    if length < 2:
        return Segment(marker, start, start + 4, junk, truncated=True)
    return Segment(marker, start, len(data), junk, truncated=True)


def scan_markers(data, sos: Segment) -> Iterator[Segment]:
    """The segments after the first scan's header, through EOI (yielded last): the other
    scans' SOS, tables and APPn/COM between scans (strict only)."""
    pos = sos.end
    while True:
        match = NEXT_MARKER.search(data, pos)
        start = -1 if match is None else FILL.match(data, match.start()).end() - 1
        if start == -1 or start + 1 >= len(data):
            raise CorruptImage("truncated JPEG: the image data has no EOI marker")
        marker = data[start + 1]
        if marker == 0 or 0xD0 <= marker <= 0xD7:  # fill bytes then stuffing: corrupt data, go on
            pos = start + 2
            continue
        if marker in STANDALONE:
            if marker == EOI:
                yield Segment(EOI, start, start + 2)
                return
            pos = start + 2
            continue
        segment = _segment(data, start, 0, strict=True)
        yield segment
        pos = segment.end


def read(data: bytes) -> Blocks:
    """The metadata of a JPEG, from its segments up to the first SOS (lenient)."""
    blocks = Blocks()
    info = blocks.info
    icc_chunks: dict[int, bytes] = {}
    irb = bytearray()
    qtables: dict[int, list[int]] = {}
    for segment in segments(data, strict=False):
        if segment.junk:
            info["junk"] = info.get("junk", 0) + segment.junk
        blocks.truncated |= segment.truncated
        marker, body = segment.marker, data[segment.start + 4 : segment.end]
        if marker == SOS:
            info["sos"] = True
        elif marker == EOI:
            info["eoi"] = True
        elif marker == APP1:
            _app1(body, segment.start + 4, blocks)
        elif marker == APP2 and body.startswith(ICC_SIG) and len(body) >= 14:
            icc_chunks.setdefault(body[12], body[14:])
        elif marker == APP13 and body.startswith(PHOTOSHOP_SIG):
            irb += body[len(PHOTOSHOP_SIG) :]
        elif marker in (APP0, APP14, COM):
            _app0_app14_com(marker, body, blocks)
        elif marker == DQT:
            _dqt(body, qtables)
        elif marker in SOF and len(body) >= 6:
            _sof(marker, body, info)
    if icc_chunks:
        blocks.icc = b"".join(icc_chunks[k] for k in sorted(icc_chunks))
    if irb:
        blocks.photoshop = bytes(irb)
        blocks.iptc = photoshop_iptc(blocks.photoshop)
    info["qtables"] = qtables
    if not (info.get("sos") or info.get("eoi")):
        blocks.truncated = True  # the file ends before any image data or EOI
    return blocks


def _u16(data: bytes, pos: int) -> int:
    return (data[pos] << 8) | data[pos + 1]


def _app1(body: bytes, start: int, blocks: Blocks) -> None:
    if body[:4] == b"Exif" and len(body) > 6:
        blocks.exif.append((body[6:], start + 6))
    elif body.startswith(XMP_SIG):
        blocks.xmp.append(body[len(XMP_SIG) :])
    elif body.startswith(XMP_EXT_SIG) and len(body) >= len(XMP_EXT_SIG) + 40:
        rest = body[len(XMP_EXT_SIG) :]
        guid = rest[:32].decode("latin-1")
        (offset,) = struct.unpack(">I", rest[36:40])
        blocks.xmp_extended.setdefault(guid, {})[offset] = rest[40:]


def _app0_app14_com(marker: int, body: bytes, blocks: Blocks) -> None:
    if marker == APP0 and body.startswith(JFIF_SIG) and len(body) >= 12:
        blocks.info["jfif"] = {"unit": body[7], "x": _u16(body, 8), "y": _u16(body, 10)}
    elif marker == APP14 and body.startswith(b"Adobe") and len(body) >= 12:
        blocks.info["adobe_transform"] = body[11]
    elif marker == COM:
        blocks.comments.append(text(body))


def _sof(marker: int, body: bytes, info: dict) -> None:
    info["sof"] = marker
    info["progressive"] = marker in PROGRESSIVE
    info["precision"] = body[0]
    info["height"] = _u16(body, 1)
    info["width"] = _u16(body, 3)
    info["components"] = body[5]


def _dqt(body: bytes, tables: dict[int, list[int]]) -> None:
    pos = 0
    while pos < len(body):
        pq, tq = body[pos] >> 4, body[pos] & 0x0F
        pos += 1
        size = 128 if pq else 64
        if pos + size > len(body):
            return
        if pq:
            values = list(struct.unpack(">64H", body[pos : pos + size]))
        else:
            values = list(body[pos : pos + size])
        tables[tq] = values
        pos += size
