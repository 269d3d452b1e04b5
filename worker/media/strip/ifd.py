"""Read TIFF image file directories (IFDs), the structure TIFF files and EXIF blocks share.

TIFF 6.0 §2: a header (byte order ``II``/``MM``, 42, offset of IFD0), then a
chain of IFDs, each a count, 12-byte entries (tag, type, count, value or offset
of the value) and the offset of the next IFD. BigTIFF (Aware Systems' spec)
is the same with 43 in the header and 8-byte counts and offsets (20-byte
entries). Every read is bounds-checked: a malformed structure raises
``CorruptImage``, never ``struct.error`` or ``IndexError``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

from common.errors import CorruptImage

# Bytes per value of each TIFF field type (TIFF 6.0 §2 "Types", BigTIFF adds 16-18).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
TYPE_SIZES |= {16: 8, 17: 8, 18: 8}
SHORT, LONG, RATIONAL, ASCII, LONG8 = 3, 4, 5, 2, 16
_INT_CODES = {1: "B", 3: "H", 4: "L", 6: "b", 8: "h", 9: "l", 13: "L", 16: "Q", 17: "q", 18: "Q"}

MAX_ENTRIES = 4096  # far beyond any real IFD; bounds the work a hostile count causes
MAX_IFDS = 1024


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


def short_entry(tag: int, value: int, order: str) -> Entry:
    """A one-value SHORT entry."""
    return Entry(tag, SHORT, 1, struct.pack(order + "H", value))


def ascii_entry(tag: int, text: bytes) -> Entry:
    """An ASCII entry holding ``text`` and its terminating NUL."""
    return Entry(tag, ASCII, len(text) + 1, text + b"\x00")


def pack_ifd(layout: Layout, order: str, entries: list[Entry], at: int) -> tuple[bytes, int]:
    """Serialise an IFD to sit at file offset ``at`` (even), with the values that don't fit inline.

    Entries are written in ascending tag order (TIFF 6.0 §2) and each
    out-of-line value starts on a word boundary. Returns the bytes and the
    position, relative to ``at``, of the next-IFD offset (written as 0) so the
    caller can link a following IFD.
    """
    rows = sorted(entries, key=lambda e: e.tag)
    head = struct.pack(order + layout.count_code, len(rows))
    next_field = len(head) + len(rows) * layout.entry
    values = bytearray()
    table = bytearray(head)
    for entry in rows:
        if len(entry.value) <= layout.word:
            slot = entry.value.ljust(layout.word, b"\0")
        else:
            slot = struct.pack(
                order + layout.word_code, at + next_field + layout.word + len(values)
            )
            values += entry.value
            values += b"\0" * (len(values) % 2)
        table += struct.pack(order + "HH" + layout.word_code, entry.tag, entry.type, entry.count)
        table += slot
    return bytes(table) + bytes(layout.word) + bytes(values), next_field
