"""The binary-block reader: a port of ExifTool's ``ProcessBinaryData`` (``ExifTool.pm``).

A binary table lists values at fixed positions of a block: tag ID ``i`` is at
``i * size(FORMAT)``, plus the sizes that variable-length fields before it added
(``var_*`` formats, ``Format => 'string[$val{3}]'``, ``Hook``). Values may be masked
bit fields, offsets, or sub-directories of their own.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from . import perl as P
from .dirinfo import MAX_ENTRIES, DirInfo, as_int
from .tables import get_table
from .tabletypes import Table, Tag
from .valueformats import FORMAT_SIZE, read_value

if TYPE_CHECKING:
    from .exif import ExifReader


@dataclass
class Scan:
    """One pass over a binary block."""

    info: DirInfo
    table: Table
    size: int
    increment: int
    var_size: int = 0
    values: dict = field(default_factory=dict)  # %val: values by tag index, for Format counts
    block: str | None = None  # the block as a Perl string, made on first need

    @property
    def start(self) -> int:
        return self.info.dir_start

    def text(self) -> str:
        if self.block is None:
            self.block = self.info.data[self.start : self.start + self.size].decode("latin-1")
        return self.block


@dataclass
class Field:
    """Where one value is and how to read it (``val`` when already read)."""

    fmt: str
    count: int
    entry: int
    more: int
    val: object = None


def process_binary(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    """Port of ``ProcessBinaryData``: fixed-position values in a block."""
    size = min(info.dir_len, len(info.data) - info.dir_start)
    if size <= 0:
        return False
    scan = Scan(info, table, size, FORMAT_SIZE.get(table.fmt or "int8u", 1))
    reader.store.entries += len(table.tags)
    if reader.store.entries > MAX_ENTRIES:
        reader.store.warn("Too many directory entries: parsing stopped")
        return False
    for index in table.binary_ids():
        entry = int(index) * scan.increment + scan.var_size
        if entry < 0:
            entry += size
            if entry < 0:
                continue
        if entry >= size:
            if index >= 0:
                break
            continue
        if not _one(reader, scan, index, entry):
            break
    return True


def _choose(reader: ExifReader, scan: Scan, index: object, entry: int) -> Tag | None:
    alternatives = scan.table.tags[index]
    if any(t.cond is not None for t in alternatives):
        return reader.choose(scan.table, index, val_pt=scan.text()[entry : entry + 128])
    return alternatives[0] if not alternatives[0].unknown else None


def _one(reader: ExifReader, scan: Scan, index: object, entry: int) -> bool:
    """Read the value at ``entry`` for tag ``index``; False stops the block."""
    tag = _choose(reader, scan, index, entry)
    if tag is None:
        return True
    spot = _field(reader, scan, tag, entry)
    if spot is None:
        return False
    if not spot.fmt:
        return True
    if tag.hook is not None:
        _hook(reader, scan, tag, spot)
    if spot.fmt not in FORMAT_SIZE:
        return True
    info = scan.info
    if spot.val is None or tag.subdir is not None:
        limit = min(spot.count * FORMAT_SIZE[spot.fmt], spot.more)
        sub_data = info.data[: scan.start + spot.entry + limit]
        spot.val = read_value(sub_data, scan.start + spot.entry, spot.fmt, spot.count, info.order)
        if spot.val is None:
            return True
        if tag.mask:
            spot.val = ((as_int(spot.val) or 0) & tag.mask) >> (tag.bit_shift or 0)
    if tag.subdir is not None:
        _subdir(reader, scan, tag, spot)
        return True
    val = spot.val
    if tag.is_offset and str(tag.is_offset) != "3" and reader.is_offset(tag, val):
        val = P.add(val, info.base + reader.tiff_pos)
    scan.values[P.pstr(index)] = val
    reader.found(tag, scan.table, val, tag.group1 or scan.table.group1 or info.dir_name)
    return True


def _field(reader: ExifReader, scan: Scan, tag: Tag, entry: int) -> Field | None:
    """The format and count of a value (``None`` stops the block; empty ``fmt`` skips it)."""
    more = scan.size - entry
    fmt = tag.fmt
    if not fmt:
        return Field(scan.table.fmt or "int8u", 1, entry, more)
    if fmt == "string" and tag.fmt_count is None:
        return Field(fmt, more, entry, more)
    if fmt == "pstring":
        count = scan.info.data[scan.start + entry]
        return Field("string", count, entry + 1, more - 1)
    if tag.fmt_count is not None:
        count = reader.format_count(tag, scan.size, scan.values)
        if count is None or count < 0:
            return Field("", 0, entry, more)
        if fmt.startswith("var_"):
            fmt = fmt[4:]
            scan.var_size += count * FORMAT_SIZE.get(fmt, 1) - scan.increment
        return Field(fmt, count, entry, more)
    if fmt.startswith("var_"):
        return _var_field(scan, fmt[4:], entry, more)
    return Field(fmt, 1, entry, more)


def _var_field(scan: Scan, fmt: str, entry: int, more: int) -> Field | None:
    """A ``var_*`` value: its length comes from the data (a terminator or a count)."""
    data, order = scan.info.data, scan.info.order
    start = scan.start + entry
    if fmt == "ustring":
        end = start
        while end + 1 < scan.start + scan.size and data[end : end + 2] != b"\x00\x00":
            end += 2
        count = end + 2 - start
        scan.var_size -= 2
    elif fmt in ("pstr32", "ustr32"):
        if more < 4:
            return None
        count = struct.unpack_from(order + "I", data, start)[0] * (2 if fmt == "ustr32" else 1)
        entry += 4
        more -= 4
    elif fmt == "int16u":
        if more < 2:
            return None
        count = struct.unpack_from(order + "H", data, start)[0] + 2
        scan.var_size -= 2
        fmt = "undef"
    else:
        nul = data.find(b"\x00", start, scan.start + scan.size)
        count = (nul - start + 1) if nul >= 0 else more
        scan.var_size -= 1
    count = min(count, more)
    scan.var_size += count
    val = data[scan.start + entry : scan.start + entry + count].decode("latin-1")
    if fmt in ("ustring", "ustr32"):
        encoding = "utf-16-be" if order == ">" else "utf-16-le"
        val = val.encode("latin-1").decode(encoding, "replace")
    if fmt != "undef":
        val = val.split("\x00", 1)[0]
    return Field(fmt, count, entry, more, val)


def _hook(reader: ExifReader, scan: Scan, tag: Tag, spot: Field) -> None:
    """A tag's ``Hook``: Perl that may change the format and the variable size."""
    env = reader.env(
        format=spot.fmt, varSize=scan.var_size, size=scan.size, dataPt=scan.text(), pos=spot.entry
    )
    reader.evaluate(tag.hook, env, tag.where("Hook"))
    spot.fmt = P.pstr(env.get("$format")) or spot.fmt
    scan.var_size = as_int(env.get("$varSize")) or 0


def _subdir(reader: ExifReader, scan: Scan, tag: Tag, spot: Field) -> None:
    sub = tag.subdir
    new_table = get_table(sub.table) if sub.table else None
    if new_table is None:
        return
    info = scan.info
    fixed = tag.fmt and spot.fmt in FORMAT_SIZE
    length = min(spot.count * FORMAT_SIZE[spot.fmt], spot.more) if fixed else spot.more
    sub_base = info.base
    if sub.base is not None:
        env = reader.env(start=spot.entry + info.dir_start + info.data_pos, base=info.base)
        shift = as_int(reader.evaluate(sub.base, env, tag.where("SubDirectory.Base")))
        if shift is None:
            return
        sub_base = shift + info.base
    if sub.start is not None and not isinstance(sub.start, int):
        if not P.truth(spot.val):
            return
        env = reader.env(val=spot.val, dirStart=info.dir_start)
        start = as_int(reader.evaluate(sub.start, env, tag.where("SubDirectory.Start")))
        if start is None or start < info.dir_start or start > len(info.data):
            return
        length = sub.dir_len or len(info.data) - start
    else:
        start = (sub.start or 0) + info.dir_start + spot.entry
    child = replace(
        info,
        dir_start=start,
        dir_len=length,
        base=sub_base,
        dir_name=tag.name,
        tag=tag,
        subdir=sub,
        depth=info.depth + 1,
        maker_note=False,
        multi=False,
    )
    reader.process(child, new_table, sub.proc)
