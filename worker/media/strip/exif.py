"""EXIF blocks: what one reveals (groups, values ``keep`` may carry) and the minimal one we write.

An EXIF block is a TIFF structure (CIPA DC-008 "Exif 2.32" §4.6); in JPEG it
follows ``Exif\\0\\0`` in APP1, in PNG it is the ``eXIf`` chunk, in WebP the
``EXIF`` chunk. The minimal block holds IFD0 only: ``Orientation`` (and
``Artist``/``Copyright`` when ``keep`` has ``copyright``) plus the IFD0 tags
Exif makes mandatory for JPEG (``XResolution``, ``YResolution``,
``ResolutionUnit``, ``YCbCrPositioning`` — Exif 2.32 Table 17), so that
``exiftool -validate`` finds nothing missing. No Exif IFD, no GPS, no maker
notes, no IFD1 thumbnail.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from common.errors import CorruptImage
from worker.media.containers.tiff import ASCII, CLASSIC, RATIONAL, SHORT, Entry, TiffReader

from .ifd import ascii_entry, pack_ifd, short_entry
from .report import Report

ORIENTATION, ARTIST, COPYRIGHT = 0x0112, 0x013B, 0x8298
X_RESOLUTION, Y_RESOLUTION, RESOLUTION_UNIT, YCBCR_POSITIONING = 0x011A, 0x011B, 0x0128, 0x0213
EXIF_IFD, GPS_IFD, MAKER_NOTE = 0x8769, 0x8825, 0x927C
# IFD0 tags the minimal block may hold: finding only these in a block means it reveals nothing else.
MINIMAL_TAGS = {ORIENTATION, ARTIST, COPYRIGHT, X_RESOLUTION, Y_RESOLUTION, RESOLUTION_UNIT}
MINIMAL_TAGS |= {YCBCR_POSITIONING}

JPEG_PREFIX = b"Exif\x00\x00"


@dataclass
class Retained:
    """The values ``keep`` may carry into the minimal EXIF block; the first source offering wins.

    Sources, in the order containers offer them: EXIF IFD0, then XMP
    (``tiff:Orientation``, ``dc:creator``, ``dc:rights``), then IPTC or PNG
    text — the Metadata Working Group's mapping of Artist/Copyright.
    """

    orientation: int | None = None
    artist: bytes | None = None
    copyright: bytes | None = None
    x_resolution: tuple[int, int] | None = None
    y_resolution: tuple[int, int] | None = None
    resolution_unit: int | None = None
    ycbcr_positioning: int | None = None

    def offer(self, **values: object) -> None:
        """Set each named value that is still unknown and that the source really has."""
        for name, value in values.items():
            if value is not None and value != b"" and getattr(self, name) is None:
                setattr(self, name, value)

    def wants(self, keep: frozenset[str]) -> set[str]:
        """The groups of ``keep`` whose values are still unknown (more sources may have them)."""
        wanted = set()
        if "orientation" in keep and self.orientation is None:
            wanted.add("orientation")
        if "copyright" in keep and (self.artist is None or self.copyright is None):
            wanted.add("copyright")
        return wanted

    def offer_orientation(self, value: int | None) -> None:
        """A valid Orientation (1-8) settles it, even 1: later sources are not consulted (as in
        Pillow, where XMP counts only when EXIF has no Orientation tag)."""
        if value is not None and 1 <= value <= 8:
            self.offer(orientation=value)

    @property
    def turned(self) -> bool:
        """Whether the orientation changes how the image is shown (2-8), so it is worth keeping."""
        return self.orientation is not None and self.orientation != 1


def strip_prefix(block: bytes | memoryview) -> memoryview:
    """The TIFF structure of an EXIF block, without a leading ``Exif\\0\\0`` if it has one."""
    view = memoryview(block)
    if bytes(view[:4]) == b"Exif" and len(view) >= 6:
        return view[6:]
    return view


def read_exif(block: bytes | memoryview, retained: Retained) -> set[str]:
    """The metadata groups an EXIF block holds; offers its IFD0 values to ``retained``.

    A malformed block still counts as ``exif`` (it is dropped anyway); whatever
    could be read before the damage is kept.
    """
    try:
        reader = TiffReader(strip_prefix(block))
        rows, next_ifd = reader.rows(reader.first_ifd)
    except CorruptImage:
        return {"exif"}
    tags = {row[0] for row in rows}
    groups = {"exif"} if tags - MINIMAL_TAGS else set()
    if GPS_IFD in tags:
        groups.add("gps")
    if next_ifd:
        groups.add("thumbnail")
    values = {}
    for row in rows:
        if row[0] in MINIMAL_TAGS or row[0] == EXIF_IFD:
            try:
                values[row[0]] = reader.entry(*row)
            except CorruptImage:  # one broken value: the others still count
                groups.add("exif")
    _offer_ifd0(values, reader.order, retained)
    if values.get(EXIF_IFD) is not None and has_maker_note(reader, values[EXIF_IFD]):
        groups.add("makerNotes")
    return groups


def has_maker_note(reader: TiffReader, pointer: Entry) -> bool:
    """Whether the Exif IFD that ``pointer`` (tag 0x8769) points to holds a MakerNote."""
    try:
        offset = pointer.first_int(reader.order)
        return bool(offset) and any(row[0] == MAKER_NOTE for row in reader.rows(offset)[0])
    except CorruptImage:
        return False


def _offer_ifd0(tags: dict[int, Entry | None], order: str, retained: Retained) -> None:
    if tags.get(ORIENTATION) is not None:
        retained.offer_orientation(tags[ORIENTATION].first_int(order))
    retained.offer(
        artist=_ascii(tags.get(ARTIST)),
        copyright=_ascii(tags.get(COPYRIGHT)),
        x_resolution=_rational(tags.get(X_RESOLUTION), order),
        y_resolution=_rational(tags.get(Y_RESOLUTION), order),
        resolution_unit=_short(tags.get(RESOLUTION_UNIT), order, (1, 2, 3)),
        ycbcr_positioning=_short(tags.get(YCBCR_POSITIONING), order, (1, 2)),
    )


def _ascii(entry: Entry | None) -> bytes | None:
    """An ASCII value without its trailing NULs (Copyright may hold two NUL-separated parts)."""
    if entry is None or entry.type != ASCII:
        return None
    return entry.value.rstrip(b"\x00") or None


def _rational(entry: Entry | None, order: str) -> tuple[int, int] | None:
    if entry is None or entry.type != RATIONAL or entry.count < 1:
        return None
    numerator, denominator = struct.unpack(order + "LL", entry.value[:8])
    return (numerator, denominator) if numerator and denominator else None


def _short(entry: Entry | None, order: str, allowed: tuple[int, ...]) -> int | None:
    value = entry.first_int(order) if entry is not None and entry.type == SHORT else None
    return value if value in allowed else None


def minimal_exif(retained: Retained, keep: frozenset[str], report: Report) -> bytes | None:
    """The minimal EXIF TIFF structure for what ``keep`` carries over, or ``None`` if nothing is.

    Records in ``report`` which of ``orientation``/``copyright`` the input had
    and which the output keeps. Big-endian, like ExifTool writes new EXIF.
    """
    values: list[Entry] = []
    if retained.turned:
        report.found.add("orientation")
        if "orientation" in keep:
            report.keep("orientation")
            values.append(short_entry(ORIENTATION, retained.orientation, ">"))
    if retained.artist is not None or retained.copyright is not None:
        report.found.add("copyright")
        if "copyright" in keep:
            report.keep("copyright")
            values += [
                ascii_entry(tag, text)
                for tag, text in ((ARTIST, retained.artist), (COPYRIGHT, retained.copyright))
                if text is not None
            ]
    if not values:
        return None
    values += [
        _rational_entry(X_RESOLUTION, retained.x_resolution or (72, 1)),
        _rational_entry(Y_RESOLUTION, retained.y_resolution or (72, 1)),
        short_entry(RESOLUTION_UNIT, retained.resolution_unit or 2, ">"),
        short_entry(YCBCR_POSITIONING, retained.ycbcr_positioning or 1, ">"),
    ]
    ifd, _ = pack_ifd(CLASSIC, ">", values, 8)
    return b"MM\x00\x2a" + struct.pack(">L", 8) + ifd


def _rational_entry(tag: int, value: tuple[int, int]) -> Entry:
    return Entry(tag, RATIONAL, 1, struct.pack(">LL", *value))
