"""ISO base media file format (ISO/IEC 14496-12) boxes and the item tables of a HEIF ``meta`` box.

Just enough to remove items from a HEIF file (ISO/IEC 23008-12) without
decoding anything: boxes (§4.2: 32-bit size, type, 64-bit ``largesize`` when
the size is 1, "to the end" when it is 0), full-box headers, and the item
location box ``iloc`` (§8.11.3), which is the only place file offsets live.
Reads are bounds-checked and raise ``CorruptImage``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from common.errors import CorruptImage


@dataclass(frozen=True)
class Box:
    """A box: its type, where it starts, where its payload starts and where it ends."""

    type: bytes
    start: int
    body: int
    end: int


def boxes(data: bytes | memoryview, start: int, end: int) -> list[Box]:
    """The boxes that exactly fill ``data[start:end]``."""
    found = []
    pos = start
    while pos < end:
        if pos + 8 > end:
            raise CorruptImage(f"truncated box header at offset {pos}")
        size, kind = struct.unpack_from(">L4s", data, pos)
        body = pos + 8
        if size == 1:
            if pos + 16 > end:
                raise CorruptImage(f"truncated box header at offset {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            body = pos + 16
        elif size == 0:
            size = end - pos
        if size < body - pos or pos + size > end:
            raise CorruptImage(
                f"box {kind!r} at offset {pos} declares {size} bytes, past its parent"
            )
        found.append(Box(kind, pos, body, pos + size))
        pos += size
    return found


def box_bytes(kind: bytes, payload: bytes) -> bytes:
    """A box with a 32-bit size (or 64-bit when it needs one)."""
    if len(payload) + 8 <= 0xFFFFFFFF:
        return struct.pack(">L4s", len(payload) + 8, kind) + payload
    return struct.pack(">L4sQ", 1, kind, len(payload) + 16) + payload


class Cursor:
    """Big-endian reads from a box payload, each checked against its end."""

    def __init__(self, data: bytes | memoryview, pos: int, end: int) -> None:
        self.data, self.pos, self.end = data, pos, end

    def uint(self, size: int) -> int:
        """An unsigned integer of ``size`` bytes (0, 1, 2, 4 or 8; 0 reads nothing and gives 0)."""
        if self.pos + size > self.end:
            raise CorruptImage(f"box field at offset {self.pos} runs past the end of its box")
        value = int.from_bytes(self.data[self.pos : self.pos + size], "big")
        self.pos += size
        return value

    def cstring(self) -> bytes:
        """A NUL-terminated string (a missing terminator ends it at the box end)."""
        stop = bytes(self.data[self.pos : self.end]).find(b"\x00")
        stop = self.end if stop == -1 else self.pos + stop
        text = bytes(self.data[self.pos : stop])
        self.pos = min(stop + 1, self.end)
        return text


@dataclass
class Location:
    """One item's ``iloc`` entry: how to find its bytes."""

    item_id: int
    method: int  # 0: file offsets, 1: offsets in idat, 2: item references
    data_reference: int
    base: int
    extents: list[tuple[int, int, int]]  # (index, offset, length)


@dataclass
class ItemLocations:
    """A parsed ``iloc`` box: its field sizes and the locations, in order."""

    version: int
    flags: int
    offset_size: int
    length_size: int
    base_size: int
    index_size: int
    locations: list[Location]

    @classmethod
    def parse(cls, data: bytes | memoryview, box: Box) -> ItemLocations:
        read = Cursor(data, box.body, box.end)
        version, flags = read.uint(1), read.uint(3)
        if version > 2:
            raise CorruptImage(f"iloc version {version} is unknown")
        sizes, more = read.uint(1), read.uint(1)
        offset_size, length_size, base_size = sizes >> 4, sizes & 15, more >> 4
        index_size = more & 15 if version else 0
        if {offset_size, length_size, base_size, index_size} - {0, 4, 8}:
            raise CorruptImage("iloc field sizes must be 0, 4 or 8")
        count = read.uint(4 if version == 2 else 2)
        locations = []
        for _ in range(count):
            item_id = read.uint(4 if version == 2 else 2)
            method = read.uint(2) & 15 if version else 0
            reference, base = read.uint(2), read.uint(base_size)
            extents = [
                (read.uint(index_size), read.uint(offset_size), read.uint(length_size))
                for _ in range(read.uint(2))
            ]
            locations.append(Location(item_id, method, reference, base, extents))
        return cls(version, flags, offset_size, length_size, base_size, index_size, locations)

    def to_bytes(self) -> bytes:
        """The ``iloc`` box; values must fit the field sizes (offsets only ever shrink)."""
        wide = self.version == 2
        out = bytearray(struct.pack(">B", self.version) + self.flags.to_bytes(3, "big"))
        out += bytes(
            [self.offset_size << 4 | self.length_size, self.base_size << 4 | self.index_size]
        )
        out += len(self.locations).to_bytes(4 if wide else 2, "big")
        for loc in self.locations:
            out += loc.item_id.to_bytes(4 if wide else 2, "big")
            if self.version:
                out += loc.method.to_bytes(2, "big")
            out += loc.data_reference.to_bytes(2, "big") + loc.base.to_bytes(self.base_size, "big")
            out += len(loc.extents).to_bytes(2, "big")
            for index, offset, length in loc.extents:
                out += index.to_bytes(self.index_size, "big") + offset.to_bytes(
                    self.offset_size, "big"
                )
                out += length.to_bytes(self.length_size, "big")
        return box_bytes(b"iloc", bytes(out))
