"""Lossless strip of an AVI file: metadata chunks overwritten by ``JUNK`` chunks.

``JUNK`` is RIFF's filler chunk (AVI writers use it to align the ``movi`` list): a chunk
turned into ``JUNK`` of the same size, its data zeroed, keeps every later byte in place,
so the ``idx1`` index (offsets from ``movi``) and the OpenDML ``indx``/``ix##`` indexes
(absolute file offsets) stay valid and the packets are the same bytes at the same
place; the file keeps its size.

What goes: ``LIST INFO`` (title, artist, comments, software ``ISFT``, dates ``ICRD``),
``IDIT`` and ``ISMP`` (date and timecode of the recording), XMP (``_PMX``), ``LIST exif``,
stream names (``strn``) and stream vendor data (``strd``), and any other chunk that is
not part of the movie (makers' ``LIST`` blocks such as Nikon's ``ncdt``). What stays:
``avih``, each stream's ``strh``/``strf``/``indx``/``vprp``, the OpenDML header, ``movi``
(and ``AVIX`` extensions), ``idx1`` and existing ``JUNK``.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from common.errors import CorruptFile, DecompressionBomb
from worker.media.strip.report import Report

from .limits import VideoLimits
from .output import Copy, Piece

# chunk (LIST_xxxx for lists) -> kept, per parent
_KEEP = {
    "RIFF": {"LIST_hdrl", "LIST_movi", "idx1", "JUNK", "RIFF"},
    "LIST_hdrl": {"avih", "LIST_strl", "LIST_odml", "JUNK"},
    "LIST_strl": {"strh", "strf", "indx", "vprp", "JUNK"},
    "LIST_odml": {"dmlh", "JUNK"},
}
_GROUPS = {
    "LIST_INFO": ("text",),
    "IDIT": ("time",),
    "ISMP": ("time",),
    "_PMX": ("xmp",),
    "LIST_exif": ("exif",),
    "strn": ("title",),
    "strd": ("vendor",),
}


class _Planner:
    def __init__(self, file: BinaryIO, size: int, report: Report, limits: VideoLimits) -> None:
        self.file = file
        self.size = size
        self.report = report
        self.budget = limits.max_boxes
        self.patches: list[tuple[int, int]] = []  # (offset, length) turned into JUNK

    def chunks(self, start: int, end: int, parent: str) -> None:
        pos = start
        while pos + 8 <= end:
            self.budget -= 1
            if self.budget < 0:
                raise DecompressionBomb("too many RIFF chunks")
            self.file.seek(pos)
            kind, length = struct.unpack("<4sI", self.file.read(8))
            name = kind.decode("latin-1")
            data = pos + 8
            if data + length > end:
                raise CorruptFile(f"RIFF chunk {name.strip()} at {pos} runs past its parent")
            if name in ("LIST", "RIFF"):
                if length < 4:
                    raise CorruptFile(f"{name} chunk at {pos} too short")
                list_type = self.file.read(4).decode("latin-1")
                name = "RIFF" if name == "RIFF" else f"LIST_{list_type}"
            if name not in _KEEP.get(parent, ()):
                self.junk(pos, length + 8, name)
            elif name in _KEEP and name != "RIFF":
                self.chunks(data + 4, data + length, name)
            elif name == "RIFF" and parent == "RIFF":
                self.chunks(data + 4, data + length, "RIFF")  # (an OpenDML AVIX extension)
            pos = data + length + (length & 1)

    def junk(self, offset: int, length: int, name: str) -> None:
        self.patches.append((offset, length))
        self.report.remove(name, length, *_GROUPS.get(name, ("vendor",)))


def plan(file: BinaryIO, size: int, report: Report, limits: VideoLimits) -> list[Piece]:
    """The pieces of the cleaned file: the input with metadata chunks made ``JUNK``."""
    file.seek(0)
    head = file.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"AVI ":
        raise CorruptFile("not a RIFF AVI file")
    riff_end = struct.unpack_from("<I", head, 4)[0] + 8
    if riff_end > size:
        raise CorruptFile(f"RIFF chunk of {riff_end} bytes in a file of {size}")
    planner = _Planner(file, size, report, limits)
    planner.chunks(12, riff_end, "RIFF")
    end = riff_end
    while end + 12 <= size:  # OpenDML 'AVIX' extensions follow as further RIFF chunks
        file.seek(end)
        head = file.read(12)
        length = struct.unpack_from("<I", head, 4)[0]
        if head[:4] != b"RIFF" or end + 8 + length > size:
            break
        planner.chunks(end + 12, end + 8 + length, "RIFF")
        end += 8 + length + (length & 1)
    end = min(end, size)
    if end < size:
        report.remove("trailer", size - end, "vendor")
    pieces: list[Piece] = []
    pos = 0
    for offset, length in sorted(planner.patches):
        if offset > pos:
            pieces.append(Copy(pos, offset - pos))
        pieces.append(b"JUNK" + struct.pack("<I", length - 8) + bytes(length - 8))
        pos = offset + length
    if pos < end:
        pieces.append(Copy(pos, end - pos))
    return pieces
