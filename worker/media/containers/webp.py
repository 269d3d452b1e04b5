"""WebP (RFC 9649; Google's "WebP Container Specification"): RIFF chunks and their metadata.

``RIFF``, a little-endian size (of everything after it), ``WEBP``, then chunks
(FourCC, size, payload, a pad byte when the size is odd). :func:`chunks` walks
them. Strict (strip): a RIFF size beyond the file or a chunk beyond the RIFF
size is ``CorruptImage`` (only an odd last chunk may lack its pad byte).
Lenient (extract): the RIFF size is clipped to the file and the walk stops at a
chunk that runs past it. :func:`read` collects ``VP8X``, ``EXIF``, ``XMP ``,
``ICCP`` and counts ``ANMF`` frames.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from common.errors import CorruptImage

from .blocks import Blocks
from .limits import MAX_PARTS


@dataclass(frozen=True)
class Chunk:
    """A chunk: ``data[start:end]`` is FourCC, size, payload and pad byte."""

    fourcc: bytes
    start: int
    size: int  # of the payload
    end: int
    truncated: bool = False  # (lenient) runs past the end; (strict) an odd last chunk unpadded

    @property
    def body(self) -> slice:
        return slice(self.start + 8, min(self.start + 8 + self.size, self.end))


def riff_end(data: bytes, *, strict: bool = True) -> int:
    """Where the RIFF payload ends, after checking the size the header declares."""
    if len(data) < 20:
        if strict:
            raise CorruptImage(f"truncated WebP: {len(data)} bytes")
        return len(data)
    (size,) = struct.unpack_from("<L", data, 4)
    if strict and (size < 12 or 8 + size > len(data)):
        raise CorruptImage(f"WebP RIFF header declares {size} bytes but {len(data) - 8} follow it")
    return min(len(data), 8 + size)


def chunks(data: bytes, end: int, *, strict: bool = True) -> Iterator[Chunk]:
    """The chunks from offset 12 to ``end`` (:func:`riff_end`)."""
    pos = 12
    for _ in range(MAX_PARTS if not strict else len(data)):
        if pos + 8 > end:
            if strict and pos < end:
                raise CorruptImage(f"WebP chunk header at offset {pos} runs past the RIFF size")
            return
        fourcc, size = struct.unpack_from("<4sL", data, pos)
        stop = pos + 8 + size + (size & 1)
        if stop <= end:
            yield Chunk(fourcc, pos, size, stop)
        elif stop == end + 1:  # an odd last chunk without its pad byte
            yield Chunk(fourcc, pos, size, end, truncated=True)
            return
        elif strict:
            name = fourcc.decode("latin-1").strip() if fourcc.isascii() else fourcc.hex()
            raise CorruptImage(
                f"WebP chunk {name} at offset {pos} declares {size} bytes, past the RIFF size"
            )
        else:
            yield Chunk(fourcc, pos, size, min(stop, len(data)), truncated=True)
            return
        pos = stop


def read(data: bytes) -> Blocks:
    """The metadata of a WebP file (lenient)."""
    blocks = Blocks()
    info = blocks.info
    frames = 0
    for chunk in chunks(data, riff_end(data, strict=False), strict=False):
        blocks.truncated |= chunk.truncated and chunk.end - chunk.start < 8 + chunk.size
        fourcc, body, start = chunk.fourcc, data[chunk.body], chunk.start + 8
        if fourcc == b"VP8X" and len(body) >= 10:
            flags = body[0]
            info["vp8x_flags"] = flags
            info["width"] = 1 + int.from_bytes(body[4:7], "little")
            info["height"] = 1 + int.from_bytes(body[7:10], "little")
            info["animated"] = bool(flags & 0x02)
            info["alpha"] = bool(flags & 0x10)
        elif fourcc == b"ICCP":
            blocks.icc = body
        elif fourcc == b"EXIF":
            skip = 6 if body.startswith(b"Exif\x00\x00") else 0
            blocks.exif.append((body[skip:], start + skip))
        elif fourcc == b"XMP ":
            blocks.xmp.append(body)
        elif fourcc == b"ANMF":
            frames += 1
        elif fourcc == b"VP8L":
            info["lossless"] = True
        elif fourcc == b"VP8 ":
            info["lossy"] = True
        elif fourcc == b"ALPH":
            info["alpha"] = True
    if frames:
        info["frames"] = frames
    return blocks
