"""Matroska / WebM container tags under ExifTool's names (``Matroska``, ``Track1``, ...).

A Python port of ExifTool's ``ProcessMKV`` and ``HandleStruct`` (``lib/Image/ExifTool/
Matroska.pm``, ExifTool 12.57 to 13.x) driven by its Matroska tag tables (built from the
installed ExifTool, :mod:`worker.media.extract.tables`): master elements the table names
are entered,
leaf elements it names are read with its formats (``unsigned``, ``signed``, ``float``,
``string``, ``utf8``, ``date``), ``SimpleTag`` groups become the ``Tags`` tags of the
``StdTag`` table (``Artist``, ``Encoder``, ``DateTimeOriginal``...), tags inside a track
or chapter are grouped ``TrackN``/``ChapterN``. Like ExifTool, reading stops at the first
``Cluster`` (the media data). Every element must fit in its parent (an element that does
not ends its parent with a warning, as in ExifTool); the walk is iterative, so nesting
depth costs no stack, and the element count is bounded by the caller.

Two changes of ``ProcessMKV`` itself (ExifTool's ``Changes``) are followed when the tables
in use come from that ExifTool or a newer one, so the output stays that version's:
12.93 jumps from the first Cluster to a ``Tags`` element the ``SeekHead`` places after
it; 13.44 groups the ``Info`` elements as ``Info`` and the tags that target a track
(``TagTrackUID``) under that track's ``TrackN``.
"""

from __future__ import annotations

import re
import time
from typing import BinaryIO

from common.errors import DecompressionBomb
from worker.media.extract import perl as P
from worker.media.extract.exif import ExifReader
from worker.media.extract.tables import exiftool_version, get_table
from worker.media.extract.tabletypes import Table, Tag

from . import ebml
from .qtvalues import lang_tag, renamed
from .tagstore import VideoTagStore

MAX_VALUE = 10_000_000  # ExifTool skips a leaf of more than this many bytes
# Matroska.pm: elements with ``NoSave`` (read past, never stored)
_NO_SAVE = {0x6C, 0x21, 0x22, 0x23, 0x25, 0x2F}
_NANOSECONDS_1970_2001 = ((2001 - 1970) * 365 + 8) * 24 * 3600
_SEEK_FIELDS = {0x13AB: "ID", 0x13AC: "Position"}  # SeekID, SeekPosition (in a Seek)


class MatroskaReader(ExifReader):
    """Reads the EBML header and the Segment up to its first Cluster."""

    def __init__(self, store: VideoTagStore, *, max_elements: int, max_depth: int) -> None:
        super().__init__(store, file_type="MKV")
        self.store: VideoTagStore = store
        self.state.update(FileType="MKV", TrackTypes={})
        self.elements_left = max_elements
        self.max_depth = max_depth
        self.truncated = False
        self.doc_type: str | None = None
        version = exiftool_version()
        self.seek_tags = version >= (12, 93)  # read Tags placed after the Clusters
        self.track_groups = version >= (13, 44)  # Info group; track-targeted tags in TrackN
        self._seek: dict[str, int] = {}  # element name -> file offset (the SeekHead's entries)
        self._seek_info: dict[str, int] = {}
        self._seek_base = 0
        self._track_num: dict[object, str] = {}  # TrackUID -> "TrackN"

    def read_file(self, file: BinaryIO, size: int, deadline: float | None = None) -> None:
        """Walk the elements of ``file`` (``size`` bytes) up to the first Cluster."""
        main = get_table("Matroska::Main")
        self._stack: list[tuple[int, str, dict | None]] = []  # (end, name, enclosing struct)
        self._struct: dict | None = None
        self._track_depth: int | None = None
        self._chapters = 0
        pos = 0
        while True:
            self._leave(pos)
            limit = self._stack[-1][0] if self._stack else size
            if pos + 2 > limit:
                if pos < size and not self._stack:
                    self.store.warn("Trailing bytes after the last element", minor=True)
                break
            self._budget(deadline)
            try:
                element = ebml.read_header(file, pos, size)
            except ebml.BadElement as exc:
                self.store.warn(f"Truncated or corrupt Matroska element: {exc}")
                self.truncated = True
                break
            if element.size != ebml.UNKNOWN and element.data + element.size > limit:
                self.store.warn(f"Invalid or corrupted {self._stack[-1][1]} master element")
                pos = limit
                continue
            if self.seek_tags:
                self._seek_entry(file, element)
            tag = self._tag(main, element.id)
            if tag is not None and tag.subdir is not None:
                if tag.name == "Cluster":
                    target = self._seek.get("Tags")
                    if self.seek_tags and target and element.data < target < size:
                        pos = target  # (ExifTool 12.93+: on to the Tags after the Clusters)
                        continue
                    break
                self._enter(tag, element.end(limit))
                pos = element.data
                continue
            if element.size == ebml.UNKNOWN:
                break
            pos = element.data + element.size
            if (
                tag is not None
                and element.size <= MAX_VALUE
                and not self._leaf(file, main, tag, element)
            ):
                break
        self.store.set_group1 = None

    def _budget(self, deadline: float | None) -> None:
        self.elements_left -= 1
        if self.elements_left < 0:
            raise DecompressionBomb("too many Matroska elements")
        if deadline is not None and time.monotonic() > deadline:
            raise DecompressionBomb("Matroska header takes too long to read")

    def _seek_entry(self, file: BinaryIO, element: ebml.Element) -> None:
        """Note where the SeekHead says the elements are (offsets from the SeekHead's start,
        which ExifTool takes as the Segment's data start)."""
        if element.id == ebml.SEEK_HEAD:
            self._seek_base = element.start
        elif element.id in _SEEK_FIELDS and 0 < element.size <= 8 and self._in("Seek"):
            file.seek(element.data)
            raw = file.read(element.size)
            try:  # (SeekID holds an element ID: read as a vint, as ExifTool does)
                value = ebml.vint(raw, 0)[0] if element.id == 0x13AB else None
            except ebml.BadElement:
                return
            self._seek_info[_SEEK_FIELDS[element.id]] = (
                int.from_bytes(raw, "big") if value is None else value
            )

    def _in(self, name: str) -> bool:
        return bool(self._stack) and self._stack[-1][1] == name

    def _seek_done(self, main: Table) -> None:
        info, self._seek_info = self._seek_info, {}
        alternatives = main.tags.get(info.get("ID"))
        if "Position" in info and alternatives and len(alternatives) == 1:
            self._seek[alternatives[0].name] = info["Position"] + self._seek_base

    def _tag(self, main: Table, element_id: int) -> Tag | None:
        return self.choose(main, element_id) if element_id in main.tags else None

    def _enter(self, tag: Tag, end: int) -> None:
        """A master element: its children follow (ExifTool's ``@dirEnd``)."""
        if len(self._stack) >= self.max_depth:
            raise DecompressionBomb("Matroska elements nested too deeply")
        self._stack.append((end, tag.name, self._struct))
        if tag.name == "SimpleTag":
            self._struct = {}
        if tag.name == "ChapterAtom":
            self._chapters += 1
            self.store.set_group1 = f"Chapter{self._chapters}"
            self._track_depth = len(self._stack)
        elif tag.name == "Info" and self.track_groups and not self.store.set_group1:
            self.store.set_group1 = "Info"
            self._track_depth = len(self._stack)

    def _leave(self, pos: int) -> None:
        """Close the master elements that end at ``pos``; a finished SimpleTag is stored."""
        stack = self._stack
        while stack and pos >= stack[-1][0]:
            if stack.pop()[1] == "Seek" and self.seek_tags:
                self._seek_done(get_table("Matroska::Main"))
            if self._struct is not None:
                if stack and stack[-1][2] is not None:
                    stack[-1][2].setdefault("struct", []).append(self._struct)
                    self._struct = stack[-1][2]
                else:
                    self.handle_struct(self._struct)
                    self._struct = None
            if self._track_depth is not None and self._track_depth == len(stack) + 1:
                self.store.set_group1 = None
                self._track_depth = None

    def _leaf(self, file: BinaryIO, main: Table, tag: Tag, element: ebml.Element) -> bool:
        """Read and store one leaf element; ``False`` when the file ends inside it."""
        file.seek(element.data)
        raw = file.read(element.size)
        if len(raw) < element.size:
            self.store.warn("Truncated Matroska element")
            self.truncated = True
            return False
        value = self.value(tag, raw)
        if tag.name == "TrackNumber":
            self.store.set_group1 = f"Track{P.pstr(value)}"
            self._track_depth = len(self._stack)
        elif self.track_groups:
            self._track_group(tag.name, value)
        if element.id in _NO_SAVE:
            return True
        if self._struct is not None:
            self._struct[tag.name] = value
        elif value is not None:
            self.found(tag, main, value, tag.group1 or main.group1)
        return True

    def _track_group(self, name: str, value: object) -> None:
        """ExifTool 13.44+: a track's UID names its group; tags targeting it go there."""
        if name == "TrackUID" and self.store.set_group1:
            self._track_num[value] = self.store.set_group1
        elif name == "TagTrackUID" and value in self._track_num:
            self.store.set_group1 = self._track_num[value]
            self._track_depth = len(self._stack) - 1  # (until the enclosing Tag ends)

    def value(self, tag: Tag, raw: bytes) -> object:
        """A leaf's value in its table format (Matroska.pm ``ProcessMKV``)."""
        fmt = tag.fmt
        if fmt in ("string", "utf8"):
            text = raw.split(b"\0", 1)[0].decode("latin-1")
            if tag.name == "DocType":
                self.doc_type = text
            return text
        if fmt == "float":
            if len(raw) == 4:
                return _float(raw, ">f")
            if len(raw) == 8:
                return _float(raw, ">d")
            self.store.warn(f"Illegal float size ({len(raw)})")
            return None
        if fmt in ("signed", "date"):
            number = int.from_bytes(raw, "big", signed=True) if raw else 0
            if fmt == "date":
                return _date(number)
            return number
        if fmt == "unsigned":
            return int.from_bytes(raw, "big")
        return P.Ref(raw.decode("latin-1"))

    def handle_struct(self, struct: dict, parent: tuple[str, str] | None = None, lang=None):
        """``HandleStruct``: one SimpleTag (and those nested in it) as a StdTag tag."""
        table = get_table("Matroska::StdTag")
        name = P.pstr(struct.get("TagName"))
        tag = self.choose(table, name) if name in table.tags else None
        if tag is None:
            tag = Tag(_std_name(name))
        tag_id, tag_name = name, tag.name
        if parent is not None:
            tag_id, tag_name = f"{parent[0]}/{name}", f"{parent[1]}/{tag.name}"
            tag = renamed(tag, tag_name)
        value = struct.get("TagString")
        if value is None and struct.get("TagBinary") is not None:
            value = P.Ref(P.pstr(struct["TagBinary"]))
        if value is not None:
            lang = struct.get("TagLanguageBCP47") or struct.get("TagLanguage") or lang
            found = lang_tag(tag, P.pstr(lang)) if lang else tag
            self.found(found, table, value, table.group1)
        for inner in struct.get("struct", []):
            self.handle_struct(inner, (tag_id, tag_name), lang)


def _std_name(name: str) -> str:
    """ExifTool's name for a SimpleTag missing from its table: ``HANDLER_NAME`` ->
    ``HandlerName``."""
    text = name[:1].upper() + name[1:].lower()
    text = re.sub(r"[^0-9a-zA-Z_]", "", text)
    text = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), text)
    return text if len(text) >= 2 else f"Tag_{text}"


def _float(raw: bytes, code: str) -> float | str:
    import struct

    value = struct.unpack(code, raw)[0]
    if value != value or value in (float("inf"), float("-inf")):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    return value


def _date(nanoseconds: int) -> str:
    """A Matroska ``date`` (nanoseconds since 2001-01-01T00:00:00 UTC) as ExifTool prints it."""
    seconds = nanoseconds / 1e9
    fraction = P.pstr(seconds - int(seconds))
    fraction = re.sub(r"^-?\d+", "", fraction)
    unix = int(seconds) + _NANOSECONDS_1970_2001
    return P.call(P.Env(), "ConvertUnixTime", [unix]) + fraction + "Z"
