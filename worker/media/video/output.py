"""Write a cleaned video file to file: ranges of the input copied by the kernel, new bytes
written, all into a temporary file beside the destination, renamed over it when complete.

A plan is a list of pieces: ``Copy(offset, length)`` (a range of the input: the media data,
copied with ``copy_file_range``, which shares or copies pages inside the kernel without
passing them through Python) and ``bytes`` (boxes or elements we rebuilt). As with the
image strip (``worker.media.strip.files``), an error leaves ``dst`` as it was, ``dst``
may be ``src`` itself, an existing ``dst`` keeps its permission bits and a ``dst`` that
is a symbolic link is replaced, not written through.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

from common.errors import CorruptFile

from ..replacing import replacing

BLOCK = 8 << 20  # bytes per copy_file_range call (and per read/write when it is missing)


@dataclass(frozen=True)
class Copy:
    """``length`` bytes of the input at ``offset``, unchanged."""

    offset: int
    length: int


Piece = Copy | bytes | bytearray


def with_zeros(pieces: list[Piece], ranges: list[tuple[int, int]]) -> list[Piece]:
    """``pieces`` with the input ranges ``(offset, length)`` that ``Copy`` pieces cover
    replaced by zeros (same length: nothing moves)."""
    if not ranges:
        return pieces
    ranges = sorted(ranges)
    out: list[Piece] = []
    for piece in pieces:
        if not isinstance(piece, Copy):
            out.append(piece)
            continue
        pos, end = piece.offset, piece.offset + piece.length
        for offset, length in ranges:
            start, stop = max(offset, pos), min(offset + length, end)
            if start >= stop:
                continue
            if start > pos:
                out.append(Copy(pos, start - pos))
            out.append(bytes(stop - start))
            pos = stop
        if pos < end:
            out.append(Copy(pos, end - pos))
    return out


def planned_size(pieces: list[Piece]) -> int:
    return sum(p.length if isinstance(p, Copy) else len(p) for p in pieces)


def write_plan(source: BinaryIO, dst: str, pieces: list[Piece]) -> int:
    """Write ``pieces`` (ranges of ``source``, new bytes) to ``dst`` (whole or not at all:
    :func:`~worker.media.replacing.replacing`); the bytes written."""
    written = 0
    with replacing(dst) as fd:
        for piece in pieces:
            if isinstance(piece, Copy):
                written += _copy(source.fileno(), fd, piece)
            else:
                written += _write_all(fd, memoryview(piece))
    return written


def _copy(src: int, dst: int, piece: Copy) -> int:
    offset, left = piece.offset, piece.length
    while left > 0:
        try:
            done = os.copy_file_range(src, dst, min(left, BLOCK), offset)
        except (AttributeError, OSError):  # (not Linux, or a filesystem that refuses it)
            done = _copy_slow(src, dst, offset, min(left, BLOCK))
        if done == 0:
            raise CorruptFile(f"the file ends inside a range to copy (offset {offset})")
        offset += done
        left -= done
    return piece.length


def _copy_slow(src: int, dst: int, offset: int, length: int) -> int:
    data = os.pread(src, length, offset)
    return _write_all(dst, memoryview(data)) if data else 0


def _write_all(fd: int, view: memoryview) -> int:
    total = len(view)
    while view:
        done = os.write(fd, view)
        view = view[done:]
    return total
