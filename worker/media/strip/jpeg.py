"""JPEG: drop the APPn and COM segments decoding doesn't need; copy the scans byte for byte.

ITU-T T.81 Annex B: a JPEG file is SOI, marker segments (``FF xx``, a 2-byte
length counting itself, a payload), one or more scans (SOS and entropy-coded
data, in which ``FF`` is always followed by ``00`` or an RSTn) and EOI. We
keep what decoding needs (SOFn, DHT, DQT, DRI, DAC, DNL, SOS, every other
non-APP marker), JFIF APP0 (pixel density; its thumbnail is removed), APP14
Adobe (it decides the YCbCr/YCCK colour transform, Adobe TN 5116) and, when
``icc`` is kept, the ICC_PROFILE APP2 chunks (ICC.1 Annex B.4). Everything
else that describes a person or a camera goes: Exif, XMP and Extended XMP in
APP1, MPF and FlashPix in APP2, Photoshop/IPTC in APP13, vendor APPn, COM, and
whatever follows EOI (the extra images of MPF files, phone trailers).

The segments come from the strict JPEG reader
(:mod:`worker.media.containers.jpeg`). Speed: the entropy-coded data is never
walked byte by byte in Python (a compiled pattern finds the next real marker,
> 1 GB/s) and the scans are ``memoryview`` slices of the input: :func:`pieces` returns the
output as such slices (``strip_metadata`` joins them once; ``strip_file`` hands them
to ``os.writev`` from a memory-mapped input). Everything here works on any
buffer that indexes to ints and slices to bytes: ``bytes`` or ``mmap``.
"""

from __future__ import annotations

from mmap import mmap

from common.errors import CorruptImage
from worker.media.containers import jpeg as container
from worker.media.containers.jpeg import (
    APP0,
    APP1,
    APP2,
    APP13,
    APP14,
    COM,
    EOI,
    SOS,
    STANDALONE,
    Segment,
)

from .exif import JPEG_PREFIX, Retained, minimal_exif
from .report import Report
from .sources import Sources

JFIF = container.JFIF_SIG
XMP = container.XMP_SIG
EXTENDED_XMP = container.XMP_EXT_SIG
ICC = container.ICC_SIG
PHOTOSHOP = container.PHOTOSHOP_SIG
JFIF_WITHOUT_THUMBNAIL = 14  # JFIF 1.02: identifier, version, units, densities, 0x0 thumbnail


def pieces(data: bytes | mmap, keep: frozenset[str], report: Report) -> list[bytes | memoryview]:
    """The cleaned JPEG as consecutive pieces: views of ``data`` and the few bytes rewritten."""
    view = memoryview(data)
    sources = Sources()
    head: list[bytes | memoryview] = []
    sos = None
    for segment in container.segments(data, strict=True):
        if segment.junk:
            report.remove("junk", segment.junk)
        if segment.marker == SOS:
            sos = segment
            break
        if segment.marker == EOI:
            raise CorruptImage("JPEG has no image data: EOI comes before any SOS")
        if segment.marker in STANDALONE:
            continue
        kept = _segment(segment.marker, view[segment.start : segment.end], keep, report, sources)
        if kept is not None:
            head.append(kept)
    if sos is None:
        raise CorruptImage("JPEG has no image data")
    scans, end = _scans(data, view, sos, keep, report, sources)
    _trailer(data, end, report)
    exif_segment = _exif_segment(sources.read(report, keep), keep, report, sources)
    if exif_segment is not None:
        after_jfif = head and bytes(head[0][:2]) == b"\xff\xe0" and bytes(head[0][4:9]) == JFIF
        head.insert(1 if after_jfif else 0, exif_segment)
    return [b"\xff\xd8", *head, *scans]


def _segment(
    marker: int, segment: memoryview, keep: frozenset[str], report: Report, sources: Sources
) -> bytes | memoryview | None:
    """The segment to write (itself or a cleaned copy), or ``None`` to drop it."""
    payload = segment[4:]
    if marker == APP0 and payload[:5] == JFIF:
        return _jfif(segment, report)
    if marker == APP14 and payload[:5] == b"Adobe":
        return segment
    if marker == APP2 and payload[:12] == ICC:
        if "icc" in keep:
            report.keep("icc")
            return segment
        report.remove("APP2 ICC_PROFILE", len(segment), "icc")
        return None
    if marker == APP1 and payload[:5] == JPEG_PREFIX[:5]:
        sources.add_exif(payload[6:], segment, report)
        return None
    if marker == APP1 and payload[: len(XMP)] == XMP:
        sources.xmp.append(payload[len(XMP) :])
        report.remove("APP1 XMP", len(segment), "xmp")
        return None
    if marker == APP13 and payload[: len(PHOTOSHOP)] == PHOTOSHOP:
        sources.photoshop.append(payload[len(PHOTOSHOP) :])
        report.remove("APP13 Photoshop", len(segment))
        return None
    if 0xE0 <= marker <= 0xEF or marker == COM:
        kind, group = _describe(marker, payload)
        report.remove(kind, len(segment), group)
        return None
    return segment


def _describe(marker: int, payload: memoryview) -> tuple[str, str]:
    """A name and a metadata group for a dropped APPn or COM segment."""
    if marker == COM:
        return "COM", "comment"
    if payload[: len(EXTENDED_XMP)] == EXTENDED_XMP:
        return "APP1 ExtendedXMP", "xmp"
    name = bytes(payload[:40]).split(b"\x00", 1)[0]
    label = name.decode("ascii") if name and all(32 <= byte < 127 for byte in name) else ""
    groups = {b"MPF": "mpf", b"FPXR": "flashpix", b"JFXX": "thumbnail"}
    return f"APP{marker - 0xE0} {label}".strip(), groups.get(name, "vendor")


def _jfif(segment: memoryview, report: Report) -> bytes | memoryview:
    """The JFIF APP0 segment without its thumbnail (which shows the picture before any crop)."""
    length = 2 + JFIF_WITHOUT_THUMBNAIL
    if len(segment) <= 2 + length:
        return segment
    report.remove("APP0 JFIF thumbnail", len(segment) - 2 - length, "thumbnail")
    return b"\xff\xe0" + length.to_bytes(2, "big") + bytes(segment[4:16]) + b"\x00\x00"


def _scans(
    data: bytes,
    view: memoryview,
    sos: Segment,
    keep: frozenset[str],
    report: Report,
    sources: Sources,
) -> tuple[list[memoryview | bytes], int]:
    """The image data from the first SOS through EOI, as slices; and where it ends.

    Between scans of a progressive file only tables may appear (T.81 B.2.4),
    yet APPn/COM segments are legal there too and are dropped like the others.
    """
    pieces: list[memoryview | bytes] = []
    copy_from = sos.start
    for segment in container.scan_markers(data, sos):
        if segment.marker == EOI:
            pieces.append(view[copy_from : segment.end])
            return pieces, segment.end
        if 0xE0 <= segment.marker <= 0xEF or segment.marker == COM:
            pieces.append(view[copy_from : segment.start])
            piece = view[segment.start : segment.end]
            kept = _segment(segment.marker, piece, keep, report, sources)
            if kept is not None:
                pieces.append(kept)
            copy_from = segment.end
    raise CorruptImage("truncated JPEG: the image data has no EOI marker")


def _trailer(data: bytes, end: int, report: Report) -> None:
    """Record what follows EOI: appended images (MPF, depth maps, gain maps) or a vendor trailer."""
    if end >= len(data):
        return
    if data[end : end + 3] == b"\xff\xd8\xff":
        report.remove("images after EOI", len(data) - end, "appendedImages")
    else:
        report.remove("trailing data", len(data) - end, "vendor")


def _exif_segment(
    retained: Retained, keep: frozenset[str], report: Report, sources: Sources
) -> bytes | None:
    """The minimal Exif APP1 segment; the input's Exif segments are reported as removed.

    An input segment identical to the one written is not reported (stripping
    an already stripped file removes nothing).
    """
    tiff = minimal_exif(retained, keep, report)
    segment = None
    if tiff is not None:
        payload = JPEG_PREFIX + tiff
        segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    report.replaced("APP1 Exif", sources.exif_removals, segment)
    return segment
