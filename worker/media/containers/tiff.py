"""TIFF (TIFF 6.0; XMP Part 3 §1.1.4): the file is the EXIF structure.

Its IFD0 tags 700, 33723, 34377 and 34675 hold XMP, IPTC, the Photoshop IRB and
the ICC profile; the EXIF reader collects them while it reads the directories.
"""

from __future__ import annotations

from .blocks import Blocks


def read(data: bytes) -> Blocks:
    """One EXIF block: the whole file, at position 0."""
    blocks = Blocks()
    blocks.exif.append((data, 0))
    return blocks
