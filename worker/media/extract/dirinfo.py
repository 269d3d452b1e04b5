"""What the directory readers share: where a directory is (:class:`DirInfo`) and the limits.

The limits keep a hostile file bounded: at most :data:`MAX_ENTRIES` directory entries
per file, :data:`MAX_DEPTH` levels of nesting and :data:`MAX_IFD_CHAIN` chained IFDs.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import perl as P
from .tabletypes import SubDir, Tag

MAX_ENTRIES = 200_000  # directory entries per file (a real file has a few thousand)
MAX_DEPTH = 12  # nested directories (IFD0 > ExifIFD > MakerNotes > sub-table > ...)
MAX_IFD_CHAIN = 64  # IFD0 -> IFD1 -> IFD2 ... links followed

# Exif::Main tags whose value is another metadata format (TIFF/EXIF files keep their
# XMP, IPTC, Photoshop resources and ICC profile there): captured as blocks.
BLOCK_TAGS = {0x02BC: "xmp", 0x83BB: "iptc", 0x8649: "photoshop", 0x8773: "icc"}


@dataclass
class DirInfo:
    """ExifTool's ``%dirInfo``: where a directory is and how its offsets resolve.

    ``data[dir_start:]`` is the directory; a value offset ``p`` read from it is at
    ``data[p - data_pos]``; ``base`` is that offset origin's position in the TIFF
    block (used for absolute ``IsOffset`` values).
    """

    data: bytes
    dir_start: int
    dir_len: int
    data_pos: int = 0
    base: int = 0
    dir_name: str = "IFD0"
    order: str = "<"
    maker_note: bool = False  # a maker-note IFD whose base may need repair (makernotes.fix_base)
    entry_based: bool = False
    multi: bool = False  # follow the next-IFD pointer (IFD0, SubIFD)
    tag: Tag | None = None  # the tag that led here
    subdir: SubDir | None = None
    depth: int = 0


def as_int(value: object) -> int | None:
    """A Perl value used as an offset, or ``None`` (undef, inf, nan, absurd)."""
    if value is None:
        return None
    number = P.num(value)
    if isinstance(number, float) and not number.is_integer():
        number = int(number) if number == number and abs(number) != float("inf") else None
    return int(number) if number is not None and abs(number) < 2**63 else None


def add_to_all(value: object, base: int) -> object:
    if isinstance(value, str) and " " in value:
        return " ".join(P.pstr(P.add(v, base)) for v in value.split())
    return P.add(value, base)
