"""Lossless strip of a Matroska / WebM file: metadata elements overwritten by ``Void``.

Matroska's own way to drop an element without moving anything (RFC 9559 §5.1.9: a
``Void`` element "used to void data or to avoid unexpected behaviors when a file is
edited"; mkvpropedit edits files the same way): every removed element is replaced by a
``Void`` element of exactly its size, whose data is zeros. No byte after it moves, so the
``SeekHead`` and ``Cues`` positions and every Cluster stay valid and every packet is the
same bytes at the same place; the file keeps its size.

What goes: ``Tags`` (every SimpleTag: title, artist, dates, ``LOCATION``, encoder...),
``Attachments`` other than fonts (cover art; fonts are kept, subtitles need them), the
segment's ``Title``, ``DateUTC`` and file names, track ``Name``s, the ``SeekHead``
entries that pointed to what went, and the ``CRC-32`` of any master element changed.
``MuxingApp`` and ``WritingApp`` are mandatory: their text is zeroed (an empty string).
"""

from __future__ import annotations

from typing import BinaryIO

from common.errors import CorruptFile, DecompressionBomb
from worker.media.strip.report import Report

from . import ebml
from .limits import VideoLimits
from .output import Copy, Piece

TAGS_WITH_MARKER = 0x1254C367
ATTACHMENTS_WITH_MARKER = 0x1941A469
# Info children
TITLE, DATE_UTC, MUXING_APP, WRITING_APP = 0x3BA9, 0x0461, 0x0D80, 0x1741
FILE_NAMES = {0x3384: "SegmentFilename", 0x1C83AB: "PrevFilename", 0x1E83BB: "NextFilename"}
TRACK_ENTRY, TRACK_NAME = 0x2E, 0x136E
ATTACHED_FILE, FILE_MIME_TYPE = 0x21A7, 0x0660
SEEK, SEEK_ID = 0x0DBB, 0x13AB
_TOP_LEVEL = {
    ebml.SEEK_HEAD,
    ebml.INFO,
    ebml.TRACKS,
    ebml.CLUSTER,
    ebml.CUES,
    ebml.CHAPTERS,
    ebml.TAGS,
    ebml.ATTACHMENTS,
}
_FONT_TYPES = ("font/", "application/x-truetype-font", "application/vnd.ms-opentype")
_FONT_TYPES += ("application/x-font", "application/font")


def void(length: int) -> bytes:
    """A ``Void`` element (ID 0xEC) of exactly ``length`` >= 2 bytes."""
    for size_len in range(1, 9):
        data = length - 1 - size_len
        if 0 <= data < (1 << (7 * size_len)) - 1:
            size = (1 << (7 * size_len)) | data
            return b"\xec" + size.to_bytes(size_len, "big") + bytes(data)
    raise ValueError(f"no Void element of {length} bytes")


class _Planner:
    def __init__(self, file: BinaryIO, size: int, report: Report, limits: VideoLimits) -> None:
        self.file = file
        self.size = size
        self.report = report
        self.budget = limits.max_boxes
        self.blocks = 64 + size // 16  # (a block element takes at least 16 bytes of media)
        self.patches: dict[int, bytes] = {}  # offset -> replacement bytes (same length)

    def element(self, pos: int, end: int) -> ebml.Element:
        self.budget -= 1
        if self.budget < 0:
            raise DecompressionBomb("too many Matroska elements")
        try:
            return ebml.read_header(self.file, pos, end)
        except ebml.BadElement as exc:
            raise CorruptFile(f"truncated or malformed Matroska element: {exc}") from None

    def elements(self, start: int, end: int) -> list[ebml.Element]:
        found, pos = [], start
        while pos < end:
            element = self.element(pos, end)
            if element.size == ebml.UNKNOWN:
                raise CorruptFile("an element of unknown size inside a sized one")
            found.append(element)
            pos = element.data + element.size
        return found

    def remove(self, element: ebml.Element, name: str, *groups: str) -> None:
        length = element.data + element.size - element.start
        self.patches[element.start] = void(length)
        self.report.remove(name, length, *groups)

    def read(self, element: ebml.Element) -> bytes:
        self.file.seek(element.data)
        return self.file.read(element.size)

    # ------------------------------------------------------------------ the walk
    def segment(self, start: int, end: int) -> None:
        """The Segment's top-level elements (to ``end``; Clusters are skipped by size)."""
        pos = start
        removed_ids: set[int] = set()
        seek_heads = []
        while pos + 2 <= end:
            element = self.element(pos, end)
            if element.id == ebml.CLUSTER and element.size == ebml.UNKNOWN:
                pos = self.unknown_cluster_end(element.data, end)
                continue
            if element.size == ebml.UNKNOWN:
                raise CorruptFile("a top-level element of unknown size")
            if element.id == ebml.TAGS:
                self.remove(element, "Tags", "tags", *self.tag_groups(element))
                removed_ids.add(TAGS_WITH_MARKER)
            elif element.id == ebml.ATTACHMENTS:
                if self.attachments(element):
                    removed_ids.add(ATTACHMENTS_WITH_MARKER)
            elif element.id == ebml.INFO:
                self.info(element)
            elif element.id == ebml.TRACKS:
                self.tracks(element)
            elif element.id == ebml.SEEK_HEAD:
                seek_heads.append(element)
            pos = element.data + element.size
        for element in seek_heads:
            self.seek_head(element, removed_ids)

    def unknown_cluster_end(self, pos: int, end: int) -> int:
        """Where a Cluster of unknown size ends: at the next top-level element (its blocks
        are walked: a budget of their own, proportional to the file)."""
        while pos + 2 <= end:
            self.budget += 1
            self.blocks -= 1
            if self.blocks < 0:
                raise DecompressionBomb("too many elements in Clusters of unknown size")
            element = self.element(pos, end)
            if element.id in _TOP_LEVEL:
                return pos
            if element.size == ebml.UNKNOWN:
                raise CorruptFile("an element of unknown size inside a Cluster")
            pos = element.data + element.size
        return end

    def tag_groups(self, element: ebml.Element) -> list[str]:
        data = self.read(element) if element.size <= 16 << 20 else b""
        groups = []
        if b"LOCATION" in data or b"GPS" in data:
            groups.append("gps")
        if b"DATE" in data:
            groups.append("time")
        return groups

    def changed(self, children: list[ebml.Element]) -> None:
        """A master element changed: its CRC-32 no longer holds."""
        for child in children:
            if child.id == ebml.CRC32 and child.start not in self.patches:
                self.remove(child, "CRC-32")

    def info(self, element: ebml.Element) -> None:
        children = self.elements(element.data, element.data + element.size)
        before = len(self.patches)
        for child in children:
            if child.id == TITLE:
                self.remove(child, "Info/Title", "title")
            elif child.id == DATE_UTC:
                self.remove(child, "Info/DateUTC", "time")
            elif child.id in FILE_NAMES:
                self.remove(child, f"Info/{FILE_NAMES[child.id]}", "fileName")
            elif child.id in (MUXING_APP, WRITING_APP) and child.size and any(self.read(child)):
                self.patches[child.data] = bytes(child.size)
                name = "MuxingApp" if child.id == MUXING_APP else "WritingApp"
                self.report.remove(f"Info/{name} (text)", child.size, "software")
        if len(self.patches) > before:
            self.changed(children)

    def tracks(self, element: ebml.Element) -> None:
        entries = self.elements(element.data, element.data + element.size)
        for entry in entries:
            if entry.id != TRACK_ENTRY:
                continue
            children = self.elements(entry.data, entry.data + entry.size)
            names = [child for child in children if child.id == TRACK_NAME]
            for child in names:
                self.remove(child, "TrackEntry/Name", "title")
            if names:
                self.changed(children)
                self.changed(entries)

    def attachments(self, element: ebml.Element) -> bool:
        """Remove the attachments that are not fonts; ``True`` if none is left."""
        files = self.elements(element.data, element.data + element.size)
        attached = [f for f in files if f.id == ATTACHED_FILE]
        keep = [f for f in attached if self.is_font(f)]
        if not keep:
            self.remove(element, "Attachments", "attachments")
            return True
        for item in attached:
            if item not in keep:
                self.remove(item, "AttachedFile", "attachments")
        if len(keep) < len(attached):
            self.changed(files)
        return False

    def is_font(self, item: ebml.Element) -> bool:
        for child in self.elements(item.data, item.data + item.size):
            if child.id == FILE_MIME_TYPE and child.size <= 256:
                mime = self.read(child).split(b"\0", 1)[0].decode("latin-1").lower()
                return mime.startswith(_FONT_TYPES)
        return False

    def seek_head(self, element: ebml.Element, removed: set[int]) -> None:
        seeks = self.elements(element.data, element.data + element.size)
        changed = False
        for seek in seeks:
            if seek.id != SEEK or seek.start in self.patches:
                continue
            for child in self.elements(seek.data, seek.data + seek.size):
                if child.id == SEEK_ID and int.from_bytes(self.read(child), "big") in removed:
                    self.remove(seek, "SeekHead/Seek")
                    changed = True
        if changed:
            self.changed(seeks)


def plan(file: BinaryIO, size: int, report: Report, limits: VideoLimits) -> list[Piece]:
    """The pieces of the cleaned file: the input with the patches applied."""
    planner = _Planner(file, size, report, limits)
    header = planner.element(0, size)
    if header.id != ebml.EBML_HEADER or header.size == ebml.UNKNOWN:
        raise CorruptFile("no EBML header")
    pos = header.data + header.size
    while pos + 2 <= size:
        element = planner.element(pos, size)
        if element.id == ebml.SEGMENT:
            end = size if element.size == ebml.UNKNOWN else element.data + element.size
            planner.segment(element.data, end)
            pos = end
        elif element.size == ebml.UNKNOWN:
            raise CorruptFile("a top-level element of unknown size")
        else:
            pos = element.data + element.size
    return _pieces(planner.patches, size)


def _pieces(patches: dict[int, bytes], size: int) -> list[Piece]:
    pieces: list[Piece] = []
    pos = 0
    for offset in sorted(patches):
        replacement = patches[offset]
        if offset < pos:
            continue  # (inside an element already replaced as a whole)
        if offset > pos:
            pieces.append(Copy(pos, offset - pos))
        pieces.append(replacement)
        pos = offset + len(replacement)
    if pos < size:
        pieces.append(Copy(pos, size - pos))
    return pieces
