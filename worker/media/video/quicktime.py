"""QuickTime / ISO BMFF container tags under ExifTool's names, read from a file.

A Python port of the reading half of ExifTool's ``ProcessMOV`` and the processors it
calls (``ProcessSampleDesc``, ``ProcessHybrid``, ``ProcessKeys``; ``lib/Image/ExifTool/
QuickTime.pm``, ExifTool 12.57 to 13.x), driven by ExifTool's own QuickTime tag tables
(built from the installed ExifTool, :mod:`worker.media.extract.tables`), so names,
conditions and value conversions are ExifTool's: ``QuickTime:CreateDate``, ``Track1:ImageWidth``,
``UserData:Make``, ``Keys:GPSCoordinates``, ``ItemList:Encoder``... Fixed-layout boxes
(``mvhd``, ``tkhd``, ``mdhd``, sample descriptions) go through the engine's
``ProcessBinaryData`` (:class:`~worker.media.extract.exif.ExifReader`).

Only what holds metadata is read: top-level boxes other than ``moov`` are read when
ExifTool's table names them and they are at most :data:`MAX_READ` bytes; ``mdat`` is
skipped (only its size and offset are reported). Every size is checked against its
parent; a box that runs past it ends that level with a warning (``truncated``).
The few tag attributes the generated tables leave out are written here from
``QuickTime.pm``: ``IText`` (:data:`ITEXT`), ``HasData`` (the ``ilst`` box of
``QuickTime::Meta``) and ``Triplet`` (``mean``/``name``/``data`` of ``iTunesInfo``).
"""

from __future__ import annotations

import re
import struct
from typing import BinaryIO

from common.errors import DecompressionBomb
from worker.media.extract import perl as P
from worker.media.extract.exif import DirInfo, ExifReader
from worker.media.extract.tables import get_table
from worker.media.extract.tabletypes import Table, Tag
from worker.media.extract.valueformats import read_value

from .boxes import BadBox, file_header
from .qtvalues import count_of, data_atoms, itext_values, keys_tag, renamed
from .samples import declared_samples
from .tagstore import VideoTagStore

MAX_READ = 32 << 20  # ExifTool skips a box over 32 MB ("Skipping 'xxxx' atom > 32 MB")
MAX_DEPTH = 16
# QuickTime.pm: UserData tags with an ``IText`` header length (3GPP text boxes and a few more)
ITEXT = {
    **dict.fromkeys(("albm", "auth", "coll", "cprt", "dscp", "gnre", "loci", "perf", "titl"), 6),
    **{"adzc": 6, "adze": 6, "adzm": 6, "clsf": 12, "kgtt": 4, "rtng": 14},
}
_NO_DECODE = {"loci"}
_TRIPLET = {"mean", "name", "data"}
_TOP_ONLY_SIZE = ("mdat",)
_SAMPLE_TABLES = {"stsz", "stz2", "stts"}
_ATOM_NAME = re.compile(rb"(?=[A-Za-z0-9_ ]{4})")


class QuickTimeReader(ExifReader):
    """Reads one QuickTime/MP4 file's boxes into a :class:`VideoTagStore`."""

    def __init__(self, store: VideoTagStore, *, max_header: int, max_boxes: int) -> None:
        super().__init__(store, file_type="MOV")
        self.store: VideoTagStore = store
        self.state.update(FileType="MOV", HandlerType="", MetaFormat="", MediaType="", KeysCount=0)
        self.state["PATH"] = ["MOV"]  # directory names, as ProcessDirectory pushes them
        self.state["HasHandler"] = {}
        self.state["BYTE_ORDER"] = ">"
        self.max_header = max_header
        self.boxes_left = max_boxes
        self.keys: dict[str, Tag] = {}  # "KeysCount.index" -> tag (ProcessKeys)
        self.xmp: list[bytes] = []  # XMP packets (uuid BE7ACFCB... and 'XMP_' boxes)
        self.truncated = False
        self.samples = 0  # sample entries the sample tables declare (stsz/stz2 + stts)
        self.video_group: str | None = None  # the first video track's group ("Track1")

    def found(self, tag: Tag, table: Table, value: object, group1: str, **extra: object) -> None:
        if tag.name == "HandlerType" and value == "vide" and self.video_group is None:
            self.video_group = self.store.set_group1
        super().found(tag, table, value, group1, **extra)

    # ------------------------------------------------------------------ the file
    def read_file(self, file: BinaryIO, size: int) -> None:
        """Walk the top-level boxes of ``file`` (``size`` bytes)."""
        table = get_table("QuickTime::Main")
        pos = 0
        while pos + 8 <= size:
            try:
                box = file_header(file, pos, 1 << 62)
            except BadBox as exc:
                self.store.warn(str(exc))
                self.truncated = True
                return
            tag = box.type.decode("latin-1")
            length = box.size - box.header
            self._count()
            if f"{tag}-size" in table.tags:
                self.found(table.tags[f"{tag}-size"][0], table, length, "QuickTime")
                if f"{tag}-offset" in table.tags:
                    self.found(table.tags[f"{tag}-offset"][0], table, box.payload, "QuickTime")
            if box.end > size:
                self.store.warn(f"Truncated '{tag}' data")
                self.truncated = True
                return
            if tag in table.tags and tag not in _TOP_ONLY_SIZE:
                limit = self.max_header if tag == "moov" else MAX_READ
                if length > limit:
                    if tag == "moov":
                        raise DecompressionBomb(f"moov box of {length} bytes (limit {limit})")
                    self.store.warn(f"Skipping '{tag}' atom > {limit >> 20} MB", minor=True)
                else:
                    file.seek(box.payload)
                    self.atom(table, tag, file.read(length), box.payload, _Dir(tag), 0)
            pos = box.end
        if pos < size:
            self.store.warn("Trailing bytes after the last box", minor=True)

    def _count(self) -> None:
        self.boxes_left -= 1
        if self.boxes_left < 0:
            raise DecompressionBomb("too many boxes")

    # ------------------------------------------------------------------ ProcessMOV
    def process_mov(
        self, data: bytes, start: int, end: int, data_pos: int, table: Table, ctx: _Dir, depth: int
    ) -> None:
        """``ProcessMOV`` on the boxes of ``data[start:end]`` (file offset of byte 0:
        ``data_pos``)."""
        if depth > MAX_DEPTH:
            self.store.warn("QuickTime boxes nested too deeply")
            return
        atom_count = table.variables.get("ATOM_COUNT")
        atom_count = int(atom_count) if atom_count is not None else None
        pos = start
        while pos + 8 <= end:
            if atom_count is not None:
                atom_count -= 1
                if atom_count < 0:
                    break
            size, kind = struct.unpack_from(">I4s", data, pos)
            head = 8
            if size < 8:
                if size == 0:
                    break  # a terminator (Canon CNTH), tolerated as ExifTool does
                if size != 1 or pos + 16 > end:
                    self.store.warn("Invalid atom size")
                    break
                size, head = struct.unpack_from(">Q", data, pos + 8)[0], 16
                if size < 16:
                    self.store.warn("Invalid extended size")
                    break
            tag = kind.decode("latin-1")
            if pos + size > end:
                self.store.warn(f"Truncated '{_printable(tag)}' data")
                self.truncated = True
                break
            self._count()
            self.atom(table, tag, data[pos + head : pos + size], data_pos + pos + head, ctx, depth)
            pos += size
            ctx.index += 1

    def lookup(self, table: Table, tag: str, val: bytes) -> Tag | None:
        """``GetTagInfo`` with the value (conditions may test ``$$valPt``), the Keys-defined
        numeric IDs of ``ilst`` and the ``UserData_xxx`` names of unknown ``©xxx`` boxes."""
        alternatives = table.tags.get(tag)
        if alternatives is not None:
            if len(alternatives) == 1 and alternatives[0].cond is None:
                return None if alternatives[0].unknown else alternatives[0]
            return self.choose(table, tag, val_pt=val[:4096].decode("latin-1"))
        if table.name == "QuickTime::ItemList" and len(tag) == 4:
            key = f"{self.state['KeysCount']}.{struct.unpack('>I', tag.encode('latin-1'))[0]}"
            if key in self.keys:
                return self.keys[key]
        if tag.startswith("\xa9") and table.name == "QuickTime::UserData":
            return Tag("UserData_" + tag[1:])
        return None

    def atom(
        self, table: Table, tag: str, val: bytes, data_pos: int, ctx: _Dir, depth: int
    ) -> None:
        """One box of a ProcessMOV directory: a sub-directory, ``data`` items, international
        text or a plain value."""
        if tag in _SAMPLE_TABLES and table.name == "QuickTime::SampleTable":
            self.samples += declared_samples(tag, val)
        user_data = table.name == "QuickTime::UserData" and self.store.set_group1
        info = self.lookup(table, tag, val)
        if info is None:
            return
        if user_data:  # UserData inside a track: "Track1" + name (QuickTime.pm)
            name = re.sub(r"^(Track\d+)Track", r"\1", self.store.set_group1 + info.name)
            info = renamed(info, name)
        if len(val) > MAX_READ:
            return
        if table.name == "QuickTime::iTunesInfo" and tag in _TRIPLET:
            info, val = self._triplet(table, tag, val, ctx)
            if info is None:
                return
        if info.subdir is not None:
            self.subdirectory(table, tag, info, val, data_pos, ctx, depth)
        elif ctx.has_data and re.search(rb"\0...data\0", val, re.S):
            for found, value in data_atoms(info, val):
                self.found(found, table, value, found.group1 or table.group1)
        elif tag.startswith("\xa9") or tag in ITEXT:
            for found, value in itext_values(info, val, ITEXT.get(tag), tag in _NO_DECODE):
                self.found(found, table, value, table.group1)
        else:
            value: object = val.decode("latin-1")
            if info.fmt:
                value = read_value(val, 0, info.fmt, count_of(info, info.fmt, len(val)), ">")
            elif "Binary" in info.flags or info.unknown:
                value = P.Ref(value)
            if value is not None:
                self.found(info, table, value, info.group1 or table.group1)

    def _triplet(self, table: Table, tag: str, val: bytes, ctx: _Dir) -> tuple[Tag | None, bytes]:
        """iTunes ``----`` items: ``mean`` and ``name`` name the ``data`` that follows."""
        mean, name = ctx.triplet.get("mean"), ctx.triplet.get("name")
        if tag != "data" or not mean or not name:
            if len(val) > 4:
                ctx.triplet[tag] = val[4:].decode("latin-1")
            return None, val
        tag_id = name if mean == "com.apple.iTunes" else f"{mean}/{name}"
        info = self.choose(table, tag_id) or Tag(re.sub(r"[^-_a-zA-Z0-9]", "", name))
        return info, val[8:] if len(val) >= 8 else val

    def subdirectory(
        self, table: Table, tag: str, info: Tag, val: bytes, data_pos: int, ctx: _Dir, depth: int
    ) -> None:
        sub = info.subdir
        start = sub.start if isinstance(sub.start, int) else 0
        sub_table = get_table(sub.table) if sub.table else None
        if sub_table is None or len(val) <= start:
            return
        saved = self.store.set_group1
        if sub.table == "QuickTime::Track":
            ctx.tracks += 1
            self.store.set_group1 = f"Track{ctx.tracks}"
        proc = sub.proc or sub_table.proc or "QuickTime::ProcessMOV"
        child = _Dir(tag, has_data=table.name == "QuickTime::Meta" and tag == "ilst")
        try:
            self.directory(proc, sub_table, val, start, data_pos, child, depth + 1, info.name)
        finally:
            if tag == "minf":
                self.state["HandlerType"] = ""
            elif tag == "trak":  # (ExifTool 13: the track's media type, set by HandlerType)
                self.state["MediaType"] = ""
            self.store.set_group1 = saved

    def directory(
        self,
        proc: str,
        table: Table,
        data: bytes,
        start: int,
        data_pos: int,
        ctx: _Dir,
        depth: int,
        name: str,
    ) -> None:
        """Run ``proc`` (an ExifTool ``PROCESS_PROC``) on ``data[start:]``, with ``name``
        on ``$$self{PATH}`` meanwhile (ExifTool 13's HandlerType tests ``$$self{PATH}[-2]``)."""
        path = self.state["PATH"]
        path.append(name)
        try:
            self._run(proc, table, data, start, data_pos, ctx, depth, name)
        finally:
            path.pop()

    def _run(
        self,
        proc: str,
        table: Table,
        data: bytes,
        start: int,
        data_pos: int,
        ctx: _Dir,
        depth: int,
        name: str,
    ) -> None:
        if proc == "QuickTime::ProcessMOV":
            self.process_mov(data, start, len(data), data_pos, table, ctx, depth)
        elif proc == "ProcessBinaryData":
            self.binary(table, data, start, len(data) - start, name)
        elif proc == "QuickTime::ProcessSampleDesc":
            self.sample_descriptions(table, data, start, data_pos, depth, name)
        elif proc == "QuickTime::ProcessHybrid":
            self.hybrid(table, data, start, len(data) - start, data_pos, depth, name)
        elif proc == "QuickTime::ProcessKeys":
            self.read_keys(table, data)
        elif proc == "XMP::ProcessXMP":
            self.xmp.append(data[start:])
        elif proc != "QuickTime::ProcessMetaKeys":  # (timed metadata: -ee only)
            self.store.unsupported(proc)

    def binary(self, table: Table, data: bytes, start: int, length: int, name: str) -> None:
        """The engine's ``ProcessBinaryData`` (big-endian, as QuickTime is)."""
        self.processed.clear()  # (a fresh bytes object may reuse a freed one's id)
        info = DirInfo(data=data, dir_start=start, dir_len=length, dir_name=name, order=">")
        self.process(info, table, "ProcessBinaryData")

    def sample_descriptions(
        self, table: Table, data: bytes, start: int, data_pos: int, depth: int, name: str
    ) -> None:
        """``ProcessSampleDesc``: each entry of an ``stsd`` box through ``ProcessHybrid``."""
        if start + 8 > len(data):
            return
        count = struct.unpack_from(">I", data, start + 4)[0]
        pos = start + 8
        for _ in range(min(count, len(data) // 8)):
            if pos + 8 > len(data):
                break
            size = struct.unpack_from(">I", data, pos)[0]
            if size < 8 or pos + size > len(data):
                self.store.warn(f"Truncated {self.state.get('HandlerType')} sample table")
                break
            self.hybrid(table, data, pos, size, data_pos, depth, name)
            pos += size

    def hybrid(
        self,
        table: Table,
        data: bytes,
        start: int,
        length: int,
        data_pos: int,
        depth: int,
        name: str,
    ) -> None:
        """``ProcessHybrid``: binary fields, then the child boxes found after them by
        ExifTool's brute-force search (a box that ends exactly where the entry ends)."""
        end = start + length
        pos = try_ = start + 8
        child = None
        binary_len = length
        limit = min(end - 8, start + 65536)
        while pos <= limit:
            if try_ == pos:  # jump to the next position whose type looks like [\w ]{4}
                match = _ATOM_NAME.search(data, pos + 4, end)
                if match is None:
                    break
                pos = try_ = match.start() - 4
                if pos > limit:
                    break
            size = struct.unpack_from(">I", data, try_)[0] if try_ + 8 <= end else 0
            if try_ + 8 <= end and _ATOM_NAME.match(data, try_ + 4) is None:
                pos += 1
                try_ = pos
                continue
            if size and size + try_ == end:
                child = pos
                binary_len = pos  # (ExifTool sets DirLen to this position, not a length)
                break
            if size < 8 or size + try_ > end - 8:
                pos += 1
                try_ = pos
            else:
                try_ += size
        self.binary(table, data[:end], start, binary_len, name)
        if child is not None:
            self.process_mov(data, child, end, data_pos, table, _Dir(name), depth + 1)

    def read_keys(self, table: Table, data: bytes) -> None:
        """``ProcessKeys``: the ``keys`` box names the ``ilst`` items that follow by index."""
        self.state["KeysCount"] += 1
        item_list, user_data = get_table("QuickTime::ItemList"), get_table("QuickTime::UserData")
        pos, index = 8, 1
        while pos < len(data) - 4:
            length = struct.unpack_from(">I", data, pos)[0]
            if length < 8 or pos + length > len(data):
                break
            namespace = data[pos + 4 : pos + 8].decode("latin-1")
            key = data[pos + 8 : pos + length].split(b"\0", 1)[0].decode("latin-1")
            tag = keys_tag(self, (table, item_list, user_data), namespace, key)
            if tag is not None:
                self.keys[f"{self.state['KeysCount']}.{index}"] = tag
            pos += length
            index += 1


class _Dir:
    """Per-directory state of one ProcessMOV call (ExifTool's locals)."""

    __slots__ = ("has_data", "id", "index", "tracks", "triplet")

    def __init__(self, dir_id: str, *, has_data: bool = False) -> None:
        self.id = dir_id
        self.has_data = has_data
        self.index = 0
        self.tracks = 0
        self.triplet: dict[str, str] = {}


def _printable(tag: str) -> str:
    return re.sub(r"[^\x20-\x7e]", lambda m: f"\\x{ord(m.group()):02x}", tag)


__all__ = ["QuickTimeReader"]
