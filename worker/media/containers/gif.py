"""GIF (GIF89a, CompuServe 1990 §18-26; XMP Part 3 §1.1.2): blocks and their metadata.

Header, logical screen descriptor, optional global colour table, then blocks
until the ``;`` trailer: images (``,``: descriptor, optional local colour
table, LZW code size, data in sub-blocks) and extensions (``!``, a label,
sub-blocks). A sub-block is a length byte and that many bytes; 0 ends a run.
The ``*_end`` helpers give where each part ends: strict (strip) they raise
``CorruptImage`` when it runs past the file, lenient (extract) they stop at
its end. :func:`read` (lenient) counts frames and collects comments, the
``XMP DataXMP`` and ``ICCRGBG1012`` application data, the loop count and
transparency.
"""

from __future__ import annotations

from common.errors import CorruptImage

from .blocks import Blocks, text
from .limits import MAX_GIF_BLOCKS

TRAILER, IMAGE, EXTENSION = 0x3B, 0x2C, 0x21
GRAPHIC_CONTROL, PLAIN_TEXT, COMMENT, APPLICATION = 0xF9, 0x01, 0xFE, 0xFF
LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
ICC = b"ICCRGBG1012"
XMP = b"XMP DataXMP"


def screen_end(data: bytes, *, strict: bool = True) -> int:
    """The end of the header, logical screen descriptor and global colour table."""
    if len(data) < 13:
        raise CorruptImage(f"truncated GIF: {len(data)} bytes")
    flags = data[10]
    end = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    if end > len(data) and strict:
        raise CorruptImage("truncated GIF: the global colour table runs past the end")
    return end


def image_end(data: bytes, pos: int, *, strict: bool = True) -> int:
    """The end of the image at ``pos``: descriptor, local colour table, LZW code size, data."""
    if pos + 10 > len(data):
        if strict:
            raise CorruptImage(f"truncated GIF: image descriptor at offset {pos}")
        return len(data)
    flags = data[pos + 9]
    table = 3 << ((flags & 7) + 1) if flags & 0x80 else 0
    return sub_blocks_end(data, pos + 10 + table + 1, strict=strict)


def sub_blocks_end(data: bytes, pos: int, *, strict: bool = True) -> int:
    """The end of the run of sub-blocks starting at ``pos`` (after its 0 terminator)."""
    size = len(data)
    while pos < size:
        length = data[pos]
        pos += 1 + length
        if length == 0:
            return pos
    if strict:
        raise CorruptImage("truncated GIF: a block's data runs past the end")
    return size


def sub_blocks(data: bytes, pos: int) -> bytes:
    """The payload of the run of sub-blocks at ``pos``, joined (lenient)."""
    out = bytearray()
    while pos < len(data) and data[pos]:
        out += data[pos + 1 : pos + 1 + data[pos]]
        pos += 1 + data[pos]
    return bytes(out)


def read(data: bytes) -> Blocks:
    """The metadata of a GIF (lenient)."""
    blocks = Blocks()
    n = len(data)
    if n < 13:
        blocks.truncated = True
        return blocks
    pos = screen_end(data, strict=False)
    frames = 0
    for _ in range(MAX_GIF_BLOCKS):
        if pos >= n or data[pos] == TRAILER:
            break
        if data[pos] == IMAGE:
            if pos + 10 > n:
                blocks.truncated = True
                break
            frames += 1
            pos = image_end(data, pos, strict=False)
        elif data[pos] == EXTENSION and pos + 2 <= n:
            pos = _extension(data, pos, blocks)
        else:
            break
    if pos >= n and frames == 0:
        blocks.truncated = True
    blocks.info["frames"] = frames
    return blocks


def _extension(data: bytes, pos: int, blocks: Blocks) -> int:
    """Read the extension at ``pos``; where it ends."""
    label, start = data[pos + 1], pos + 2
    end = sub_blocks_end(data, start, strict=False)
    if label == APPLICATION and data[start : start + 1] == b"\x0b" and start + 12 <= len(data):
        _application(data, data[start + 1 : start + 12], start + 12, blocks)
    elif label == COMMENT:
        blocks.comments.append(text(sub_blocks(data, start)))
    elif label == GRAPHIC_CONTROL and start + 6 <= len(data) and data[start + 1] & 1:
        blocks.info["transparency"] = True
    return end


def _application(data: bytes, app: bytes, pos: int, blocks: Blocks) -> None:
    if app == XMP:
        # XMP is stored raw (not in sub-blocks), followed by a 258-byte "magic trailer"
        raw_end = data.find(b"<?xpacket end=", pos)
        stop = data.find(b">", raw_end) + 1 if raw_end >= 0 else data.find(b"\x00", pos)
        blocks.xmp.append(data[pos:stop] if stop > pos else b"")
    elif app == ICC:
        blocks.icc = sub_blocks(data, pos)
    elif app in LOOPING:
        body = sub_blocks(data, pos)
        if len(body) >= 3 and body[0] == 1:
            blocks.info["loop"] = body[1] | (body[2] << 8)
