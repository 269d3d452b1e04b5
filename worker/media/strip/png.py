"""PNG and APNG: drop text, time, EXIF and private chunks; keep what decoding and colour need.

PNG (W3C PNG 3rd edition §5) is a signature and chunks: length (at most
2^31 - 1), type, data, CRC-32 of type and data. Every CRC is checked. Critical
chunks (upper-case first letter: IHDR, PLTE, IDAT, IEND, ...) are kept, as are
the ancillary chunks that change how pixels look (transparency, gamma,
chromaticities, sRGB, significant bits, background, physical size, cICP and
HDR mastering data), the APNG animation chunks (acTL, fcTL, fdAT) and iCCP
when ``icc`` is kept. ``tEXt zTXt iTXt eXIf tIME`` and every other ancillary
chunk (private ones such as Apple's ``iDOT``, C2PA ``caBX``) go, and so does
anything after IEND. When orientation or credits are kept they move into a
minimal ``eXIf`` chunk written right after IHDR.
"""

from __future__ import annotations

import struct
import zlib

from common.errors import CorruptImage

from .exif import minimal_exif
from .report import Report
from .sources import Sources

SIGNATURE = b"\x89PNG\r\n\x1a\n"
RENDERING = frozenset(
    {b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs", b"cICP", b"mDCV", b"cLLI"}
    | {b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT"}
)
TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})
MAX_TEXT = 1 << 24  # inflate at most 16 MiB of a compressed text chunk when reading it
XMP_KEYWORD = b"XML:com.adobe.xmp"


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """The PNG without metadata chunks; ``report`` says what went."""
    view = memoryview(data)
    sources = Sources()
    kept: list[memoryview | bytes] = [view[:8]]
    pos = 8
    while True:
        kind, end = _chunk(data, view, pos)
        chunk = view[pos:end]
        if kind[0] & 0x20 == 0 or kind in RENDERING:  # critical (bit 5 clear) or needed to render
            kept.append(chunk)
        elif kind == b"iCCP" and "icc" in keep:
            report.keep("icc")
            kept.append(chunk)
        else:
            _drop(kind, chunk, report, sources)
        pos = end
        if kind == b"IEND":
            break
    if pos < len(data):
        report.remove("data after IEND", len(data) - pos, "vendor")
    exif_chunk = _exif_chunk(minimal_exif(sources.read(report, keep), keep, report))
    report.replaced("eXIf", sources.exif_removals, exif_chunk)
    if exif_chunk is not None:
        kept.insert(2, exif_chunk)
    return b"".join(kept)


def _chunk(data: bytes, view: memoryview, pos: int) -> tuple[bytes, int]:
    """The type of the chunk at ``pos`` and where it ends, after checking its length and CRC."""
    if pos + 12 > len(data):
        raise CorruptImage(f"truncated PNG: no IEND chunk (file ends at {len(data)})")
    length, kind = struct.unpack_from(">L4s", data, pos)
    end = pos + 12 + length
    if length > 0x7FFFFFFF or end > len(data):
        raise CorruptImage(
            f"PNG chunk {kind!r} at offset {pos} declares {length} bytes, past the end of the file"
        )
    if not all(65 <= c <= 90 or 97 <= c <= 122 for c in kind):
        raise CorruptImage(f"PNG chunk at offset {pos} has an invalid type {kind!r}")
    if pos == 8 and kind != b"IHDR":
        raise CorruptImage("PNG does not start with an IHDR chunk")
    (crc,) = struct.unpack_from(">L", data, end - 4)
    if zlib.crc32(view[pos + 4 : end - 4]) != crc:
        raise CorruptImage(f"PNG chunk {kind.decode()} at offset {pos} has a bad CRC")
    return kind, end


def _drop(kind: bytes, chunk: memoryview, report: Report, sources: Sources) -> None:
    """Record a dropped ancillary chunk and collect what it says for ``keep``."""
    name = kind.decode("ascii")
    body = chunk[8:-4]
    if kind == b"eXIf":
        sources.add_exif(body, chunk, report)
    elif kind in TEXT:
        report.remove(name, len(chunk), _read_text(kind, bytes(body), sources))
    elif kind == b"iCCP":
        report.remove(name, len(chunk), "icc")
    elif kind == b"tIME":
        report.remove(name, len(chunk), "time")
    else:
        report.remove(name, len(chunk), "vendor")


def _read_text(kind: bytes, body: bytes, sources: Sources) -> str:
    """The group a text chunk belongs to; its XMP, EXIF or credits go to ``sources``.

    ImageMagick stores EXIF, IPTC and XMP as hex in "Raw profile type ..."
    text chunks (and Pillow reads the EXIF one), so those count as such.
    """
    keyword, text = _text(kind, body)
    lowered = keyword.lower()
    if keyword == XMP_KEYWORD or lowered == b"raw profile type xmp":
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


def _text(kind: bytes, body: bytes) -> tuple[bytes, bytes]:
    """Keyword and text of a ``tEXt``/``zTXt``/``iTXt`` chunk (text empty if it can't be read)."""
    keyword, _, rest = body.partition(b"\x00")
    if kind == b"tEXt":
        return keyword, rest
    if kind == b"zTXt":
        return keyword, _inflate(rest[1:])
    compressed = rest[:1] == b"\x01"
    _language, _, rest = rest[2:].partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    return keyword, _inflate(text) if compressed else text


def _inflate(data: bytes) -> bytes:
    """At most ``MAX_TEXT`` bytes of zlib data; nothing if it is broken."""
    try:
        return zlib.decompressobj().decompress(data, MAX_TEXT)
    except zlib.error:
        return b""


def _raw_profile(text: bytes) -> bytes:
    """ImageMagick's raw profile: newline, name, length, then the bytes in hex lines."""
    lines = text.split(b"\n")
    try:
        return bytes.fromhex(b"".join(lines[3:]).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return b""


def _exif_chunk(tiff: bytes | None) -> bytes | None:
    if tiff is None:
        return None
    body = b"eXIf" + tiff
    return struct.pack(">L", len(tiff)) + body + struct.pack(">L", zlib.crc32(body))
