"""The IFD reader: a port of the reading half of ExifTool's ``Exif::ProcessExif`` (``Exif.pm``).

A TIFF image file directory is a 2-byte entry count, 12-byte entries (tag ID,
format, count, value or offset; TIFF 6.0 §2) and a 4-byte offset of the next IFD.
:func:`process_ifd` reads each entry, picks the tag definition ExifTool would
(``Condition``), reads the value, follows sub-directories (:func:`subdirectory`) and
the IFD chain (:func:`next_ifd`), and stores what it found through the reader.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from typing import TYPE_CHECKING

from . import makernotes
from . import perl as P
from .dirinfo import BLOCK_TAGS, MAX_ENTRIES, MAX_IFD_CHAIN, DirInfo, add_to_all, as_int
from .tables import get_table
from .tabletypes import SubDir, Table, Tag
from .valueformats import FORMAT_SIZE, INTEGER_FORMATS, TYPE_NAMES, read_value

if TYPE_CHECKING:
    from .exif import ExifReader

_ABORT = -1  # an entry result that ends the directory


def _header(reader: ExifReader, info: DirInfo, table: Table) -> tuple[int, int] | None:
    """The entry count and the end of the entries, or ``None`` for a bad directory."""
    data, dir_start, dir_name = info.data, info.dir_start, info.dir_name
    in_maker = table.group0 == "MakerNotes"
    if dir_start < 0 or dir_start > len(data) - 2:
        reader.store.warn(f"Bad {dir_name} directory", minor=in_maker)
        return None
    num = struct.unpack_from(info.order + "H", data, dir_start)[0]
    dir_end = dir_start + 2 + 12 * num
    if dir_end > len(data):
        reader.store.warn(f"Bad {dir_name} directory", minor=in_maker)
        if not (in_maker and info.dir_len >= 14 and dir_start + info.dir_len <= len(data)):
            return None
        num = (info.dir_len - 2) // 12
        dir_end = dir_start + 2 + 12 * num
    bytes_from_end = len(data) - dir_end
    if bytes_from_end < 4 and bytes_from_end not in (0, 2):
        reader.store.warn(f"Illegal {dir_name} directory size ({num} entries)")
        return None
    return num, dir_end


def process_ifd(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    """Port of ``Exif::ProcessExif`` (reading only)."""
    header = _header(reader, info, table)
    if header is None:
        return False
    num, dir_end = header
    if info.maker_note:
        info = makernotes.fix_base(reader, info)
    reader.store.entries += num
    if reader.store.entries > MAX_ENTRIES:
        reader.store.warn("Too many directory entries: EXIF parsing stopped")
        return False
    reader.state["Compression"] = reader.state["SubfileType"] = ""
    warnings = 0
    for index in range(num):
        if warnings > 10:
            reader.store.warn(f"Too many warnings -- {info.dir_name} parsing aborted", minor=True)
            return False
        result = _entry(reader, info, table, index)
        if result == _ABORT:
            return False
        warnings += result
    if info.multi and len(info.data) - dir_end >= 4:
        next_ifd(reader, info, table, dir_end)
    return True


def _entry(reader: ExifReader, info: DirInfo, table: Table, index: int) -> int:
    """Read entry ``index``: 0 when fine, 1 after a warning, :data:`_ABORT` to stop."""
    data, order = info.data, info.order
    in_maker = table.group0 == "MakerNotes"
    entry = info.dir_start + 2 + 12 * index
    tag_id, fmt_code, count = struct.unpack_from(order + "HHI", data, entry)
    fmt = TYPE_NAMES.get(fmt_code)
    if fmt is None or (fmt_code > 13 and not (fmt_code == 16 and in_maker)):
        if fmt_code or index == 0:
            message = f"Bad format ({fmt_code}) for {info.dir_name} entry {index}"
            reader.store.warn(message, minor=in_maker)
        return _ABORT if index == 0 else int(bool(fmt_code))
    size = count * FORMAT_SIZE[fmt]
    value_ptr = _value_pointer(reader, info, table, tag_id, entry, size)
    if value_ptr is None:
        return 1
    if tag_id in BLOCK_TAGS and table.name == "Exif::Main":
        reader.store.add_block(BLOCK_TAGS[tag_id], data[value_ptr : value_ptr + size])
        return 0
    read_fmt = "int8u" if fmt_code == 7 and count == 1 else fmt
    alternatives = table.tags.get(tag_id)
    if alternatives and len(alternatives) == 1 and alternatives[0].cond is None:
        tag = None if alternatives[0].unknown else alternatives[0]  # the common case
    else:
        val_pt = data[value_ptr : value_ptr + min(size, 128)].decode("latin-1")
        tag = reader.choose(table, tag_id, val_pt=val_pt, fmt=fmt, count=count)
    if tag is None:
        if tag_id not in table.tags and not in_maker and table.group0 == "EXIF":
            _unknown(reader, info, table, tag_id, value_ptr, read_fmt, count)
        return 0
    return _tag_value(reader, info, table, tag, (tag_id, value_ptr, size), read_fmt, count)


def _value_pointer(
    reader: ExifReader, info: DirInfo, table: Table, tag_id: int, entry: int, size: int
) -> int | None:
    """Where the value is: in the entry (4 bytes or less) or at its offset, if inside."""
    if size <= 4:
        return entry + 8
    if size > 0x7FFFFFFF:
        return None
    offset = struct.unpack_from(info.order + "I", info.data, entry + 8)[0]
    ptr = offset + entry if info.entry_based else offset - info.data_pos
    if ptr < 0 or ptr + size > len(info.data):
        alternatives = table.tags.get(tag_id)
        name = alternatives[0].name if alternatives else f"tag 0x{tag_id:04x}"
        minor = table.group0 == "MakerNotes"
        reader.store.warn(f"Bad offset for {info.dir_name} {name}", minor=minor)
        return None
    return ptr


def _tag_value(
    reader: ExifReader,
    info: DirInfo,
    table: Table,
    tag: Tag,
    where: tuple[int, int, int],
    read_fmt: str,
    count: int,
) -> int:
    """Read, convert and store one tag's value (or process its sub-directory); ``where`` is
    the tag ID, the value's position and its size in bytes."""
    tag_id, value_ptr, size = where
    sub = tag.subdir
    new_fmt = tag.fmt or ("undef" if sub is not None and not tag.sub_ifd else None)
    if new_fmt and new_fmt != read_fmt and new_fmt in FORMAT_SIZE:
        read_fmt = new_fmt
        count = size // FORMAT_SIZE[new_fmt]
    if (tag.is_offset or tag.sub_ifd) and read_fmt not in INTEGER_FORMATS:
        message = f"Wrong format ({read_fmt}) for {info.dir_name} 0x{tag_id:04x} {tag.name}"
        reader.store.warn(message)
        return 0
    if count > 100000 and read_fmt not in ("undef", "string", "binary"):
        reader.store.warn(f"Ignoring {info.dir_name} {tag.name} with excessive count", minor=True)
        return 0
    value = read_value(info.data, value_ptr, read_fmt, count, info.order)
    if value is None:
        return 0
    in_maker = table.group0 == "MakerNotes"
    if sub is not None:
        if size:
            subdirectory(reader, info, table, tag, value, value_ptr, size)
        elif not tag.flags & {"MakerNotes"} and not in_maker:
            reader.store.warn(f"Empty {tag.name} data", minor=True)
        return 0
    if tag.is_offset and reader.is_offset(tag, value):
        value = add_to_all(value, info.base + reader.tiff_pos)
    group1 = info.dir_name if table.set_group1 else (tag.group1 or table.group1 or info.dir_name)
    reader.found(tag, table, value, group1, count=count, format=read_fmt)
    return 0


def _unknown(
    reader: ExifReader,
    info: DirInfo,
    table: Table,
    tag_id: int,
    ptr: int,
    fmt: str,
    count: int,
) -> None:
    """Tags ExifTool has no name for keep their hex ID (DESIGN.md "Extract result")."""
    if count > 500 and fmt not in ("undef", "string", "binary"):
        return
    value = read_value(info.data, ptr, fmt, count, info.order)
    if value is None:
        return
    if fmt in ("undef", "binary") and len(value) > 64:
        value = P.Ref(value)
    group1 = info.dir_name if table.set_group1 else (table.group1 or info.dir_name)
    reader.store.add(group1, table.group0 or "", Tag(f"0x{tag_id:04x}"), value, 0)


def next_ifd(reader: ExifReader, info: DirInfo, table: Table, dir_end: int) -> None:
    """Follow the next-IFD pointer (IFD0 -> IFD1 -> ...), at most :data:`MAX_IFD_CHAIN`."""
    current = info
    end = dir_end
    for _ in range(MAX_IFD_CHAIN):
        data = current.data
        if end + 4 > len(data):
            return
        offset = struct.unpack_from(current.order + "I", data, end)[0]
        if not offset:
            return
        name = current.dir_name.rstrip("0123456789")
        digits = current.dir_name[len(name) :]
        nxt = replace(
            current,
            dir_start=offset - current.data_pos,
            dir_len=len(data) - (offset - current.data_pos),
            dir_name=f"{name}{int(digits or 0) + 1}",
            multi=False,
        )
        if nxt.dir_start < 0 or nxt.dir_start + 2 > len(data):
            reader.store.warn(f"Bad {nxt.dir_name} offset", minor=True)
            return
        if not reader.process(nxt, table):
            return
        num = struct.unpack_from(current.order + "H", data, nxt.dir_start)[0]
        end = nxt.dir_start + 2 + 12 * num
        current = nxt


def _sub_start(
    reader: ExifReader, info: DirInfo, tag: Tag, sub: SubDir, val: object, start: int, size: int
) -> tuple[int, int] | None:
    """Where a sub-directory starts (its ``Start`` expression) and its size."""
    if sub.start is None:
        return start, size
    env = reader.env(valuePtr=start + info.data_pos, val=val)
    new_start = as_int(reader.evaluate(sub.start, env, tag.where("SubDirectory.Start")))
    if new_start is None:
        reader.store.warn(f"Bad value for {tag.name}")
        return None
    new_start -= info.data_pos
    if not tag.sub_ifd:
        size -= new_start - start
    return new_start, size


def _sub_base(reader: ExifReader, info: DirInfo, tag: Tag, sub: SubDir, start: int) -> int | None:
    if sub.base is None:
        return info.base
    env = reader.env(start=start + info.data_pos, base=info.base)
    shift = as_int(reader.evaluate(sub.base, env, tag.where("SubDirectory.Base")))
    return None if shift is None else shift + info.base


def subdirectory(
    reader: ExifReader,
    info: DirInfo,
    table: Table,
    tag: Tag,
    value: object,
    value_ptr: int,
    size: int,
) -> None:
    """The SubDirectory branch of ``ProcessExif``: locate, validate and process."""
    sub = tag.subdir
    values = str(value).split()[: sub.max_subdirs] if sub.max_subdirs else [value]
    new_table = get_table(sub.table) if sub.table else table
    if new_table is None:
        return
    for dir_num, val in enumerate(values):
        child = _child(reader, info, table, tag, val, value_ptr, size, dir_num)
        if child is None:
            return
        if sub.validate is not None:
            env = reader.env(
                val=val, dirData=info.data, subdirStart=child.dir_start, size=child.dir_len
            )
            where = tag.where("SubDirectory.Validate")
            if not P.truth(reader.evaluate(sub.validate, env, where)):
                reader.store.warn(f"Invalid {tag.name} data", minor=table.group0 == "MakerNotes")
                continue
        reader.process(child, new_table, sub.proc)


def _child(
    reader: ExifReader,
    info: DirInfo,
    table: Table,
    tag: Tag,
    val: object,
    value_ptr: int,
    size: int,
    dir_num: int,
) -> DirInfo | None:
    """The :class:`DirInfo` of one sub-directory, or ``None`` (warned) when it is unusable."""
    sub = tag.subdir
    placed = _sub_start(reader, info, tag, sub, val, value_ptr, size)
    if placed is None:
        return None
    sub_start, sub_size = placed
    order = reader.subdir_order(sub, info.data, sub_start, info.order)
    sub_base = _sub_base(reader, info, tag, sub, sub_start)
    if sub_base is None:
        return None
    if sub.offset_pt is not None:
        env = reader.env(valuePtr=value_ptr)
        pos = as_int(reader.evaluate(sub.offset_pt, env, tag.where("SubDirectory.OffsetPt")))
        if pos is None or pos < 0 or pos + 4 > len(info.data):
            reader.store.warn(f"Bad {tag.name} OffsetPt")
            return None
        sub_start += struct.unpack_from(order + "I", info.data, pos)[0]
    if sub_start < 0 or sub_start + 2 > len(info.data):
        reader.store.warn(f"Bad {tag.name} SubDirectory start", minor=table.group0 == "MakerNotes")
        return None
    if tag.group1 and not tag.writable:
        dir_name = tag.group1 + (str(dir_num) if dir_num else "")
    else:
        dir_name = sub.dir_name or tag.name
    return DirInfo(
        data=info.data,
        dir_start=sub_start,
        dir_len=sub_size,
        data_pos=info.data_pos + info.base - sub_base,
        base=sub_base,
        dir_name=dir_name,
        order=order,
        maker_note="MakerNotes" in tag.flags and sub.base is None,
        tag=tag,
        subdir=sub,
        depth=info.depth + 1,
        multi=dir_name == "SubIFD",
    )
