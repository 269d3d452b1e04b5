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
"""

from __future__ import annotations

from common.errors import CorruptImage

from .report import Report

LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
ICC = b"ICCRGBG1012"
GRAPHIC_CONTROL, PLAIN_TEXT, COMMENT, APPLICATION = 0xF9, 0x01, 0xFE, 0xFF


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """The GIF without comments or metadata extensions; ``report`` says what went."""
    view = memoryview(data)
    pos = _screen_end(data)
    kept: list[memoryview] = [view[:pos]]
    while pos < len(data):
        introducer = data[pos]
        if introducer == 0x3B:  # trailer
            kept.append(view[pos : pos + 1])
            pos += 1
            break
        if introducer == 0x2C:
            end = _image_end(data, pos)
            kept.append(view[pos:end])
        elif introducer == 0x21:
            end = _sub_blocks_end(data, pos + 2)
            if _keeps_extension(view[pos:end], keep, report):
                kept.append(view[pos:end])
        else:  # giflib stops here too; Pillow would skip the byte and read on
            raise CorruptImage(f"GIF has an unknown block type 0x{introducer:02X} at offset {pos}")
        pos = end
    if pos < len(data):
        report.remove("data after trailer", len(data) - pos, "vendor")
    return b"".join(kept)


def _screen_end(data: bytes) -> int:
    """The end of the header, logical screen descriptor and global colour table."""
    if len(data) < 13:
        raise CorruptImage(f"truncated GIF: {len(data)} bytes")
    flags = data[10]
    end = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    if end > len(data):
        raise CorruptImage("truncated GIF: the global colour table runs past the end")
    return end


def _image_end(data: bytes, pos: int) -> int:
    """The end of the image at ``pos``: descriptor, local colour table, LZW code size, data."""
    if pos + 10 > len(data):
        raise CorruptImage(f"truncated GIF: image descriptor at offset {pos}")
    flags = data[pos + 9]
    table = 3 << ((flags & 7) + 1) if flags & 0x80 else 0
    return _sub_blocks_end(data, pos + 10 + table + 1)


def _sub_blocks_end(data: bytes, pos: int) -> int:
    """The end of the run of sub-blocks starting at ``pos`` (after its 0 terminator)."""
    size = len(data)
    while pos < size:
        length = data[pos]
        pos += 1 + length
        if length == 0:
            return pos
    raise CorruptImage("truncated GIF: a block's data runs past the end")


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
