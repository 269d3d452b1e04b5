"""Photoshop image resource blocks (IRB): the IPTC-IIM block inside them.

Adobe Photoshop File Formats Specification, "Image Resource Blocks": a
signature (``8BIM``, or an older vendor's), a 2-byte id, a Pascal name padded
to an even length, a 4-byte size and the data, padded to an even length.
"""

from __future__ import annotations

import struct

SIGNATURES = (b"8BIM", b"PHUT", b"DCSR", b"AgHg", b"MeSa")
IPTC_RESOURCE = 0x0404


def photoshop_iptc(irb: bytes) -> bytes | None:
    """The IPTC-IIM data (resource 0x0404) of an image-resource stream, ``None`` if it has none."""
    pos = 0
    n = len(irb)
    found = None
    while pos + 12 <= n:
        if irb[pos : pos + 4] not in SIGNATURES:
            break
        rid = int.from_bytes(irb[pos + 4 : pos + 6], "big")
        name_len = irb[pos + 6]
        pos += 7 + name_len + ((name_len + 1) & 1)  # Pascal name padded to even
        if pos + 4 > n:
            break
        (size,) = struct.unpack(">I", irb[pos : pos + 4])
        pos += 4
        size = min(size, n - pos)
        if rid == IPTC_RESOURCE:
            found = (found or b"") + irb[pos : pos + size]
        pos += size + (size & 1)
    return found
