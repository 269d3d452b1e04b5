"""BMP (Win32 BITMAPINFOHEADER .. BITMAPV5HEADER): size, depth, density and an embedded ICC."""

from __future__ import annotations

import struct

from .blocks import Blocks


def read(data: bytes) -> Blocks:
    """BMP: the BITMAPV5HEADER may embed an ICC profile."""
    blocks = Blocks()
    if len(data) < 18:
        blocks.truncated = True
        return blocks
    header_size = struct.unpack("<I", data[14:18])[0]
    if header_size >= 40 and len(data) >= 14 + 40:
        w, h, _planes, bpp = struct.unpack("<iiHH", data[18:30])
        blocks.info.update(width=w, height=abs(h), bpp=bpp)
        ppm = struct.unpack("<ii", data[38:46])
        blocks.info["ppm"] = ppm
    if header_size >= 124 and len(data) >= 14 + 124:
        cs_type = data[14 + 56 : 14 + 60]
        offset, size = struct.unpack("<II", data[14 + 112 : 14 + 120])
        if cs_type in (b"MBED", b"DEBM") and size > 0 and 14 + offset + size <= len(data):
            blocks.icc = data[14 + offset : 14 + offset + size]
    return blocks
