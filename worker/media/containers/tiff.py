"""TIFF (TIFF 6.0; XMP Part 3 §1.1.4): the file is the EXIF structure; its IFDs, strips and tiles.

TIFF 6.0 §2: a header (byte order ``II``/``MM``, 42, offset of IFD0), then a
chain of IFDs, each a count, 12-byte entries (tag, type, count, value or offset
of the value) and the offset of the next IFD. BigTIFF (Aware Systems' spec)
is the same with 43 in the header and 8-byte counts and offsets (20-byte
entries). :class:`TiffReader` is the strict walk (strip, and the EXIF blocks
strip reads in other containers): every read is bounds-checked and a
malformed structure raises ``CorruptImage``, never ``struct.error`` or
``IndexError``. :func:`pages` lists each page of the main IFD chain with where
its strips or tiles lie. Extract reads the file as one EXIF block
(:func:`read`): its IFD0 tags 700, 33723, 34377 and 34675 hold XMP, IPTC, the
Photoshop IRB and the ICC profile, which the EXIF reader collects as it reads
the directories, leniently, as ExifTool does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from common.errors import CorruptImage

from .blocks import Blocks

# Bytes per value of each TIFF field type (TIFF 6.0 §2 "Types", BigTIFF adds 16-18).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
TYPE_SIZES |= {16: 8, 17: 8, 18: 8}
SHORT, LONG, RATIONAL, ASCII, LONG8 = 3, 4, 5, 2, 16
_INT_CODES = {1: "B", 3: "H", 4: "L", 6: "b", 8: "h", 9: "l", 13: "L", 16: "Q", 17: "q", 18: "Q"}

MAX_ENTRIES = 4096  # far beyond any real IFD; bounds the work a hostile count causes
MAX_IFDS = 1024
STRIP_OFFSETS, STRIP_BYTE_COUNTS, TILE_OFFSETS, TILE_BYTE_COUNTS = 273, 279, 324, 325


@dataclass(frozen=True)
class Layout:
    """Field sizes of one TIFF flavour: classic or BigTIFF."""

    magic: int
    count_code: str  # struct code of an IFD's entry count
    word_code: str  # struct code of an entry's count and of an offset
    word: int  # bytes in an offset (and in an inline value slot)
    entry: int  # bytes per IFD entry


CLASSIC = Layout(42, "H", "L", 4, 12)
BIG = Layout(43, "Q", "Q", 8, 20)


@dataclass(frozen=True)
class Entry:
    """One IFD entry with its value bytes (in the file's byte order)."""

    tag: int
    type: int
    count: int
    value: bytes

    def ints(self, order: str) -> tuple[int, ...]:
        """The value as integers (BYTE, SHORT, LONG, LONG8, IFD and their signed forms)."""
        code = _INT_CODES.get(self.type)
        if code is None:
            raise CorruptImage(f"TIFF tag {self.tag} has type {self.type}, expected an integer")
        return struct.unpack(f"{order}{self.count}{code}", self.value)

    def first_int(self, order: str) -> int | None:
        """The first integer of the value, or ``None`` when it is empty or not an integer."""
        if self.count < 1 or self.type not in _INT_CODES:
            return None
        return self.ints(order)[0]


class TiffReader:
    """Random access to the IFDs of a TIFF structure held in memory."""

    def __init__(self, data: bytes | memoryview) -> None:
        self.data = data
        if len(data) < 8 or bytes(data[:2]) not in (b"II", b"MM"):
            raise CorruptImage("not a TIFF structure: no II/MM byte order mark")
        self.order = "<" if bytes(data[:2]) == b"II" else ">"
        self.byteorder: Literal["little", "big"] = "little" if self.order == "<" else "big"
        magic = self.unpack("H", 2)
        if magic == CLASSIC.magic:
            self.layout = CLASSIC
            self.first_ifd = self.unpack("L", 4)
        elif magic == BIG.magic:
            self.layout = BIG
            if self.unpack("H", 4) != 8:
                raise CorruptImage("BigTIFF header with an offset size other than 8")
            self.first_ifd = self.unpack("Q", 8)
        else:
            raise CorruptImage(f"TIFF header magic is {magic}, expected 42 or 43")

    def unpack(self, code: str, offset: int) -> int:
        """One integer at ``offset`` in the file's byte order."""
        size = struct.calcsize(self.order + code)
        if offset < 0 or offset + size > len(self.data):
            raise CorruptImage(f"TIFF structure points past the end ({offset} + {size})")
        return struct.unpack_from(self.order + code, self.data, offset)[0]

    def read(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset``, or ``CorruptImage`` when they run past the end."""
        if offset < 0 or size < 0 or offset + size > len(self.data):
            raise CorruptImage(f"TIFF value at {offset} ({size} bytes) runs past the end")
        return bytes(self.data[offset : offset + size])

    def ifd(self, offset: int) -> tuple[list[Entry], int]:
        """The entries of the IFD at ``offset`` and the offset of the next IFD (0: none)."""
        rows, next_offset = self.rows(offset)
        entries = [self.entry(*row) for row in rows]
        return [entry for entry in entries if entry is not None], next_offset

    def rows(self, offset: int) -> tuple[list[tuple[int, int, int, bytes]], int]:
        """The raw ``(tag, type, count, value slot)`` rows of an IFD and the next IFD's offset.

        Cheap: no value is fetched, so a reader that needs a few tags pays for those only.
        """
        layout = self.layout
        count = self.unpack(layout.count_code, offset)
        if count > MAX_ENTRIES:
            raise CorruptImage(f"TIFF IFD at {offset} claims {count} entries")
        start = offset + struct.calcsize(self.order + layout.count_code)
        table = self.read(start, count * layout.entry + layout.word)
        row = f"{self.order}HH{layout.word_code}{layout.word}s"
        rows = list(struct.iter_unpack(row, table[: -layout.word]))
        return rows, int.from_bytes(table[-layout.word :], self.byteorder)

    def entry(self, tag: int, type_: int, count: int, slot: bytes) -> Entry | None:
        """A row's entry with its value; ``None`` for an unknown type (TIFF 6.0: skip it)."""
        if type_ not in TYPE_SIZES:
            return None
        size = count * TYPE_SIZES[type_]
        if size <= self.layout.word:
            return Entry(tag, type_, count, slot[:size])
        return Entry(tag, type_, count, self.read(int.from_bytes(slot, self.byteorder), size))

    def chain(self) -> list[list[Entry]]:
        """The entries of every IFD in the main chain from IFD0; a loop is an error."""
        seen: set[int] = set()
        result = []
        offset = self.first_ifd
        while offset:
            if offset in seen or len(seen) >= MAX_IFDS:
                raise CorruptImage("TIFF IFD chain loops or is absurdly long")
            seen.add(offset)
            entries, offset = self.ifd(offset)
            result.append(entries)
        return result

    def pages(self) -> list[Page]:
        """Every IFD of the main chain as a :class:`Page`, in order."""
        return [Page(number, entries) for number, entries in enumerate(self.chain())]

    def pixel_blocks(self, page: Page) -> list[tuple[int, int]]:
        """``(offset, byte count)`` of each of ``page``'s strips or tiles, checked against the file.

        An empty one must have offset 0 too (a sparse file's missing block): with a
        byte count of 0 but data at an offset, readers disagree (Pillow reads the
        data anyway), so a copy could not keep the pixels the same.
        """
        offsets_tag, counts_tag = page.pixel_tags or (STRIP_OFFSETS, STRIP_BYTE_COUNTS)
        offsets, counts = (page.tags[tag].ints(self.order) for tag in (offsets_tag, counts_tag))
        if len(offsets) != len(counts):
            raise CorruptImage(
                f"TIFF page {page.number} has {len(offsets)} offsets, {len(counts)} sizes"
            )
        for offset, count in zip(offsets, counts, strict=True):
            if count == 0 and offset != 0:
                raise CorruptImage(f"TIFF strip/tile at {offset} has a byte count of 0")
            if offset + count > len(self.data):
                raise CorruptImage(f"TIFF strip/tile at {offset} ({count} bytes) runs past the end")
        return list(zip(offsets, counts, strict=True))


@dataclass(frozen=True)
class Page:
    """One IFD of the main chain (a page, or a reduced-resolution image) and its entries."""

    number: int
    entries: list[Entry]

    @cached_property
    def tags(self) -> dict[int, Entry]:
        return {entry.tag: entry for entry in self.entries}

    @property
    def pixel_tags(self) -> tuple[int, int] | None:
        """The tags locating the pixel data: TileOffsets/TileByteCounts when the page has
        TileOffsets, else StripOffsets/StripByteCounts; ``None`` when one of the pair is missing."""
        tags = self.tags
        pair = (TILE_OFFSETS, TILE_BYTE_COUNTS) if TILE_OFFSETS in tags else None
        pair = pair or (STRIP_OFFSETS, STRIP_BYTE_COUNTS)
        return pair if all(tag in tags for tag in pair) else None


def read(data: bytes) -> Blocks:
    """One EXIF block: the whole file, at position 0 (extract reads it leniently)."""
    blocks = Blocks()
    blocks.exif.append((data, 0))
    return blocks
