"""Photoshop image resource blocks and the IPTC-IIM records inside them.

A Photoshop IRB (Adobe "Photoshop File Formats", Image Resource Blocks) is a
run of ``8BIM`` resources: id (2 bytes), Pascal name padded to even length,
size (4 bytes), data padded to even length. Resource 0x0404 holds IPTC-IIM
(IPTC IIM 4.2 §1.5): ``0x1C``, record, dataset, 2-byte size, data. By-line
(2:80) and CopyrightNotice (2:116) are what ``keep=copyright`` carries over.
The resources come from the one resource walk, :mod:`worker.media.containers.photoshop`.
"""

from __future__ import annotations

import struct

from worker.media.containers.photoshop import photoshop_iptc_blocks

from .exif import Retained

BY_LINE, COPYRIGHT_NOTICE = (2, 80), (2, 116)


def read_photoshop(irb: bytes | memoryview, retained: Retained) -> set[str]:
    """The groups (``photoshop``, ``iptc``) a resource block run holds; offers IPTC credits."""
    groups = {"photoshop"}
    for records in photoshop_iptc_blocks(irb):
        groups.add("iptc")
        read_iptc(records, retained)
    return groups


def read_iptc(records: bytes, retained: Retained) -> None:
    """Offer By-line and CopyrightNotice of IPTC-IIM ``records`` to ``retained``."""
    found: dict[tuple[int, int], list[bytes]] = {}
    pos = 0
    while pos + 5 <= len(records) and records[pos] == 0x1C:
        key = (records[pos + 1], records[pos + 2])
        size = struct.unpack_from(">H", records, pos + 3)[0]
        if size & 0x8000:  # extended dataset: the length is in the next (size & 0x7FFF) bytes
            break
        found.setdefault(key, []).append(records[pos + 5 : pos + 5 + size])
        pos += 5 + size
    retained.offer(
        artist=b"; ".join(found.get(BY_LINE, [])) or None,
        copyright=b"".join(found.get(COPYRIGHT_NOTICE, [])[:1]) or None,
    )
