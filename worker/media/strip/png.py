"""PNG and APNG: drop text, time, EXIF and private chunks; keep what decoding and colour need.

PNG (W3C PNG 3rd edition §5) is a signature and chunks: length (at most
2^31 - 1), type, data, CRC-32 of type and data. Every CRC is checked. Critical
chunks (upper-case first letter: IHDR, PLTE, IDAT, IEND, ...) are kept, as are
the ancillary chunks that change how pixels look (transparency, gamma,
chromaticities, sRGB, significant bits, background, physical size, cICP and
HDR mastering data), the APNG animation chunks (acTL, fcTL, fdAT) and iCCP
when ``icc`` is kept. ``tEXt zTXt iTXt eXIf tIME`` and every other ancillary
chunk (private ones such as Apple's ``iDOT``, C2PA ``caBX``) go, and so does
anything after IEND. The chunks come from the strict PNG reader
(:mod:`worker.media.containers.png`: every CRC checked), and compressed text
inflates within its per-file budget (a zlib bomb is ``decompression_bomb``).
When orientation or credits are kept they move into a
minimal ``eXIf`` chunk written right after IHDR.
"""

from __future__ import annotations

import contextlib
import struct
import zlib

from worker.media.containers import png as container
from worker.media.containers.inflate import Inflater

from .exif import minimal_exif
from .report import Report
from .sources import Sources

SIGNATURE = b"\x89PNG\r\n\x1a\n"
RENDERING = frozenset(
    {b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs", b"cICP", b"mDCV", b"cLLI"}
    | {b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT"}
)
TEXT = container.TEXT


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """The PNG without metadata chunks; ``report`` says what went."""
    view = memoryview(data)
    sources = Sources()
    inflate = Inflater()
    kept: list[memoryview | bytes] = [view[:8]]
    pos = 8
    for chunk in container.chunks(data, strict=True):
        kind, piece = chunk.type, view[chunk.start : chunk.end]
        if kind[0] & 0x20 == 0 or kind in RENDERING:  # critical (bit 5 clear) or needed to render
            kept.append(piece)
        elif kind == b"iCCP" and "icc" in keep:
            _check_icc(bytes(piece[8:-4]), inflate)  # a zlib bomb is not kept
            report.keep("icc")
            kept.append(piece)
        else:
            _drop(kind, piece, report, sources, inflate)
        pos = chunk.end
    if pos < len(data):
        report.remove("data after IEND", len(data) - pos, "vendor")
    exif_chunk = _exif_chunk(minimal_exif(sources.read(report, keep), keep, report))
    report.replaced("eXIf", sources.exif_removals, exif_chunk)
    if exif_chunk is not None:
        kept.insert(2, exif_chunk)
    return b"".join(kept)


def _drop(
    kind: bytes, chunk: memoryview, report: Report, sources: Sources, inflate: Inflater
) -> None:
    """Record a dropped ancillary chunk and collect what it says for ``keep``."""
    name = container.name(kind)
    body = chunk[8:-4]
    if kind == b"eXIf":
        sources.add_exif(body, chunk, report)
    elif kind in TEXT:
        report.remove(name, len(chunk), _read_text(kind, bytes(body), sources, inflate))
    elif kind == b"iCCP":
        _check_icc(bytes(body), inflate)  # a zlib bomb is one here too
        report.remove(name, len(chunk), "icc")
    elif kind == b"tIME":
        report.remove(name, len(chunk), "time")
    else:
        report.remove(name, len(chunk), "vendor")


def _check_icc(body: bytes, inflate: Inflater) -> None:
    """Count what the profile inflates to (a bomb raises ``DecompressionBomb``), keeping none."""
    stream = container.compressed_part(b"iCCP", body)
    with contextlib.suppress(zlib.error):
        inflate.measure(stream or b"", "iCCP")


def _read_text(kind: bytes, body: bytes, sources: Sources, inflate: Inflater) -> str:
    """The group a text chunk belongs to; its XMP, EXIF or credits go to ``sources``.

    ImageMagick stores EXIF, IPTC and XMP as hex in "Raw profile type ..."
    text chunks (and Pillow reads the EXIF one), so those count as such.
    """
    keyword, value = container.text_chunk(kind, body, inflate)
    text = value or b""
    lowered = keyword.lower()
    if keyword == container.XMP_KEYWORD or lowered == b"raw profile type xmp":
        sources.xmp.append(_raw_profile(text) if lowered.startswith(b"raw") else text)
        return "xmp"
    if lowered in (b"raw profile type exif", b"raw profile type app1"):
        sources.exif.append(_raw_profile(text))
        return "exif"
    if lowered in (b"raw profile type iptc", b"raw profile type 8bim"):
        raw = _raw_profile(text)
        (sources.photoshop if raw[:4] == b"8BIM" else sources.iptc).append(raw)
        return "iptc"
    if lowered in (b"author", b"copyright"):
        credit = text.strip() or None
        sources.credits.append((credit, None) if lowered == b"author" else (None, credit))
        return "copyright"
    return "comment" if lowered in (b"comment", b"description") else "text"


def _raw_profile(text: bytes) -> bytes:
    """ImageMagick's raw profile as bytes (empty when it cannot be read)."""
    return container.raw_profile(text) or b""


def _exif_chunk(tiff: bytes | None) -> bytes | None:
    if tiff is None:
        return None
    body = b"eXIf" + tiff
    return struct.pack(">L", len(tiff)) + body + struct.pack(">L", zlib.crc32(body))
