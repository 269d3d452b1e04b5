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
* conversions come from translated Perl and run as ExifTool's ``eval`` runs them
  (:func:`.perl.evaluate`): a Perl error drops that value as in ExifTool; a failure of
  ours is reported (loudly under tests) and the tag keeps its raw value.

The IFD reader is :mod:`.ifd`, the binary-block reader :mod:`.binary`.

Results accumulate in a :class:`~.tagstore.TagStore`, grouped by ExifTool family-1
group (``IFD0``, ``ExifIFD``, ``GPS``, ``Canon``, ...).
"""

from __future__ import annotations

import struct

from . import binary, canoncustom, ifd, makernotes, textnotes
from . import perl as P
from .dirinfo import BLOCK_TAGS, MAX_DEPTH, DirInfo, as_int
from .tables import get_table
from .tabletypes import SubDir, Table, Tag
from .tagstore import TagStore


class ExifReader:
    """Reads one TIFF-structured block (the EXIF of a JPEG/PNG/WebP/HEIF, or a TIFF file)."""

    def __init__(self, store: TagStore, *, file_type: str, tiff_pos: int = 0) -> None:
        self.store = store
        self.state = store.state
        self.state.setdefault("FILE_TYPE", file_type)
        self.state.setdefault("TIFF_TYPE", "TIFF" if file_type == "TIFF" else "")
        self.state.setdefault(
            "OPTIONS", {"Unknown": 0, "Binary": 0, "Verbose": 0, "LimitLongValues": 60}
        )
        self.state.setdefault("Make", "")
        self.state.setdefault("Model", "")
        self.tiff_pos = tiff_pos  # file position of the TIFF header (ExifTool's BASE)
        self.processed: set[tuple[int, int, str]] = set()
        self.state.setdefault("FOUND_TAG", self.found_extra)  # $self->FoundTag(Name => $val)

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

    def evaluate(
        self, fn: object, env: P.Env, where: tuple | None = None, keep: object = None
    ) -> object:
        """Run a translated Perl expression like ExifTool's ``eval`` (:func:`.perl.evaluate`)."""
        return P.evaluate(fn, env, None, where, keep)

    def format_count(self, tag: Tag, size: int, values: dict) -> int | None:
        """The count in a ``Format`` like ``int16s[$val{2}]``; ``None`` if it cannot be had."""
        if not callable(tag.fmt_count):
            return tag.fmt_count
        env = self.env(size=size)
        env["%val"] = values
        count = self.evaluate(tag.fmt_count, env, tag.where("Format"))
        return as_int(count)

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
                if not P.truth(self.evaluate(tag.cond, env, tag.where("Condition"))):
                    continue
            if tag.unknown and not include_unknown:
                return None
            return tag
        return None

    def found(self, tag: Tag, table: Table, value: object, group1: str, **extra: object) -> None:
        """ExifTool's ``FoundTag``: apply ``RawConv`` (which may drop the tag), then store."""
        if tag.raw is not None:
            env = self.env(val=value, tag=tag.name, **extra)
            value = self.evaluate(tag.raw, env, tag.where("RawConv"), keep=value)
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

    def found_extra(self, name: str, value: object) -> None:
        """``$self->FoundTag(ImageWidth => $w)`` in an expression: a tag of ExifTool's Extra
        table (group ``File``; the group being set, ``SET_GROUP1``, if any)."""
        self.store.add("File", "File", Tag(name), value, None)

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
        """Port of ``Exif::ProcessExif`` (reading only): :func:`.ifd.process_ifd`."""
        return ifd.process_ifd(self, info, table)

    def process_binary(self, info: DirInfo, table: Table) -> bool:
        """Port of ``ProcessBinaryData``: :func:`.binary.process_binary`."""
        return binary.process_binary(self, info, table)

    def is_offset(self, tag: Tag, value: object) -> bool:
        flag = tag.is_offset
        if isinstance(flag, int) or (isinstance(flag, str) and flag.isdigit()):
            return bool(int(flag))
        if callable(flag):
            return P.truth(self.evaluate(flag, self.env(val=value), tag.where("IsOffset")))
        return True


# ExifTool PROCESS_PROC names -> how we read such a directory
_PROCESSORS = {
    "Exif::ProcessExif": ExifReader.process_ifd,
    "ProcessBinaryData": ExifReader.process_binary,
    **makernotes.PROCESSORS,
    **canoncustom.PROCESSORS,
    **textnotes.PROCESSORS,
}

__all__ = ["BLOCK_TAGS", "DirInfo", "ExifReader"]
