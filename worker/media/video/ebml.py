"""EBML, the binary container of Matroska and WebM (RFC 8794), read from a file.

An element is a variable-length ID, a variable-length size and the data. A
variable-length integer (``vint``) starts with a byte whose leading zeros count the bytes
that follow (RFC 8794 §4); a size whose value bits are all ones is "unknown" (the element
runs to the end of its parent, as live-streamed Segments and Clusters do). IDs are kept
without their length marker, as ExifTool's Matroska tables number them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

UNKNOWN = -1  # the size of an element of unknown size

# element IDs (marker bit removed), RFC 9559 §5.1
EBML_HEADER = 0x0A45DFA3
SEGMENT = 0x08538067
SEEK_HEAD = 0x014D9B74
INFO = 0x0549A966
TRACKS = 0x0654AE6B
CLUSTER = 0x0F43B675
CUES = 0x0C53BB6B
CHAPTERS = 0x0043A770
TAGS = 0x0254C367
ATTACHMENTS = 0x0941A469
VOID = 0x6C
CRC32 = 0x3F


class BadElement(ValueError):
    """An element header that cannot be read where it is."""


def vint(data: bytes | memoryview, pos: int, *, marker: bool = False) -> tuple[int, int]:
    """The integer at ``data[pos]`` and its length; ``UNKNOWN`` for the all-ones value.
    With ``marker`` the length marker is kept (the way element IDs are usually written)."""
    if pos >= len(data):
        raise BadElement("truncated variable-length integer")
    first = data[pos]
    if not first:
        raise BadElement("variable-length integer longer than 8 bytes")
    length = 9 - first.bit_length()
    if pos + length > len(data):
        raise BadElement("truncated variable-length integer")
    mask = 0xFF >> length
    value = first if marker else first & mask
    all_ones = (first & mask) == mask
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
        all_ones = all_ones and byte == 0xFF
    return (UNKNOWN if all_ones and not marker else value), length


@dataclass(frozen=True)
class Element:
    """One element: its ID (marker removed), where its header starts, where its data
    starts and its data size (``UNKNOWN`` if not given)."""

    id: int
    start: int
    data: int
    size: int

    def end(self, parent_end: int) -> int:
        return parent_end if self.size == UNKNOWN else self.data + self.size


def read_header(file: BinaryIO, pos: int, end: int) -> Element:
    """The element whose header starts at file offset ``pos``; its data must end by ``end``."""
    file.seek(pos)
    head = file.read(min(12, max(0, end - pos)))
    element_id, id_len = vint(head, 0)
    size, size_len = vint(head, id_len)
    element = Element(element_id, pos, pos + id_len + size_len, size)
    if size != UNKNOWN and element.data + size > end:
        raise BadElement(f"element 0x{element_id:x} at {pos} runs past its parent (ends {end})")
    if element.data > end:
        raise BadElement(f"truncated element header at {pos}")
    return element
