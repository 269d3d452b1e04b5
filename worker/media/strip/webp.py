"""WebP: rewrite the RIFF container without EXIF and XMP chunks; fix the VP8X flags and RIFF size.

Google's "WebP Container Specification": ``RIFF``, a little-endian size (of
everything after it), ``WEBP``, then chunks (FourCC, size, payload, a pad byte
when the size is odd). A simple file is one ``VP8 ``/``VP8L`` chunk; an
extended one starts with ``VP8X``, whose flags byte says which of ICC (0x20),
alpha (0x10), EXIF (0x08), XMP (0x04) and animation (0x02) are present.
Image chunks (``VP8 VP8L ALPH ANIM ANMF``) are copied as they are, so lossy,
lossless, alpha and animated files stay what they were; ``ICCP`` stays when
``icc`` is kept; a minimal ``EXIF`` chunk is appended when orientation or
credits are kept (extended files only: a simple file has no flags to announce it).
The chunks come from the strict RIFF reader (:mod:`worker.media.containers.webp`).
"""

from __future__ import annotations

import struct

from common.errors import CorruptImage
from worker.media.containers import webp as container

from .exif import minimal_exif
from .report import Report
from .sources import Sources

IMAGE = frozenset({b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"})
ICC_FLAG, EXIF_FLAG, XMP_FLAG = 0x20, 0x08, 0x04


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """The WebP without metadata chunks; ``report`` says what went."""
    view = memoryview(data)
    end = container.riff_end(data, strict=True)
    chunks: list[memoryview | bytes] = []
    sources = Sources()
    has_icc = False
    for part in container.chunks(data, end, strict=True):
        fourcc, chunk = part.fourcc, view[part.start : part.end]
        if part.truncated:  # an odd last chunk without its pad byte: pad it
            chunk = bytes(chunk) + b"\x00"
        if fourcc in IMAGE or (fourcc == b"VP8X" and not chunks):
            chunks.append(chunk)
        elif fourcc == b"ICCP" and "icc" in keep:
            report.keep("icc")
            chunks.append(chunk)
            has_icc = True
        elif fourcc == b"EXIF":
            sources.add_exif(chunk[8:], chunk, report)
        else:
            groups = {b"ICCP": "icc", b"XMP ": "xmp"}
            report.remove(
                fourcc.decode("latin-1").strip(), len(chunk), groups.get(fourcc, "vendor")
            )
            if fourcc == b"XMP ":
                sources.xmp.append(chunk[8:])
    if end < len(data):
        report.remove("data after RIFF", len(data) - end, "vendor")
    extended = bool(chunks) and bytes(chunks[0][:4]) == b"VP8X"
    tiff = minimal_exif(sources.read(report, keep), keep if extended else frozenset(), report)
    exif_chunk = _exif_chunk(tiff)
    report.replaced("EXIF", sources.exif_removals, exif_chunk)
    if exif_chunk is not None:
        chunks.append(exif_chunk)
    if extended:
        chunks[0] = _vp8x(chunks[0], has_icc, exif_chunk is not None)
    body = b"".join([b"WEBP", *chunks])
    return b"RIFF" + struct.pack("<L", len(body)) + body


def _exif_chunk(tiff: bytes | None) -> bytes | None:
    if tiff is None:
        return None
    pad = b"\x00" * (len(tiff) & 1)
    return b"EXIF" + struct.pack("<L", len(tiff)) + tiff + pad


def _vp8x(chunk: memoryview | bytes, icc: bool, exif: bool) -> bytes:
    """The VP8X chunk with the ICC, EXIF and XMP flags saying what the output holds."""
    if len(chunk) < 18:
        raise CorruptImage("WebP VP8X chunk is shorter than 10 bytes")
    flags = chunk[8] & ~(ICC_FLAG | EXIF_FLAG | XMP_FLAG)
    flags |= (ICC_FLAG if icc else 0) | (EXIF_FLAG if exif else 0)
    return bytes(chunk[:8]) + bytes([flags]) + bytes(chunk[9:])
