"""One reader per image container: what its segments, chunks or boxes are, and what they hold.

=========  =====================  ===========================================================
format     module                 what the reader lists (the strip and extract sides)
=========  =====================  ===========================================================
JPEG       :mod:`.jpeg`           marker segments to the first SOS, then the markers between
                                  scans through EOI
PNG/APNG   :mod:`.png`            chunks through IEND; text, ``iCCP`` and raw-profile payloads
WebP       :mod:`.webp`           RIFF chunks
GIF        :mod:`.gif`            blocks (images, extensions) to the trailer
TIFF       :mod:`.tiff`           the IFD chain, each page's entries, strips and tiles
                                  (strict); for extract the file is one EXIF block
HEIF/AVIF  :mod:`.bmff`,          ISO BMFF boxes, ``iinf``/``iloc``/``ipma`` tables;
           :mod:`.heif`           the ``meta`` box's Exif/XMP items and primary properties
BMP        :mod:`.bmp`            the headers (pixel offset, size, depth, density, ICC)
Photoshop  :mod:`.photoshop`      image resources (JPEG APP13, PNG profiles, TIFF 34377)
=========  =====================  ===========================================================

Each walker has a strict mode (strip: a structure that does not fit is
``CorruptImage``, since the output must decode as the input did) and a lenient
one (extract: stop there, keep what was found, mark it ``truncated``, as
ExifTool reads on). Every length is checked against the data before use; loops
are bounded (:mod:`.limits`); compressed metadata inflates through one budget
per file (:mod:`.inflate`), so a zlib bomb is ``decompression_bomb`` in every
operation. :func:`locate` gives the metadata blocks of a file for extract.
docs/formats.md describes each format for users.
"""

from __future__ import annotations

from importlib import import_module

from .blocks import Blocks
from .photoshop import photoshop_iptc

__all__ = ["READERS", "Blocks", "locate", "photoshop_iptc"]

# format -> the module whose ``read`` walks it (imported with the first file of the format:
# a one-file command loads one reader)
READERS: dict[str, str] = {
    "jpg": "jpeg",
    "png": "png",
    "webp": "webp",
    "gif": "gif",
    "tiff": "tiff",
    "heic": "heif",
    "heif": "heif",
    "avif": "heif",
    "bmp": "bmp",
}


def locate(data: bytes, format_name: str) -> Blocks:
    """The metadata blocks of ``data``, a file of the format named ``format_name``."""
    return import_module(f"{__name__}.{READERS[format_name]}").read(data)
