"""BMP: nothing to strip.

A BMP (Microsoft "Bitmap Storage", BITMAPFILEHEADER + BITMAPINFOHEADER/V4/V5)
holds pixels, a palette and at most a colour space or ICC profile in the V5
header: no EXIF, XMP, IPTC or comment. Its headers are walked by the strict
BMP reader (:mod:`worker.media.containers.bmp`), so one cut short is
``corrupt_image`` as in every other format; the file is returned unchanged
and the report lists nothing removed.
"""

from __future__ import annotations

from worker.media.containers import bmp as container

from .report import Report


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """``data`` itself: a BMP carries no metadata that identifies a person or a camera."""
    container.header(data, strict=True)
    return data
