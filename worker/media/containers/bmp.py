"""BMP (Win32 BITMAPFILEHEADER + BITMAPCOREHEADER .. BITMAPV5HEADER): its headers.

A 14-byte file header (``BM``, file size, reserved, offset of the pixel array),
then an info header whose first 4 bytes give its size (12, 40, 52, 56, 64, 108
or 124). :func:`header` walks them. Strict (strip): an info header running
past the end, or a pixel array starting past it, is ``CorruptImage``. Lenient
(extract): what fits is read and the rest marked ``truncated``. :func:`read`
gives the size, depth, density and a BITMAPV5 embedded ICC profile; a BMP
holds no other metadata (no EXIF, XMP, IPTC or comment).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from common.errors import CorruptImage

from .blocks import Blocks

FILE_HEADER = 14
INFO_HEADER = 40  # BITMAPINFOHEADER: the first with 32-bit sizes and density
V5_HEADER = 124  # BITMAPV5HEADER: the first that can embed an ICC profile
EMBEDDED = (b"MBED", b"DEBM")  # PROFILE_EMBEDDED, as written in either byte order


@dataclass(frozen=True)
class Header:
    """What the headers say: the info header's size, where the pixels start, and where an
    embedded ICC profile lies (``(offset, size)`` in the file, ``None`` without one)."""

    info_size: int
    pixels_at: int
    profile: tuple[int, int] | None = None


def header(data: bytes, *, strict: bool = True) -> Header | None:
    """The headers of a BMP; ``None`` (lenient) when they are cut short."""
    if len(data) < FILE_HEADER + 4:
        if strict:
            raise CorruptImage(f"truncated BMP: {len(data)} bytes")
        return None
    pixels_at, info_size = struct.unpack_from("<LL", data, 10)
    if strict and FILE_HEADER + info_size > len(data):
        raise CorruptImage(f"BMP info header ({info_size} bytes) runs past the end")
    if strict and pixels_at > len(data):
        raise CorruptImage(f"BMP pixel data at offset {pixels_at} starts past the end")
    profile = None
    if info_size >= V5_HEADER and len(data) >= FILE_HEADER + V5_HEADER:
        cs_type = data[FILE_HEADER + 56 : FILE_HEADER + 60]
        offset, size = struct.unpack_from("<LL", data, FILE_HEADER + 112)
        start = FILE_HEADER + offset
        if cs_type in EMBEDDED and size > 0 and start + size <= len(data):
            profile = (start, size)
    return Header(info_size, pixels_at, profile)


def read(data: bytes) -> Blocks:
    """Size, depth, density and the embedded ICC profile of a BMP (lenient)."""
    blocks = Blocks()
    found = header(data, strict=False)
    if found is None:
        blocks.truncated = True
        return blocks
    if found.info_size >= INFO_HEADER and len(data) >= FILE_HEADER + INFO_HEADER:
        w, h, _planes, bpp = struct.unpack_from("<iiHH", data, 18)
        blocks.info.update(width=w, height=abs(h), bpp=bpp)
        blocks.info["ppm"] = struct.unpack_from("<ii", data, 38)
    if found.profile is not None:
        start, size = found.profile
        blocks.icc = data[start : start + size]
    return blocks
