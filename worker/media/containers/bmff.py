"""ISO base media file format (ISO/IEC 14496-12) boxes and the item tables of a HEIF ``meta`` box.

Boxes (§4.2: 32-bit size, type, 64-bit ``largesize`` when the size is 1, "to
the end" when it is 0), full-box headers, the item information box ``iinf``
(§8.11.6), the item location box ``iloc`` (§8.11.3, the only place file
offsets live) and the property associations ``ipma`` (ISO/IEC 23008-12 §9.3.1).
Strict walks (strip) raise ``CorruptImage`` on anything that does not fit;
lenient walks (extract) stop there and mark the last box ``truncated``. Every
walk is bounded: :data:`~.limits.MAX_PARTS` boxes per level,
:data:`~.limits.MAX_EXTENTS` ``iloc`` entries.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from common.errors import CorruptImage

from .limits import MAX_EXTENTS, MAX_PARTS


@dataclass(frozen=True)
class Box:
    """A box: its type, where it starts, where its payload starts and where it ends."""

    type: bytes
    start: int
    body: int
    end: int
    truncated: bool = False  # (lenient walks) it runs past its parent: ``end`` is the parent's


def boxes(data: bytes | memoryview, start: int, end: int, *, strict: bool = True) -> list[Box]:
    """The boxes that fill ``data[start:end]``: exactly (strict), or up to the first that
    does not fit, which comes last, clipped to ``end`` and ``truncated`` (lenient)."""
    found: list[Box] = []
    pos = start
    while pos < end:
        if len(found) >= MAX_PARTS:
            if strict:
                raise CorruptImage(f"more than {MAX_PARTS} boxes in one box")
            break
        box = _box(data, pos, end)
        if box.truncated:
            if strict:
                raise CorruptImage(f"box {box_name(box.type)} at offset {pos} runs past its parent")
            if box.body <= end:
                found.append(box)
            break
        found.append(box)
        pos = box.end
    return found


def _box(data: bytes | memoryview, pos: int, end: int) -> Box:
    """The box at ``pos``; ``truncated`` when its header or size runs past ``end``."""
    if pos + 8 > end:
        return Box(b"", pos, end + 1, end, truncated=True)
    size, kind = struct.unpack_from(">L4s", data, pos)
    body = pos + 8
    if size == 1:
        if pos + 16 > end:
            return Box(kind, pos, end + 1, end, truncated=True)
        (size,) = struct.unpack_from(">Q", data, pos + 8)
        body = pos + 16
    elif size == 0:
        size = end - pos
    if size < body - pos or pos + size > end:
        return Box(kind, pos, body, end, truncated=True)
    return Box(kind, pos, body, pos + size)


def box_name(kind: bytes) -> str:
    """A box type as people read it (hex when it is not printable)."""
    return kind.decode("latin-1") if all(32 <= c < 127 for c in kind) else kind.hex()


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
        listed = 0
        for _ in range(count):
            item_id = read.uint(4 if version == 2 else 2)
            method = read.uint(2) & 15 if version else 0
            reference, base = read.uint(2), read.uint(base_size)
            extents = read.uint(2)
            listed += extents + 1
            if listed > MAX_EXTENTS:
                raise CorruptImage(f"iloc lists more than {MAX_EXTENTS} items and extents")
            extents = [
                (read.uint(index_size), read.uint(offset_size), read.uint(length_size))
                for _ in range(extents)
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


def iinf_entries(data: bytes, iinf: Box, *, strict: bool = True) -> tuple[bytes, list[Box]]:
    """The ``iinf`` full-box header and its ``infe`` boxes."""
    read = Cursor(data, iinf.body, iinf.end)
    version = read.uint(1)
    read.uint(3)
    read.uint(2 if version == 0 else 4)
    return bytes(data[iinf.body : iinf.body + 4]), boxes(data, read.pos, iinf.end, strict=strict)


def item_infos(data: bytes, iinf: Box, *, strict: bool = True) -> list[tuple[int, bytes, bytes]]:
    """``(item id, item type, content type)`` of every ``infe`` (§8.11.6); a lenient read
    leaves out the entries it cannot read."""
    infos = []
    for infe in iinf_entries(data, iinf, strict=strict)[1]:
        if infe.type != b"infe" and not strict:
            continue
        try:
            infos.append(_item_info(data, infe))
        except CorruptImage:
            if strict:
                raise
    return infos


def _item_info(data: bytes, infe: Box) -> tuple[int, bytes, bytes]:
    read = Cursor(data, infe.body, infe.end)
    version = read.uint(1)
    read.uint(3)
    if version >= 2:
        item_id = read.uint(2 if version == 2 else 4)
        read.uint(2)
        item_type = read.uint(4).to_bytes(4, "big")
        read.cstring()
        content_type = read.cstring() if item_type == b"mime" else b""
    else:
        item_id = read.uint(2)
        read.uint(2)
        read.cstring()
        item_type, content_type = b"", read.cstring()
    return item_id, item_type, content_type


def associations(data: bytes, ipma: Box) -> tuple[int, int, list[tuple[int, list[int]]]]:
    """An ``ipma`` box (ISO/IEC 23008-12 §9.3.1): version, flags and, per item, its raw
    association values (the essential bit, then the 1-based property index)."""
    read = Cursor(data, ipma.body, ipma.end)
    version, flags = read.uint(1), read.uint(3)
    id_width, index_width = (2 if version < 1 else 4), (2 if flags & 1 else 1)
    entries = []
    for _ in range(read.uint(4)):
        item_id = read.uint(id_width)
        entries.append((item_id, [read.uint(index_width) for _ in range(read.uint(1))]))
    return version, flags, entries


def property_index(value: int, flags: int) -> int:
    """The 1-based property index of an ``ipma`` association value."""
    return value & (0x7FFF if flags & 1 else 0x7F)
