"""GIF: drop comments and application extensions other than animation looping; keep the frames.

GIF89a (CompuServe 1990): header, logical screen descriptor, optional global
colour table, then blocks until the ``;`` trailer. An image is ``,`` with a
descriptor, an optional local colour table and LZW data in sub-blocks (a
length byte, then that many bytes; 0 ends the run). An extension is ``!``, a
label and sub-blocks. Kept: graphic control (0xF9: delays, disposal,
transparency), plain text (0x01, drawn on the canvas), the NETSCAPE2.0 and
ANIMEXTS1.0 looping blocks and, when ``icc`` is kept, the ICCRGBG1012 profile.
Dropped: comments (0xFE), XMP ("XMP DataXMP") and every other application or
unknown extension, and whatever follows the trailer. A stray byte between
blocks, or an extension without a data sub-block, is ``corrupt_image``:
readers disagree on how to go on (giflib stops, Pillow skips or reads on).
Where each part ends comes from the GIF reader (:mod:`worker.media.containers.gif`).
"""

from __future__ import annotations

from common.errors import CorruptImage
from worker.media.containers.gif import (
    APPLICATION,
    COMMENT,
    GRAPHIC_CONTROL,
    ICC,
    LOOPING,
    PLAIN_TEXT,
    image_end,
    screen_end,
    sub_blocks_end,
)

from .report import Report


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """The GIF without comments or metadata extensions; ``report`` says what went."""
    view = memoryview(data)
    pos = screen_end(data)
    kept: list[memoryview] = [view[:pos]]
    while pos < len(data):
        introducer = data[pos]
        if introducer == 0x3B:  # trailer
            kept.append(view[pos : pos + 1])
            pos += 1
            break
        if introducer == 0x2C:
            end = image_end(data, pos)
            kept.append(view[pos:end])
        elif introducer == 0x21:
            end = sub_blocks_end(data, pos + 2)
            if _keeps_extension(view[pos:end], keep, report):
                kept.append(view[pos:end])
        else:  # giflib stops here too; Pillow would skip the byte and read on
            raise CorruptImage(f"GIF has an unknown block type 0x{introducer:02X} at offset {pos}")
        pos = end
    if pos < len(data):
        report.remove("data after trailer", len(data) - pos, "vendor")
    return b"".join(kept)


def _keeps_extension(block: memoryview, keep: frozenset[str], report: Report) -> bool:
    """Whether the extension block is kept; a dropped one is recorded in ``report``."""
    label = block[1]
    if label in (GRAPHIC_CONTROL, PLAIN_TEXT):
        return True
    if label == COMMENT:
        report.remove("Comment", len(block), "comment")
        return False
    if len(block) < 4:  # readers disagree on where such a block ends (Pillow reads on)
        raise CorruptImage(f"GIF extension 0x{label:02X} has no data sub-block")
    if label != APPLICATION:
        report.remove(f"extension 0x{label:02X}", len(block), "vendor")
        return False
    identifier = bytes(block[3 : 3 + 11]) if block[2] >= 11 else b""
    if identifier in LOOPING:
        return True
    if identifier == ICC and "icc" in keep:
        report.keep("icc")
        return True
    group = {ICC: "icc", b"XMP DataXMP": "xmp"}.get(identifier, "vendor")
    name = identifier.decode("latin-1") if identifier.isascii() else identifier.hex()
    report.remove(f"Application {name}".strip(), len(block), group)
    return False
