"""ISO BMFF / QuickTime box headers, read from bytes or from a file, never trusted.

A box is ``size:u32 type:4cc`` then its payload (ISO/IEC 14496-12 §4.2, QuickTime File
Format "Atoms"); ``size == 1`` puts a 64-bit size after the type, ``size == 0`` means
"to the end of the enclosing box or file". :func:`header` reads one header inside
``[pos, end)`` and raises :class:`BadBox` when it does not fit, so no walker ever goes
past its parent.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from worker.media.containers.bmff import box_name

_HEADER = struct.Struct(">I4s")
_LARGE = struct.Struct(">Q")

# Boxes that only contain other boxes (ISO/IEC 14496-12 §8, QuickTime File Format).
CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts", b"udta", b"mvex", b"moof"}
    | {b"traf", b"tref", b"mfra", b"gmhd", b"tapt"}
)


class BadBox(ValueError):
    """A box header that does not fit where it is."""


@dataclass(frozen=True)
class Box:
    """One box: its type, where it starts, its header length and its total size."""

    type: bytes
    start: int
    header: int
    size: int

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def payload(self) -> int:
        return self.start + self.header


def header(data: bytes | memoryview, pos: int, end: int) -> Box:
    """The box starting at ``data[pos]``, which must end by ``end``."""
    if pos + 8 > end:
        raise BadBox(f"truncated box header at {pos}")
    size, kind = _HEADER.unpack_from(data, pos)
    return _box(kind, pos, size, end, lambda: _LARGE.unpack_from(data, pos + 8)[0])


def file_header(file: BinaryIO, pos: int, end: int) -> Box:
    """The box starting at file offset ``pos``, which must end by ``end`` (the file size)."""
    if pos + 8 > end:
        raise BadBox(f"truncated box header at {pos}")
    file.seek(pos)
    head = file.read(16)
    if len(head) < 8:
        raise BadBox(f"truncated box header at {pos}")
    size, kind = _HEADER.unpack_from(head)
    return _box(kind, pos, size, end, lambda: _LARGE.unpack_from(head, 8)[0])


def _box(kind: bytes, pos: int, size: int, end: int, large) -> Box:
    header_len = 8
    if size == 1:
        if pos + 16 > end:
            raise BadBox(f"truncated large box header at {pos}")
        header_len = 16
        size = large()
    elif size == 0:
        size = end - pos
    if size < header_len:
        raise BadBox(f"invalid size {size} of box {box_name(kind)} at {pos}")
    if pos + size > end:
        raise BadBox(
            f"box {box_name(kind)} at {pos} ({size} bytes) runs past its parent (ends {end})"
        )
    return Box(kind, pos, header_len, size)


def children(data: bytes | memoryview, start: int, end: int) -> list[Box]:
    """The boxes that exactly tile ``data[start:end]``."""
    boxes = []
    pos = start
    while pos < end:
        if end - pos < 8 and not any(data[pos:end]):
            break  # trailing zero padding (some muxers pad udta with 4 zero bytes)
        box = header(data, pos, end)
        boxes.append(box)
        pos = box.end
    return boxes
