"""Where a track's samples are in the file, from its sample tables (ISO/IEC 14496-12 §8.7).

``stco``/``co64`` give each chunk's file offset, ``stsc`` how many samples each run of
chunks holds, ``stsz``/``stz2`` each sample's size; a chunk's samples are contiguous from
its offset (§8.7.4). :func:`chunk_ranges` returns the byte ranges a track's samples
occupy, merged where they touch: what the strip zeroes for a track it drops (timed
metadata such as GPS or a timecode would otherwise stay in ``mdat``).
"""

from __future__ import annotations

import struct
import sys
from array import array

import numpy as np

from .boxes import Box, children

_PATH = (b"mdia", b"minf", b"stbl")


def declared_samples(tag: str, val: bytes) -> int:
    """The samples an ``stsz``/``stz2`` box counts, or an ``stts`` box's entries add up to
    (ISO/IEC 14496-12 §8.6.1.2, §8.7.3): what a demuxer allocates its index for."""
    if len(val) < 12:
        return 0
    if tag != "stts":
        return struct.unpack_from(">I", val, 8)[0]
    entries = min(struct.unpack_from(">I", val, 4)[0], (len(val) - 8) // 8)
    counts = array("I", val[8 : 8 + 8 * entries])
    if sys.byteorder == "little":
        counts.byteswap()
    return sum(counts[0::2])


def _find(view: memoryview, box: Box, path: tuple[bytes, ...]) -> Box | None:
    for kind in path:
        box = next((b for b in children(view, box.payload, box.end) if b.type == kind), None)
        if box is None:
            return None
    return box


def chunk_ranges(view: memoryview, track: Box, max_samples: int) -> list[tuple[int, int]]:
    """``(offset, length)`` of the chunks of ``track`` (a ``trak`` box in ``view``)."""
    stbl = _find(view, track, _PATH)
    if stbl is None:
        return []
    tables = {b.type: b for b in children(view, stbl.payload, stbl.end)}
    offsets = _chunk_offsets(view, tables)
    sizes = _sample_sizes(view, tables, max_samples)
    runs = _runs(view, tables.get(b"stsc"))
    if offsets is None or sizes is None or not runs:
        return []
    per_chunk = np.zeros(len(offsets), dtype=np.int64)
    for index, (first, count) in enumerate(runs):
        stop = runs[index + 1][0] if index + 1 < len(runs) else len(offsets) + 1
        per_chunk[max(first - 1, 0) : max(stop - 1, 0)] = count
    ends = np.minimum(np.cumsum(per_chunk), len(sizes))
    starts = np.concatenate(([0], ends[:-1]))
    cumulative = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))
    lengths = cumulative[ends] - cumulative[starts]
    return _merged(offsets, lengths)


def _chunk_offsets(view: memoryview, tables: dict[bytes, Box]) -> np.ndarray | None:
    box = tables.get(b"stco") or tables.get(b"co64")
    if box is None or box.size < box.header + 8:
        return None
    count = struct.unpack_from(">I", view, box.payload + 4)[0]
    width = 8 if box.type == b"co64" else 4
    count = min(count, (box.end - box.payload - 8) // width)
    dtype = ">u8" if width == 8 else ">u4"
    return np.frombuffer(view, dtype=dtype, count=count, offset=box.payload + 8).astype(np.int64)


def _sample_sizes(view: memoryview, tables: dict[bytes, Box], limit: int) -> np.ndarray | None:
    box = tables.get(b"stsz")
    if box is not None and box.size >= box.header + 12:
        size, count = struct.unpack_from(">II", view, box.payload + 4)
        count = min(count, limit)
        if size:
            return np.full(count, size, dtype=np.int64)
        count = min(count, (box.end - box.payload - 12) // 4)
        return np.frombuffer(view, dtype=">u4", count=count, offset=box.payload + 12).astype(
            np.int64
        )
    box = tables.get(b"stz2")
    if box is None or box.size < box.header + 12:
        return None
    field = view[box.payload + 7]
    count = min(struct.unpack_from(">I", view, box.payload + 8)[0], limit)
    raw = np.frombuffer(view, dtype=np.uint8, count=box.end - box.payload - 12,
                        offset=box.payload + 12)  # fmt: skip
    if field == 4:
        return np.stack([raw >> 4, raw & 15], axis=1).reshape(-1)[:count].astype(np.int64)
    if field == 8:
        return raw[:count].astype(np.int64)
    if field == 16:
        return raw[: 2 * count].view(">u2").astype(np.int64)
    return None


def _runs(view: memoryview, box: Box | None) -> list[tuple[int, int]]:
    if box is None or box.size < box.header + 8:
        return []
    count = struct.unpack_from(">I", view, box.payload + 4)[0]
    count = min(count, (box.end - box.payload - 8) // 12)
    entries = struct.unpack_from(f">{3 * count}I", view, box.payload + 8)
    return [(entries[3 * i], entries[3 * i + 1]) for i in range(count)]


def _merged(offsets: np.ndarray, lengths: np.ndarray) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for offset, length in sorted(zip(offsets.tolist(), lengths.tolist(), strict=True)):
        if length <= 0:
            continue
        if ranges and offset <= ranges[-1][0] + ranges[-1][1]:
            start, old = ranges[-1]
            ranges[-1] = (start, max(old, offset + length - start))
        else:
            ranges.append((offset, length))
    return ranges
