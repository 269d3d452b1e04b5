"""What a container holds for the metadata readers: its blocks as raw bytes, and format facts."""

from __future__ import annotations

from dataclasses import dataclass, field

from .inflate import Inflater


@dataclass
class Blocks:
    """The metadata blocks found in one file, plus structural facts for ``extract.image``."""

    exif: list[tuple[bytes, int]] = field(default_factory=list)  # (TIFF block, file position)
    xmp: list[bytes] = field(default_factory=list)
    xmp_extended: dict[str, dict[int, bytes]] = field(default_factory=dict)
    icc: bytes | None = None
    iptc: bytes | None = None  # IPTC-IIM datasets
    photoshop: bytes | None = None  # Photoshop image resource blocks
    comments: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)  # format facts (density, frames, progressive...)
    truncated: bool = False
    inflate: Inflater = field(default_factory=Inflater)  # zTXt, iTXt, iCCP: one budget per file


def text(body: bytes) -> str:
    """A comment's text: UTF-8 if it is, else Latin-1, without trailing NULs."""
    raw = body.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
