"""AVI (RIFF) container tags under ExifTool's names (``RIFF`` and, for the video stream's
bitmap header, ``File``).

A Python port of the reading half of ExifTool's ``ProcessRIFF`` and ``ProcessChunks``
(``lib/Image/ExifTool/RIFF.pm``, ExifTool 12.57) driven by its RIFF tag tables (built from
the installed ExifTool, :mod:`worker.media.extract.tables`): ``LIST_hdrl`` (``avih``, each
stream's ``strh``/``strf``/``strn``), ``LIST_INFO`` text chunks, ``IDIT`` dates, ``_PMX``
XMP and the makers' ``LIST`` chunks; ``LIST_movi`` and ``idx1`` (the media data and its
index) are skipped. A chunk is ``id:4cc size:u32le`` then its data, padded to an even
length (RIFF, Microsoft Multimedia Programming Interface 1.0); a size that runs past its
parent ends that level with a warning.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from common.errors import DecompressionBomb
from worker.media.extract import perl as P
from worker.media.extract.exif import DirInfo, ExifReader
from worker.media.extract.tables import get_table
from worker.media.extract.tabletypes import Table, Tag
from worker.media.extract.valueformats import read_value

from .qtvalues import count_of
from .tagstore import VideoTagStore

MAX_READ = 32 << 20  # a chunk we read whole (headers; the media data is never read)
_SKIP = {"LIST_movi", "idx1", "data", "JUNK"}


class RiffReader(ExifReader):
    """Reads one AVI file's header chunks."""

    def __init__(self, store: VideoTagStore, *, max_chunks: int) -> None:
        super().__init__(store, file_type="AVI")
        self.store: VideoTagStore = store
        self.state.update(FileType="AVI", RIFFStreamType="", RIFFStreamCodec=[])
        self.state["BYTE_ORDER"] = "<"
        self.chunks_left = max_chunks
        self.truncated = False
        self.xmp: list[bytes] = []

    def read_file(self, file: BinaryIO, size: int) -> None:
        main = get_table("RIFF::Main")
        file.seek(0)
        head = file.read(12)
        riff_end = min(size, struct.unpack_from("<I", head, 4)[0] + 8)
        pos = 12
        while pos + 8 <= size:
            self._count()
            file.seek(pos)
            tag, length = struct.unpack("<4sI", file.read(8))
            tag = tag.decode("latin-1")
            pos += 8
            if tag == "LIST":
                tag += "_" + file.read(4).decode("latin-1")
                length -= 4
                pos += 4
            if tag == "RIFF":  # an OpenDML 'AVIX' extension: read on inside it
                pos += 4
                continue
            padded = length + (length & 1)
            if pos + length > size:
                self.store.warn(f"Truncated RIFF '{tag}' chunk")
                self.truncated = True
                return
            if tag in main.tags and tag not in _SKIP and length <= MAX_READ:
                file.seek(pos)
                self.chunk(main, tag, file.read(length), "RIFF")
            pos += padded
        if pos < min(riff_end, size) - 1:
            self.store.warn("Trailing bytes in the RIFF chunk", minor=True)

    def _count(self) -> None:
        self.chunks_left -= 1
        if self.chunks_left < 0:
            raise DecompressionBomb("too many RIFF chunks")

    def chunks(self, table: Table, data: bytes, start: int, end: int) -> None:
        """``ProcessChunks``: the chunks of ``data[start:end]``."""
        while start + 8 < end:
            self._count()
            tag, length = struct.unpack_from("<4sI", data, start)
            tag = tag.decode("latin-1")
            start += 8
            if start + length > end:
                self.store.warn(f"Bad {tag} chunk")
                return
            if tag == "LIST" and length >= 4:
                tag += "_" + data[start : start + 4].decode("latin-1")
                length -= 4
                start += 4
            self.chunk(table, tag, data[start : start + length], table.name)
            start += length + (length & 1)

    def chunk(self, table: Table, tag: str, val: bytes, name: str) -> None:
        """``HandleTag`` for one chunk: its sub-directory, or its value."""
        info = self.choose(table, tag, val_pt=val[:4096].decode("latin-1"))
        if info is None:
            return
        sub = info.subdir
        if sub is not None:
            sub_table = get_table(sub.table) if sub.table else None
            if sub_table is not None:
                self.directory(sub.proc or sub_table.proc, sub_table, val, info.name)
            return
        self.found(info, table, _value(info, table, val), info.group1 or table.group1)

    def directory(self, proc: str | None, table: Table, data: bytes, name: str) -> None:
        if proc == "RIFF::ProcessChunks":
            self.chunks(table, data, 0, len(data))
        elif proc == "ProcessBinaryData":
            self.processed.clear()
            order = "<"
            info = DirInfo(data=data, dir_start=0, dir_len=len(data), dir_name=name, order=order)
            self.process(info, table, "ProcessBinaryData")
        elif proc == "XMP::ProcessXMP" or (proc is None and table.name == "XMP::Main"):
            self.xmp.append(data)
        else:
            self.store.unsupported(proc or table.name)


def _value(tag: Tag, table: Table, raw: bytes) -> object:
    """A chunk's value: text for ``string`` (trailing NULs removed), else its format."""
    fmt = tag.fmt or table.fmt
    if "Binary" in tag.flags:
        return P.Ref(raw.decode("latin-1"))
    if fmt == "string" or not fmt:
        text = raw.decode("latin-1")
        return text.rstrip("\0") if fmt == "string" else text
    return read_value(raw, 0, fmt, count_of(tag, fmt, len(raw)), "<")
