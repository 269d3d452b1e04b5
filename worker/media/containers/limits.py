"""How far the container readers go: the loop bounds every walker checks against."""

from __future__ import annotations

MAX_PARTS = 10_000  # segments, chunks, boxes or blocks walked at one level
MAX_GIF_BLOCKS = 100_000  # GIF blocks (every frame is a few)
MAX_ITEMS = 8  # HEIF Exif/XMP items read (a file may point many items at the same bytes)
MAX_EXTENTS = 100_000  # item extents listed in one ISO BMFF ``iloc`` box
