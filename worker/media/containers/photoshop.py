"""Photoshop image resource blocks (IRB) and the IPTC-IIM blocks inside them.

Adobe Photoshop File Formats Specification, "Image Resource Blocks": a
signature (``8BIM``, or an older vendor's), a 2-byte id, a Pascal name padded
to an even length, a 4-byte size and the data, padded to an even length.
:func:`resources` is the one walk over them (the IPTC blocks extract reads,
the credits strip carries over); it stops at the first block that is not
a resource and clips a size that runs past the end, as ExifTool reads on. Each
step advances at least 12 bytes, so it ends in time linear in the size.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

SIGNATURES = (b"8BIM", b"PHUT", b"DCSR", b"AgHg", b"MeSa")
IPTC_RESOURCE = 0x0404


def resources(irb: bytes | memoryview) -> Iterator[tuple[int, bytes]]:
    """``(resource id, data)`` of each resource of an image-resource stream, in order."""
    data = bytes(irb)
    pos, end = 0, len(data)
    while pos + 12 <= end and data[pos : pos + 4] in SIGNATURES:
        rid = int.from_bytes(data[pos + 4 : pos + 6], "big")
        name_len = data[pos + 6]
        pos += 7 + name_len + ((name_len + 1) & 1)  # Pascal name padded to even
        if pos + 4 > end:
            return
        (size,) = struct.unpack_from(">I", data, pos)
        pos += 4
        size = min(size, end - pos)
        yield rid, data[pos : pos + size]
        pos += size + (size & 1)


def photoshop_iptc_blocks(irb: bytes | memoryview) -> list[bytes]:
    """Each IPTC resource (0x0404) of an image-resource stream, in order."""
    return [body for rid, body in resources(irb) if rid == IPTC_RESOURCE]


def photoshop_iptc(irb: bytes | memoryview) -> bytes | None:
    """The IPTC-IIM data of an image-resource stream (its 0x0404 resources joined), ``None`` if
    it has none."""
    blocks = photoshop_iptc_blocks(irb)
    return b"".join(blocks) if blocks else None
