"""TIFF: rewrite each page's IFD with only the tags needed to decode it; copy strips and tiles.

Kept tags are the TIFF 6.0 baseline and extension fields a decoder reads to
turn strips or tiles into pixels (size, samples, compression, photometric
interpretation, predictor, colour map, YCbCr and JPEG tables, resolution)
plus Orientation, the ICC profile (34675) and Artist/Copyright when ``keep``
asks. Everything else goes: descriptive fields (ImageDescription, Make,
Model, Software, DateTime, HostComputer, ...), the Exif and GPS IFDs, XMP
(700), IPTC (33723), Photoshop (34377, 37724), GeoTIFF and private tags.
The pages, their entries and where their strips or tiles lie come from the
strict TIFF reader (:mod:`worker.media.containers.tiff`). The file is laid
out again — header, then per page its strip/tile bytes and its IFD — in the
input's byte order and flavour (classic or BigTIFF); the strip/tile bytes
themselves are copied unchanged, so the pixels are too.
Old-style JPEG (compression 6, whose tables hang off extra offset tags) is
refused with ``unsupported_format``.
"""

from __future__ import annotations

import struct

from common.errors import CorruptImage, UnsupportedFormat
from worker.media.containers.tiff import (
    BIG,
    LONG,
    LONG8,
    STRIP_BYTE_COUNTS,
    STRIP_OFFSETS,
    TILE_BYTE_COUNTS,
    TILE_OFFSETS,
    Entry,
    Layout,
    TiffReader,
)

from .exif import ARTIST, COPYRIGHT, EXIF_IFD, GPS_IFD, ORIENTATION, has_maker_note
from .ifd import ascii_entry, pack_ifd, short_entry
from .report import Report
from .sources import Sources

COMPRESSION, ICC_PROFILE = 259, 34675
XMP, IPTC, PHOTOSHOP = 700, 33723, 34377
OLD_JPEG = 6

# TIFF 6.0 fields a decoder needs (Part 1 baseline, Part 2 extensions, TIFF Tech Note 2).
DECODE_TAGS = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 277, 278, 280, 281, 282, 283, 284}
    | {290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320, 321, 322, 323, 332, 334, 336}
    | {338, 339, 340, 341, 342, 347, 529, 530, 531, 532}
)
PIXEL_DATA = frozenset({STRIP_OFFSETS, STRIP_BYTE_COUNTS, TILE_OFFSETS, TILE_BYTE_COUNTS})
KEEPABLE = {ORIENTATION: "orientation", ICC_PROFILE: "icc", ARTIST: "copyright"}
KEEPABLE |= {COPYRIGHT: "copyright"}

TAG_NAMES = {
    269: "DocumentName",
    270: "ImageDescription",
    271: "Make",
    272: "Model",
    274: "Orientation",
    285: "PageName",
    305: "Software",
    306: "DateTime",
    315: "Artist",
    316: "HostComputer",
    330: "SubIFDs",
    700: "XMP",
    33432: "Copyright",
    33723: "IPTC",
    34377: "Photoshop",
    34665: "ExifIFD",
    34675: "ICC_Profile",
    34853: "GPSInfo",
    37724: "ImageSourceData",
}
TAG_GROUPS = {
    330: "thumbnail",
    700: "xmp",
    33723: "iptc",
    34377: "photoshop",
    37724: "photoshop",
    GPS_IFD: "gps",
    33550: "geotiff",
    33922: "geotiff",
    34264: "geotiff",
    34735: "geotiff",
    34736: "geotiff",
    34737: "geotiff",
}
DESCRIPTIVE = frozenset({269, 270, 271, 272, 285, 286, 287, 305, 306, 316, 42016, EXIF_IFD})


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """The TIFF with only decoding tags (and what ``keep`` asks); ``report`` says what went."""
    reader = TiffReader(data)
    pages = reader.pages()
    if not pages:
        raise CorruptImage("TIFF has no image directory")
    writer = _Writer(reader.layout, reader.order)
    view = memoryview(data)
    for page in pages:
        tags = page.tags
        if COMPRESSION in tags and tags[COMPRESSION].first_int(reader.order) == OLD_JPEG:
            raise UnsupportedFormat("old-style JPEG-in-TIFF (compression 6) cannot be stripped")
        kept = [entry for entry in page.entries if _keeps(entry, reader, keep, report)]
        kept += _carried(tags, reader.order, keep, report)
        pixel_tags = page.pixel_tags
        if pixel_tags is None:
            report.remove(f"IFD{page.number} without strips or tiles", 0, "thumbnail")
            continue
        moved = [writer.copy(view, offset, count) for offset, count in reader.pixel_blocks(page)]
        kept.append(writer.offsets_entry(pixel_tags[0], moved))
        kept.append(tags[pixel_tags[1]])
        writer.ifd(kept)
    return writer.result()


def _keeps(entry: Entry, reader: TiffReader, keep: frozenset[str], report: Report) -> bool:
    """Whether a tag stays; a dropped one is recorded with the group it belongs to."""
    tag = entry.tag
    if tag in DECODE_TAGS:
        return True
    if tag in PIXEL_DATA:
        return False  # rewritten by the caller
    group = KEEPABLE.get(tag)
    if tag == ORIENTATION and entry.first_int(reader.order) not in range(2, 9):
        group = None
    if group is not None and group in keep:
        report.keep(group)
        return True
    groups = [group] if group else []
    if tag in TAG_GROUPS:
        groups.append(TAG_GROUPS[tag])
    elif tag in DESCRIPTIVE:
        groups.append("exif")
    elif group is None and tag != ORIENTATION:
        groups.append("vendor")
    if tag == EXIF_IFD and has_maker_note(reader, entry):
        groups.append("makerNotes")
    name = TAG_NAMES.get(tag, f"0x{tag:04X}")
    report.remove(f"tag {name}", len(entry.value), *groups)
    return False


def _carried(
    tags: dict[int, Entry], order: str, keep: frozenset[str], report: Report
) -> list[Entry]:
    """Orientation and credits that only the page's XMP or IPTC state, as tags (when kept).

    Pillow, like ExifTool's MWG rules, takes ``tiff:Orientation`` from XMP when
    the Orientation tag is missing: dropping the XMP must not drop what it said.
    """
    wanted = {tag for tag, group in KEEPABLE.items() if group in keep} - {ICC_PROFILE, *tags}
    if not wanted:
        return []
    sources = Sources()
    for tag, payloads in ((XMP, sources.xmp), (PHOTOSHOP, sources.photoshop), (IPTC, sources.iptc)):
        if tag in tags:
            payloads.append(tags[tag].value)
    retained = sources.read(report, keep)
    added = []
    if ORIENTATION in wanted and retained.turned:
        added.append(short_entry(ORIENTATION, retained.orientation, order))
    for tag, text in ((ARTIST, retained.artist), (COPYRIGHT, retained.copyright)):
        if tag in wanted and text:
            added.append(ascii_entry(tag, text))
    for entry in added:
        report.keep(KEEPABLE[entry.tag])
    return added


class _Writer:
    """Lays out the new file: header, then each page's pixel blocks and its IFD, linked in order."""

    def __init__(self, layout: Layout, order: str) -> None:
        self.layout, self.order = layout, order
        mark = b"II" if order == "<" else b"MM"
        header = mark + struct.pack(order + "H", layout.magic)
        if layout is BIG:
            header += struct.pack(order + "HH", 8, 0)
        self.link: tuple[bytearray, int] = (bytearray(header + bytes(layout.word)), len(header))
        self.pieces: list[bytes | bytearray | memoryview] = [self.link[0]]
        self.size = len(self.link[0])
        self.copied: dict[tuple[int, int], int] = {}

    def _append(self, piece: bytes | bytearray | memoryview) -> None:
        self.pieces.append(piece)
        self.size += len(piece)

    def _align(self) -> None:
        if self.size % 2:
            self._append(b"\x00")

    def copy(self, view: memoryview, offset: int, count: int) -> int:
        """Copy one strip or tile (checked by ``TiffReader.pixel_blocks``); return its new
        offset (0 for an empty one, a sparse file's missing block)."""
        if count == 0:
            return 0
        if (offset, count) not in self.copied:
            self._align()
            self.copied[(offset, count)] = self.size
            self._append(view[offset : offset + count])
        return self.copied[(offset, count)]

    def offsets_entry(self, tag: int, offsets: list[int]) -> Entry:
        """StripOffsets/TileOffsets for the new layout, as LONG (LONG8 in BigTIFF)."""
        type_, code = (LONG8, "Q") if self.layout is BIG else (LONG, "L")
        return Entry(
            tag, type_, len(offsets), struct.pack(f"{self.order}{len(offsets)}{code}", *offsets)
        )

    def ifd(self, entries: list[Entry]) -> None:
        """Append an IFD and link the previous one (or the header) to it."""
        self._align()
        blob, next_field = pack_ifd(self.layout, self.order, entries, self.size)
        previous, field = self.link
        struct.pack_into(self.order + self.layout.word_code, previous, field, self.size)
        self.link = (bytearray(blob), next_field)
        self._append(self.link[0])

    def result(self) -> bytes:
        if self.size == len(self.pieces[0]):
            raise CorruptImage("TIFF has no page with image data")
        return b"".join(self.pieces)
