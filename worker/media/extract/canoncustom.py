"""Canon custom functions (ExifTool's ``CanonCustom`` tables), read as ExifTool reads them.

Two layouts, named by the tables' ``PROCESS_PROC``:

* ``ProcessCanonCustom`` (EOS D30 to 5D, 1D Mark II): an ``int16u`` array whose first
  value is the block's size in bytes; each following value holds a function number
  in its high byte and the setting in its low byte.
* ``ProcessCanonCustom2`` (1D Mark III, 40D and later): an ``int16u`` size, an
  ``int32u`` group count, then groups (``int32u`` number, byte length, entry count)
  of entries (``int32u`` function number, value count, that many ``int32s`` values).

The tags, their conditions and conversions come from the generated tables; a block
that does not start with its own size is skipped with ExifTool's warning.
"""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING

from .tabletypes import Table

if TYPE_CHECKING:
    from .exif import DirInfo, ExifReader


def _handle(reader: ExifReader, info: DirInfo, table: Table, tag_id: int, value, **env) -> None:
    """ExifTool's ``HandleTag`` with a value: choose the alternative, then store it."""
    tag = reader.choose(table, tag_id, val_pt=str(value), **env)
    if tag is not None:
        reader.found(tag, table, value, tag.group1 or table.group1 or info.dir_name)


def process_custom(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    """``CanonCustom::ProcessCanonCustom``: ``(function << 8) | setting`` words."""
    data, start, size, order = info.data, info.dir_start, info.dir_len, info.order
    if size < 2 or start + size > len(data):
        return False
    length = struct.unpack_from(order + "H", data, start)[0]
    model = str(reader.state.get("Model", ""))
    if length != size and not (re.search(r"\bD60\b", model) and length + 2 == size):
        reader.store.warn("Invalid CanonCustom data")
        return False
    for pos in range(2, size - 1, 2):
        word = struct.unpack_from(order + "H", data, start + pos)[0]
        _handle(reader, info, table, word >> 8, word & 0xFF, fmt="int8u", count=1)
    return True


def process_custom2(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    """``CanonCustom::ProcessCanonCustom2``: groups of ``(function, count, int32s values)``."""
    data, start, size, order = info.data, info.dir_start, info.dir_len, info.order
    if size < 8 or start + size > len(data):
        return False
    if struct.unpack_from(order + "H", data, start)[0] != size:
        reader.store.warn("Invalid CanonCustom2 data")
        return False
    pos, end = start + 8, start + size
    while pos + 12 <= end:
        number, length, _count = struct.unpack_from(order + "3I", data, pos)
        if length < 8:
            break
        pos += 12
        group_end = pos + length - 8
        if group_end > end:
            reader.store.warn(f"Corrupted CanonCustom2 group {number}")
            return False
        _group(reader, info, table, pos, group_end)
        pos = group_end
    if pos != end:
        reader.store.warn("Possibly corrupted CanonCustom2 data")
        return False
    return True


def _group(reader: ExifReader, info: DirInfo, table: Table, pos: int, end: int) -> None:
    data, order = info.data, info.order
    while pos + 8 < end:
        tag_id, count = struct.unpack_from(order + "2I", data, pos)
        following = pos + 8 + count * 4
        if following > end:
            return
        if (
            (tag_id, count) == (0x70C, 0x66)
            and following + 8 < end
            and struct.unpack_from(order + "I", data, following + 4)[0] == 0x70F
        ):
            reader.store.warn("Fixed incorrect CanonCustom tag 0x70c size", minor=True)
            count += 1  # EOS-1D X Mark III firmware 1.0.0 writes one value too few
        values = struct.unpack_from(f"{order}{count}i", data, pos + 8) if count else ()
        value: object = values[0] if count == 1 else " ".join(map(str, values))
        _handle(reader, info, table, tag_id, value, fmt="int32u", count=count)
        pos += 8 + count * 4


PROCESSORS = {
    "CanonCustom::ProcessCanonCustom": process_custom,
    "CanonCustom::ProcessCanonCustom2": process_custom2,
}
