"""The TIFF/EXIF directory reader: IFDs, binary-data blocks and maker notes, table driven.

This is a Python port of the reading half of ExifTool's ``ProcessTIFF``,
``ProcessExif`` (``lib/Image/ExifTool/Exif.pm``) and ``ProcessBinaryData``
(``ExifTool.pm``), driven by ExifTool's own tag tables (generated into
``tables/``), so tag names, conditions, formats and value conversions are
ExifTool's. It works on one bytes object and never trusts it:

* every offset and count is bounds-checked before use; a value or directory that
  points outside the data is skipped with a warning;
* a directory is processed at most once (IFD chains and sub-IFD offsets that loop
  are cut), the IFD chain is limited to :data:`MAX_IFD_CHAIN` links, the whole
  file to :data:`MAX_ENTRIES` directory entries and :data:`MAX_DEPTH` nesting;
* conversions come from translated Perl and run inside ``try``: a failing one
  drops that value (ExifTool's ``eval`` does the same), never the extraction.

Results accumulate in a :class:`~.tagstore.TagStore`, grouped by ExifTool family-1
group (``IFD0``, ``ExifIFD``, ``GPS``, ``Canon``, ...).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from . import makernotes
from . import perl as P
from .tables import get_table
from .tabletypes import SubDir, Table, Tag
from .tagstore import TagStore
from .valueformats import FORMAT_SIZE, INTEGER_FORMATS, TYPE_NAMES, read_value

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


class ExifReader:
    """Reads one TIFF-structured block (the EXIF of a JPEG/PNG/WebP/HEIF, or a TIFF file)."""

    def __init__(self, store: TagStore, *, file_type: str, tiff_pos: int = 0) -> None:
        self.store = store
        self.state = store.state
        self.state.setdefault("FILE_TYPE", file_type)
        self.state.setdefault("TIFF_TYPE", "TIFF" if file_type == "TIFF" else "")
        self.state.setdefault("OPTIONS", {"Unknown": 0, "Binary": 0, "Verbose": 0})
        self.state.setdefault("Make", "")
        self.state.setdefault("Model", "")
        self.tiff_pos = tiff_pos  # file position of the TIFF header (ExifTool's BASE)
        self.processed: set[tuple[int, int, str]] = set()

    # ------------------------------------------------------------------ entry point
    def read_tiff(self, data: bytes, *, dir_name: str = "IFD0", table: str = "Exif::Main") -> bool:
        """Process a block that starts with a TIFF header (``II*\\0`` / ``MM\\0*``)."""
        if len(data) < 8:
            self.store.warn("EXIF block too short")
            return False
        if data[:2] == b"II":
            order = "<"
        elif data[:2] == b"MM":
            order = ">"
        else:
            self.store.warn("Malformed EXIF header (no TIFF byte order)")
            return False
        magic = struct.unpack_from(order + "H", data, 2)[0]
        if magic == 43:
            self.store.warn("BigTIFF EXIF is not supported")
            return False
        if magic != 42:
            self.store.warn(f"Malformed EXIF header (magic {magic})")
            return False
        self.state["ExifByteOrder"] = "II" if order == "<" else "MM"
        ifd0 = struct.unpack_from(order + "I", data, 4)[0]
        if ifd0 < 8 or ifd0 >= len(data):
            self.store.warn("Bad IFD0 offset")
            return False
        info = DirInfo(
            data=data,
            dir_start=ifd0,
            dir_len=len(data) - ifd0,
            dir_name=dir_name,
            order=order,
            multi=True,
        )
        tbl = get_table(table)
        return self.process(info, tbl) if tbl else False

    # ------------------------------------------------------------------ dispatch
    def process(self, info: DirInfo, table: Table, proc: str | None = None) -> bool:
        """ExifTool's ``ProcessDirectory``: run the right processor once per directory."""
        if info.depth > MAX_DEPTH:
            self.store.warn(f"{info.dir_name} nested too deeply")
            return False
        key = (id(info.data), info.dir_start - info.data_pos, table.name)
        if key in self.processed:
            self.store.warn(f"{info.dir_name} pointer references previous directory")
            return False
        self.processed.add(key)
        proc = proc or table.proc or "Exif::ProcessExif"
        saved = self.state.get("DIR_NAME"), self.state.get("BYTE_ORDER")
        self.state["DIR_NAME"] = info.dir_name
        self.state["BYTE_ORDER"] = info.order
        try:
            handler = _PROCESSORS.get(proc)
            if handler is None:
                self.store.unsupported(proc)
                return False
            return handler(self, info, table)
        finally:
            self.state["DIR_NAME"], self.state["BYTE_ORDER"] = saved

    # ------------------------------------------------------------------ helpers
    def env(self, **variables: object) -> P.Env:
        """The Perl variables of one expression: ``$name`` for each keyword, plus ``$self``."""
        state = self.state
        env = P.Env()
        for key, value in variables.items():
            env["$" + key] = value
        env["$self"] = env["$et"] = state
        if "val" in variables:
            env["@_"] = [variables["val"], state]
        return env

    def evaluate(self, fn: object, env: P.Env) -> object:
        """Run a translated Perl expression like ExifTool's ``eval``: errors give ``None``."""
        return P.evaluate(fn, env)

    def format_count(self, tag: Tag, size: int, values: dict) -> int | None:
        """The count in a ``Format`` like ``int16s[$val{2}]``; ``None`` if it cannot be had."""
        if not callable(tag.fmt_count):
            return tag.fmt_count
        env = self.env(size=size)
        env["%val"] = values
        count = self.evaluate(tag.fmt_count, env)
        return _as_int(count)

    def choose(
        self,
        table: Table,
        tag_id: object,
        *,
        val_pt: str = "",
        fmt: str = "",
        count: int = 0,
        include_unknown: bool = False,
    ) -> Tag | None:
        """ExifTool's ``GetTagInfo``: the first alternative whose ``Condition`` holds."""
        alternatives = table.tags.get(tag_id)
        if not alternatives:
            return None
        for tag in alternatives:
            if tag.cond is not None:
                env = self.env(valPt=val_pt, format=fmt, count=count)
                if not P.truth(self.evaluate(tag.cond, env)):
                    continue
            if tag.unknown and not include_unknown:
                return None
            return tag
        return None

    def found(self, tag: Tag, table: Table, value: object, group1: str, **extra: object) -> None:
        """ExifTool's ``FoundTag``: apply ``RawConv`` (which may drop the tag), then store."""
        if tag.raw is not None:
            env = self.env(val=value, tag=tag.name, **extra)
            value = self.evaluate(tag.raw, env)
            if value is None:
                return
        priority = tag.priority
        if priority is None:
            priority = table.priority
            if priority is None and tag.avoid:
                priority = 0
        if priority is None and self.state.get("DIR_NAME") in ("PreviewIFD", "IFD1"):
            priority = 0
        self.store.add(group1, table.group0 or "", tag, value, priority)

    def subdir_order(self, sub: SubDir, data: bytes, start: int, order: str) -> str:
        bo = sub.byte_order
        if not bo:
            return order
        low = bo.lower()
        if low.startswith("little"):
            return "<"
        if low.startswith("big"):
            return ">"
        # "Unknown": guess from the entry count, which should be small
        if 0 <= start <= len(data) - 2:
            num = struct.unpack_from(order + "H", data, start)[0]
            if num & 0xFF00 and (num >> 8) > (num & 0xFF):
                return ">" if order == "<" else "<"
        return order

    # ------------------------------------------------------------------ IFD
    def process_ifd(self, info: DirInfo, table: Table) -> bool:
        """Port of ``Exif::ProcessExif`` (reading only)."""
        data, order = info.data, info.order
        data_len = len(data)
        dir_start = info.dir_start
        in_maker = table.group0 == "MakerNotes"
        dir_name = info.dir_name
        if dir_start < 0 or dir_start > data_len - 2:
            self.store.warn(f"Bad {dir_name} directory", minor=in_maker)
            return False
        num = struct.unpack_from(order + "H", data, dir_start)[0]
        dir_end = dir_start + 2 + 12 * num
        if dir_end > data_len:
            self.store.warn(f"Bad {dir_name} directory", minor=in_maker)
            if not (in_maker and info.dir_len >= 14 and dir_start + info.dir_len <= data_len):
                return False
            num = (info.dir_len - 2) // 12
            dir_end = dir_start + 2 + 12 * num
        bytes_from_end = data_len - dir_end
        if bytes_from_end < 4 and bytes_from_end not in (0, 2):
            self.store.warn(f"Illegal {dir_name} directory size ({num} entries)")
            return False
        if info.maker_note:
            info = makernotes.fix_base(self, info)
        self.store.entries += num
        if self.store.entries > MAX_ENTRIES:
            self.store.warn("Too many directory entries: EXIF parsing stopped")
            return False
        self.state["Compression"] = self.state["SubfileType"] = ""
        warn_count = 0
        for index in range(num):
            if warn_count > 10:
                self.store.warn(f"Too many warnings -- {dir_name} parsing aborted", minor=True)
                return False
            entry = dir_start + 2 + 12 * index
            tag_id, fmt_code, count = struct.unpack_from(order + "HHI", data, entry)
            fmt = TYPE_NAMES.get(fmt_code)
            if fmt is None or (fmt_code > 13 and not (fmt_code == 16 and in_maker)):
                if fmt_code or index == 0:
                    self.store.warn(
                        f"Bad format ({fmt_code}) for {dir_name} entry {index}", minor=in_maker
                    )
                    warn_count += 1
                if index == 0:
                    return False
                continue
            size = count * FORMAT_SIZE[fmt]
            value_ptr = entry + 8
            value_data = data
            if size > 4:
                if size > 0x7FFFFFFF:
                    warn_count += 1
                    continue
                offset = struct.unpack_from(order + "I", data, value_ptr)[0]
                value_ptr = offset + entry if info.entry_based else offset - info.data_pos
                if value_ptr < 0 or value_ptr + size > data_len:
                    name = self._name(table, tag_id)
                    self.store.warn(f"Bad offset for {dir_name} {name}", minor=in_maker)
                    warn_count += 1
                    continue
            if tag_id in BLOCK_TAGS and table.name == "Exif::Main":
                self.store.add_block(BLOCK_TAGS[tag_id], data[value_ptr : value_ptr + size])
                continue
            read_fmt = "int8u" if fmt_code == 7 and count == 1 else fmt
            alternatives = table.tags.get(tag_id)
            if alternatives and len(alternatives) == 1 and alternatives[0].cond is None:
                tag = None if alternatives[0].unknown else alternatives[0]  # the common case
            else:
                val_pt = value_data[value_ptr : value_ptr + min(size, 128)].decode("latin-1")
                tag = self.choose(table, tag_id, val_pt=val_pt, fmt=fmt, count=count)
            if tag is None:
                if tag_id not in table.tags and not in_maker and table.group0 == "EXIF":
                    self._unknown(info, table, tag_id, data, value_ptr, read_fmt, count, order)
                continue
            sub = tag.subdir
            new_fmt = tag.fmt or ("undef" if sub is not None and not tag.sub_ifd else None)
            if new_fmt and new_fmt != read_fmt and new_fmt in FORMAT_SIZE:
                read_fmt = new_fmt
                count = size // FORMAT_SIZE[new_fmt]
            if (tag.is_offset or tag.sub_ifd) and read_fmt not in INTEGER_FORMATS:
                self.store.warn(
                    f"Wrong format ({read_fmt}) for {dir_name} 0x{tag_id:04x} {tag.name}"
                )
                continue
            if count > 100000 and read_fmt not in ("undef", "string", "binary"):
                self.store.warn(f"Ignoring {dir_name} {tag.name} with excessive count", minor=True)
                continue
            value = read_value(value_data, value_ptr, read_fmt, count, order)
            if value is None:
                continue
            if sub is not None:
                if size:
                    self._subdirectory(info, table, tag, sub, value, value_ptr, size, in_maker)
                elif not tag.flags & {"MakerNotes"} and not in_maker:
                    self.store.warn(f"Empty {tag.name} data", minor=True)
                continue
            if tag.is_offset and self._is_offset(tag, value):
                base = info.base + self.tiff_pos
                value = _add_to_all(value, base)
            group1 = dir_name if table.set_group1 else (tag.group1 or table.group1 or dir_name)
            self.found(tag, table, value, group1, count=count, format=read_fmt)
        if info.multi and bytes_from_end >= 4:
            self._next_ifd(info, table, dir_end)
        return True

    def _name(self, table: Table, tag_id: int) -> str:
        alts = table.tags.get(tag_id)
        return alts[0].name if alts else f"tag 0x{tag_id:04x}"

    def _is_offset(self, tag: Tag, value: object) -> bool:
        flag = tag.is_offset
        if isinstance(flag, int) or (isinstance(flag, str) and flag.isdigit()):
            return bool(int(flag))
        return P.truth(self.evaluate(flag, self.env(val=value))) if callable(flag) else True

    def _unknown(
        self,
        info: DirInfo,
        table: Table,
        tag_id: int,
        data: bytes,
        ptr: int,
        fmt: str,
        count: int,
        order: str,
    ) -> None:
        """Tags ExifTool has no name for keep their hex ID (DESIGN.md "Extract result")."""
        if count > 500 and fmt not in ("undef", "string", "binary"):
            return
        value = read_value(data, ptr, fmt, count, order)
        if value is None:
            return
        if fmt in ("undef", "binary") and len(value) > 64:
            value = P.Ref(value)
        group1 = info.dir_name if table.set_group1 else (table.group1 or info.dir_name)
        tag = Tag(f"0x{tag_id:04x}")
        self.store.add(group1, table.group0 or "", tag, value, 0)

    def _next_ifd(self, info: DirInfo, table: Table, dir_end: int) -> None:
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
                self.store.warn(f"Bad {nxt.dir_name} offset", minor=True)
                return
            if not self.process(nxt, table):
                return
            num = struct.unpack_from(current.order + "H", data, nxt.dir_start)[0]
            end = nxt.dir_start + 2 + 12 * num
            current = nxt

    def _subdirectory(
        self,
        info: DirInfo,
        table: Table,
        tag: Tag,
        sub: SubDir,
        value: object,
        value_ptr: int,
        size: int,
        in_maker: bool,
    ) -> None:
        """The SubDirectory branch of ``ProcessExif``: locate, validate and process."""
        values = [value]
        if sub.max_subdirs:
            values = str(value).split()[: sub.max_subdirs]
        new_table = get_table(sub.table) if sub.table else table
        if new_table is None:
            return
        for dir_num, val in enumerate(values):
            sub_start = value_ptr
            sub_data_pos = info.data_pos
            sub_size = size
            if sub.start is not None:
                env = self.env(valuePtr=sub_start + sub_data_pos, val=val)
                new_start = _as_int(self.evaluate(sub.start, env))
                if new_start is None:
                    self.store.warn(f"Bad value for {tag.name}")
                    return
                new_start -= sub_data_pos
                if not tag.sub_ifd:
                    sub_size -= new_start - sub_start
                sub_start = new_start
            order = self.subdir_order(sub, info.data, sub_start, info.order)
            sub_base = info.base
            if sub.base is not None:
                env = self.env(start=sub_start + sub_data_pos, base=info.base)
                shift = _as_int(self.evaluate(sub.base, env))
                if shift is None:
                    return
                sub_base = shift + info.base
            if sub.offset_pt is not None:
                pos = _as_int(self.evaluate(sub.offset_pt, self.env(valuePtr=value_ptr)))
                if pos is None or pos < 0 or pos + 4 > len(info.data):
                    self.store.warn(f"Bad {tag.name} OffsetPt")
                    return
                sub_start += struct.unpack_from(order + "I", info.data, pos)[0]
            if sub_start < 0 or sub_start + 2 > len(info.data):
                self.store.warn(f"Bad {tag.name} SubDirectory start", minor=in_maker)
                return
            sub_data_pos += info.base - sub_base
            if tag.group1 and not tag.writable:
                dir_name = tag.group1 + (str(dir_num) if dir_num else "")
            else:
                dir_name = sub.dir_name or tag.name
            child = DirInfo(
                data=info.data,
                dir_start=sub_start,
                dir_len=sub_size,
                data_pos=sub_data_pos,
                base=sub_base,
                dir_name=dir_name,
                order=order,
                maker_note="MakerNotes" in tag.flags and sub.base is None,
                tag=tag,
                subdir=sub,
                depth=info.depth + 1,
                multi=dir_name == "SubIFD",
            )
            if sub.validate is not None:
                env = self.env(val=val, dirData=info.data, subdirStart=sub_start, size=sub_size)
                if not P.truth(self.evaluate(sub.validate, env)):
                    self.store.warn(f"Invalid {tag.name} data", minor=in_maker)
                    continue
            self.process(child, new_table, sub.proc)

    # ------------------------------------------------------------------ binary data
    def process_binary(self, info: DirInfo, table: Table) -> bool:
        """Port of ``ProcessBinaryData``: fixed-position values in a block."""
        data, order = info.data, info.order
        dir_start = info.dir_start
        size = min(info.dir_len, len(data) - dir_start)
        if size <= 0:
            return False
        default_fmt = table.fmt or "int8u"
        increment = FORMAT_SIZE.get(default_fmt, 1)
        group1 = table.group1 or info.dir_name
        values_by_index: dict = {}
        var_size = 0
        block = None
        self.store.entries += len(table.tags)
        if self.store.entries > MAX_ENTRIES:
            self.store.warn("Too many directory entries: parsing stopped")
            return False
        for index in table.binary_ids():
            entry = int(index) * increment + var_size
            if entry < 0:
                entry += size
                if entry < 0:
                    continue
            if entry >= size:
                if index >= 0:
                    break
                continue
            more = size - entry
            alts = table.tags[index]
            if any(t.cond is not None for t in alts):
                if block is None:
                    block = data[dir_start : dir_start + size].decode("latin-1")
                val_pt = block[entry : entry + 128]
                tag = self.choose(table, index, val_pt=val_pt)
            else:
                tag = alts[0] if not alts[0].unknown else None
            if tag is None:
                continue
            count = 1
            fmt = tag.fmt
            val: object = None
            if not fmt:
                fmt = default_fmt
            elif fmt == "string" and tag.fmt_count is None:
                count = more
            elif fmt == "pstring":
                fmt = "string"
                count = data[dir_start + entry]
                entry += 1
                more -= 1
            elif tag.fmt_count is not None:
                count = self.format_count(tag, size, values_by_index)
                if count is None or count < 0:
                    continue
                if fmt.startswith("var_"):
                    fmt = fmt[4:]
                    var_size += count * FORMAT_SIZE.get(fmt, 1) - increment
            elif fmt.startswith("var_"):
                fmt = fmt[4:]
                start = dir_start + entry
                if fmt == "ustring":
                    end = start
                    while end + 1 < dir_start + size and data[end : end + 2] != b"\x00\x00":
                        end += 2
                    count = end + 2 - start
                    var_size -= 2
                elif fmt in ("pstr32", "ustr32"):
                    if more < 4:
                        break
                    count = struct.unpack_from(order + "I", data, start)[0]
                    if fmt == "ustr32":
                        count *= 2
                    entry += 4
                    more -= 4
                elif fmt == "int16u":
                    if more < 2:
                        break
                    count = struct.unpack_from(order + "H", data, start)[0] + 2
                    var_size -= 2
                    fmt = "undef"
                else:
                    nul = data.find(b"\x00", start, dir_start + size)
                    count = (nul - start + 1) if nul >= 0 else more
                    var_size -= 1
                count = min(count, more)
                var_size += count
                val = data[dir_start + entry : dir_start + entry + count].decode("latin-1")
                if fmt in ("ustring", "ustr32"):
                    val = val.encode("latin-1").decode(
                        "utf-16-be" if order == ">" else "utf-16-le", "replace"
                    )
                if fmt != "undef":
                    val = val.split("\x00", 1)[0]
            if tag.hook is not None:
                env = self.env(
                    format=fmt,
                    varSize=var_size,
                    size=size,
                    dataPt=block
                    if block is not None
                    else data[dir_start : dir_start + size].decode("latin-1"),
                    pos=entry,
                )
                self.evaluate(tag.hook, env)
                fmt = P.pstr(env.get("$format")) or fmt
                var_size = _as_int(env.get("$varSize")) or 0
            if fmt not in FORMAT_SIZE:
                continue
            if val is None or tag.subdir is not None:
                limit = min(count * FORMAT_SIZE[fmt], more)
                sub_data = data[: dir_start + entry + limit]
                val = read_value(sub_data, dir_start + entry, fmt, count, order)
                if val is None:
                    continue
                if tag.mask:
                    val = ((_as_int(val) or 0) & tag.mask) >> (tag.bit_shift or 0)
            if tag.subdir is not None:
                self._binary_subdir(info, table, tag, fmt, count, entry, more, val)
                continue
            if tag.is_offset and str(tag.is_offset) != "3" and self._is_offset(tag, val):
                val = P.add(val, info.base + self.tiff_pos)
            values_by_index[P.pstr(index)] = val
            self.found(tag, table, val, tag.group1 or group1)
        return True

    def _binary_subdir(
        self,
        info: DirInfo,
        table: Table,
        tag: Tag,
        fmt: str,
        count: int,
        entry: int,
        more: int,
        val: object,
    ) -> None:
        sub = tag.subdir
        new_table = get_table(sub.table) if sub.table else None
        if new_table is None:
            return
        length = min(count * FORMAT_SIZE[fmt], more) if tag.fmt and fmt in FORMAT_SIZE else more
        sub_base = info.base
        if sub.base is not None:
            env = self.env(start=entry + info.dir_start + info.data_pos, base=info.base)
            shift = _as_int(self.evaluate(sub.base, env))
            if shift is None:
                return
            sub_base = shift + info.base
        if sub.start is not None and not isinstance(sub.start, int):
            if not P.truth(val):
                return
            start = _as_int(self.evaluate(sub.start, self.env(val=val, dirStart=info.dir_start)))
            if start is None:
                return
            if start < info.dir_start or start > len(info.data):
                return
            length = sub.dir_len or len(info.data) - start
        else:
            start = (sub.start or 0) + info.dir_start + entry
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
        self.process(child, new_table, sub.proc)


def _as_int(value: object) -> int | None:
    """A Perl value used as an offset, or ``None`` (undef, inf, nan, absurd)."""
    if value is None:
        return None
    number = P.num(value)
    if isinstance(number, float) and not number.is_integer():
        number = int(number) if number == number and abs(number) != float("inf") else None
    return int(number) if number is not None and abs(number) < 2**63 else None


def _add_to_all(value: object, base: int) -> object:
    if isinstance(value, str) and " " in value:
        return " ".join(P.pstr(P.add(v, base)) for v in value.split())
    return P.add(value, base)


# ExifTool PROCESS_PROC names -> how we read such a directory
_PROCESSORS = {
    "Exif::ProcessExif": ExifReader.process_ifd,
    "ProcessBinaryData": ExifReader.process_binary,
    **makernotes.PROCESSORS,
}

__all__ = ["DirInfo", "ExifReader"]
