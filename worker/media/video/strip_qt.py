"""Lossless strip of a QuickTime / MP4 file: the same media, without its metadata boxes.

What goes (ISO/IEC 14496-12, QuickTime File Format, and ExifTool's QuickTime tables for
what each box holds):

* ``udta`` (user data: ``©mak ©mod ©swr ©day ©xyz`` make, model, software, dates,
  location...), ``meta`` (``keys``/``ilst``: Apple's ``com.apple.quicktime.*`` items,
  iTunes-style tags) and every ``uuid`` box (XMP ``BE7ACFCB...``, camera vendors'
  blocks) wherever they are; padding (``free skip wide junk``) and previews
  (``pnot thum PICT``); top-level boxes that are not part of a movie (vendor trailers);
* timed-metadata tracks (handler ``meta``: Apple ``mebx``, GoPro ``gpmd`` GPS...) and
  timecode tracks (``tmcd``: the time of day of the recording), with the track
  references to them;
* the creation and modification times of ``mvhd``, ``tkhd`` and ``mdhd`` are set to zero
  (the boxes are required; the report says which held a time).

What stays byte for byte: ``ftyp``, every ``mdat``, fragments (``moof``, ``sidx``, ...)
and each track's sample description and tables, so every stream's packets are unchanged.
Removing boxes moves the media data when something before it shrinks; the absolute
offsets that point into it are moved with it: ``stco``/``co64`` chunk offsets, ``tfhd``
base data offsets and ``tfra`` fragment offsets.
"""

from __future__ import annotations

import re
import struct
from bisect import bisect_right
from typing import BinaryIO

import numpy as np

from common.errors import CorruptFile, DecompressionBomb
from worker.media.strip.report import Report

from .boxes import BadBox, Box, children, file_header
from .limits import VideoLimits
from .output import Copy, Piece, with_zeros
from .samples import chunk_ranges

# Top-level boxes of a movie; anything else at the top is metadata or a vendor trailer.
_TOP_KEEP = {b"ftyp", b"moov", b"mdat", b"moof", b"mfra", b"sidx", b"ssix", b"styp", b"pdin"}
_TOP_KEEP |= {b"emsg"}
# Boxes dropped wherever they are met inside the movie header.
_DROP = {
    b"udta": ("userData",),
    b"meta": ("itemList",),
    b"uuid": ("vendor",),
    b"free": (),
    b"skip": (),
    b"wide": (),
    b"junk": (),
    b"pnot": ("thumbnail",),
    b"thum": ("thumbnail",),
    b"PICT": ("thumbnail",),
    b"pict": ("thumbnail",),
}
_RECURSE = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"mfra"}
_TIMED = {b"mvhd", b"tkhd", b"mdhd"}
_DROP_HANDLERS = {b"meta": "timedMetadata", b"tmcd": "timecode", b"camm": "timedMetadata"}
_XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
_XMP_MARK = re.compile(rb"XMP_|x:xmpmeta|<rdf:RDF")
_GPS_MARKS = re.compile(rb"\xa9xyz|loci|location\.ISO6709|GPSCoordinates|<exif:GPS")


def plan(
    file: BinaryIO, size: int, report: Report, limits: VideoLimits
) -> tuple[list[Piece], dict[str, int]]:
    """The pieces of the cleaned file (see :mod:`.output`) and, per box type, how many
    ``mvhd``/``tkhd``/``mdhd`` boxes held a time that is now zero."""
    tops = _top_level(file, size, limits)
    moov = next((box for box in tops if box.type == b"moov"), None)
    if moov is None:
        raise CorruptFile("no moov box: not a complete QuickTime/MP4 movie")
    fragmented = any(box.type in (b"moof", b"sidx") for box in tops)
    first_fragment = next((i for i, b in enumerate(tops) if b.type in (b"moof", b"sidx")), None)
    movie = _Movie(report, limits)
    pieces: list[Piece] = []
    kept: list[tuple[Box, int]] = []  # (old box, new start)
    position = 0
    for index, box in enumerate(tops):
        after_fragments = first_fragment is not None and index > first_fragment
        if box.type not in _TOP_KEEP and not after_fragments:
            _note_removed(file, box, report)
            continue
        if box.type == b"moov":
            file.seek(box.payload)
            moov_bytes = movie.rebuild_moov(file.read(box.size - box.header))
            pieces.append(moov_bytes)
            new_size = len(moov_bytes)
        elif box.type in (b"moof", b"mfra") and fragmented:
            file.seek(box.start)
            pieces.append(bytearray(file.read(box.size)))
            new_size = box.size
        else:
            pieces.append(Copy(box.start, box.size))
            new_size = box.size
        kept.append((box, position))
        position += new_size
    mapping = _Mapping(kept)
    for piece, (box, _) in zip(pieces, kept, strict=True):
        if box.type == b"moov":
            movie.fix_chunk_offsets(piece, mapping)
        elif box.type == b"moof" and isinstance(piece, bytearray):
            _fix_fragment(piece, mapping)
        elif box.type == b"mfra" and isinstance(piece, bytearray):
            _fix_tfra(piece, mapping)
    if movie.zero_ranges:
        zeroed = sum(length for _, length in movie.zero_ranges)
        report.remove("samples of removed tracks (zeroed in mdat)", zeroed)
        pieces = with_zeros(pieces, movie.zero_ranges)
    return pieces, movie.zeroed


def _top_level(file: BinaryIO, size: int, limits: VideoLimits) -> list[Box]:
    tops, pos = [], 0
    while pos < size:
        try:
            box = file_header(file, pos, size)
        except BadBox as exc:
            raise CorruptFile(f"truncated or malformed top-level box: {exc}") from None
        if box.type == b"moov" and box.size > limits.max_header_bytes:
            raise DecompressionBomb(f"moov box of {box.size} bytes (limit)")
        tops.append(box)
        if len(tops) > limits.max_boxes:
            raise DecompressionBomb("too many boxes")
        pos = box.end
    return tops


def _note_removed(file: BinaryIO, box: Box, report: Report) -> None:
    groups = list(_DROP.get(box.type, ("vendor",)))
    if box.type in (b"uuid", b"udta", b"meta") and box.size <= 64 << 20:
        file.seek(box.payload)
        groups += _content_groups(box.type, file.read(box.size - box.header))
    report.remove(box.type.decode("latin-1"), box.size, *groups)


def _content_groups(kind: bytes, payload: bytes | memoryview) -> list[str]:
    groups = []
    if (kind == b"uuid" and bytes(payload[:16]) == _XMP_UUID) or _XMP_MARK.search(payload):
        groups.append("xmp")
    if _GPS_MARKS.search(payload):
        groups.append("gps")
    return groups


class _Mapping:
    """Old file offset -> new file offset, for offsets inside a kept top-level box."""

    def __init__(self, kept: list[tuple[Box, int]]) -> None:
        kept = sorted(kept, key=lambda item: item[0].start)
        self.starts = np.array([box.start for box, _ in kept], dtype=np.int64)
        self.ends = np.array([box.end for box, _ in kept], dtype=np.int64)
        self.deltas = np.array([new - box.start for box, new in kept], dtype=np.int64)

    def __call__(self, offsets: np.ndarray) -> np.ndarray:
        slot = np.searchsorted(self.starts, offsets, side="right") - 1
        inside = (slot >= 0) & (offsets < self.ends[np.maximum(slot, 0)])
        if not inside.all():
            raise CorruptFile("a chunk offset points outside the kept media data")
        return offsets + self.deltas[slot]

    def one(self, offset: int) -> int:
        slot = bisect_right(self.starts.tolist(), offset) - 1
        if slot < 0 or offset >= self.ends[slot]:
            raise CorruptFile("a fragment offset points outside the kept media data")
        return int(offset + self.deltas[slot])


class _Movie:
    """Rebuilds ``moov`` and remembers where its chunk-offset tables landed."""

    def __init__(self, report: Report, limits: VideoLimits) -> None:
        self.report = report
        self.max_depth = 16
        self.budget = limits.max_boxes
        self.offset_tables: list[tuple[int, bytes]] = []  # (payload position in moov, type)
        self.dropped_tracks: set[int] = set()
        self.zeroed: dict[str, int] = {}
        self.zero_ranges: list[tuple[int, int]] = []  # samples of dropped tracks
        self.max_samples = limits.max_samples
        self.handler = b""  # of the track being rebuilt

    def rebuild_moov(self, payload: bytes) -> bytearray:
        view = memoryview(payload)
        tracks = [b for b in self._children(view, 0, len(view)) if b.type == b"trak"]
        for track in tracks:
            handler, track_id = _handler_and_id(view, track)
            if handler in _DROP_HANDLERS:
                self.dropped_tracks.add(track_id)
                try:
                    self.zero_ranges += chunk_ranges(view, track, self.max_samples)
                except BadBox as exc:
                    raise CorruptFile(f"malformed sample tables: {exc}") from None
        body = self._rebuild(view, 0, len(view), b"moov", 1, 8)
        return bytearray(_header(b"moov", len(body))) + body

    def _children(self, view: memoryview, start: int, end: int) -> list[Box]:
        try:
            found = children(view, start, end)
        except BadBox as exc:
            raise CorruptFile(f"malformed movie header: {exc}") from None
        self.budget -= len(found)
        if self.budget < 0:
            raise DecompressionBomb("too many boxes")
        return found

    def _rebuild(
        self, view: memoryview, start: int, end: int, parent: bytes, depth: int, base: int
    ) -> bytearray:
        """The payload of box ``parent`` without its metadata; ``base``: where it lands in
        the new ``moov`` (to find the chunk-offset tables again)."""
        if depth > self.max_depth:
            raise CorruptFile("movie header nested too deeply")
        out = bytearray()
        for box in self._children(view, start, end):
            kind = box.type
            if kind in _DROP:
                payload = view[box.payload : box.end]
                groups = _DROP[kind] + tuple(_content_groups(kind, payload))
                self.report.remove(
                    f"{parent.decode('latin-1')}/{kind.decode('latin-1')}", box.size, *groups
                )
                continue
            if kind == b"trak":
                handler, track_id = _handler_and_id(view, box)
                self.handler = handler
                if track_id in self.dropped_tracks:
                    self.report.remove(
                        f"trak ({handler.decode('latin-1')})", box.size, _DROP_HANDLERS[handler]
                    )
                    continue
            if kind == b"tref":
                inner = _tref(view, box, self.dropped_tracks)
                if inner:
                    out += _header(kind, len(inner)) + inner
                continue
            if kind in _RECURSE:
                header_len = 8
                inner = self._rebuild(
                    view, box.payload, box.end, kind, depth + 1, base + len(out) + header_len
                )
                out += _header(kind, len(inner)) + inner
                continue
            raw = bytearray(view[box.start : box.end])
            if kind in _TIMED:
                self._zero_times(kind, raw, box.header)
            elif kind == b"stsd" and self.handler == b"vide":
                self._zero_compressor_names(raw, box.header)
            elif kind in (b"stco", b"co64"):
                self.offset_tables.append((base + len(out) + box.header, kind))
            out += raw
        return out

    def _zero_times(self, kind: bytes, raw: bytearray, header: int) -> None:
        """Creation and modification times (ISO/IEC 14496-12 §8.2.2, §8.3.2, §8.4.2)."""
        if len(raw) < header + 12:
            raise CorruptFile(f"{kind.decode()} box too short")
        width = 8 if raw[header] == 1 else 4
        span = slice(header + 4, header + 4 + 2 * width)
        if len(raw) < span.stop:
            raise CorruptFile(f"{kind.decode()} box too short")
        if any(raw[span]):
            name = kind.decode()
            self.zeroed[name] = self.zeroed.get(name, 0) + 1
            self.report.found.add("time")
        raw[span] = bytes(2 * width)

    def _zero_compressor_names(self, raw: bytearray, header: int) -> None:
        """The 32-byte ``compressorname`` of each visual sample entry (§12.1.3: informative;
        it names the encoder software, ExifTool's CompressorName)."""
        try:
            entries = children(memoryview(raw), header + 8, len(raw))
        except BadBox as exc:
            raise CorruptFile(f"malformed sample description: {exc}") from None
        for entry in entries:
            name = slice(entry.payload + 42, entry.payload + 74)
            if entry.size >= 74 + entry.header and any(raw[name]):
                raw[name] = bytes(32)
                self.report.found.add("software")
                self.zeroed["compressorName"] = self.zeroed.get("compressorName", 0) + 1

    def fix_chunk_offsets(self, moov: bytearray, mapping: _Mapping) -> None:
        """Move every ``stco``/``co64`` entry with the media data it points to."""
        for position, kind in self.offset_tables:
            count = struct.unpack_from(">I", moov, position + 4)[0]
            width = 8 if kind == b"co64" else 4
            first = position + 8
            if first + count * width > len(moov):
                raise CorruptFile(f"{kind.decode()} table runs past its box")
            dtype = ">u8" if width == 8 else ">u4"
            offsets = np.frombuffer(moov, dtype=dtype, count=count, offset=first)
            moved = mapping(offsets.astype(np.int64))
            moov[first : first + count * width] = moved.astype(dtype).tobytes()


def _handler_and_id(view: memoryview, track: Box) -> tuple[bytes, int]:
    """A ``trak``'s handler type (``mdia/hdlr``) and track ID (``tkhd``)."""
    handler, track_id = b"", 0
    try:
        for box in children(view, track.payload, track.end):
            if box.type == b"tkhd" and box.size >= box.header + 20:
                version = view[box.payload]
                at = box.payload + (20 if version == 1 else 12)
                track_id = struct.unpack_from(">I", view, at)[0]
            elif box.type == b"mdia":
                for inner in children(view, box.payload, box.end):
                    if inner.type == b"hdlr" and inner.size >= inner.header + 12:
                        handler = bytes(view[inner.payload + 8 : inner.payload + 12])
    except BadBox as exc:
        raise CorruptFile(f"malformed track: {exc}") from None
    return handler, track_id


def _tref(view: memoryview, box: Box, dropped: set[int]) -> bytearray:
    """A ``tref`` payload without references to dropped tracks (empty: drop the box)."""
    out = bytearray()
    for ref in children(view, box.payload, box.end):
        ids = struct.unpack_from(f">{(ref.size - ref.header) // 4}I", view, ref.payload)
        kept = [i for i in ids if i not in dropped]
        if kept:
            out += _header(ref.type, 4 * len(kept)) + struct.pack(f">{len(kept)}I", *kept)
    return out


def _fix_fragment(moof: bytearray, mapping: _Mapping) -> None:
    """``tfhd`` base data offsets (flag 0x000001) are absolute file offsets."""
    view = memoryview(moof)
    for traf in children(view, 8, len(moof)):
        if traf.type != b"traf":
            continue
        for box in children(view, traf.payload, traf.end):
            flags = int.from_bytes(view[box.payload + 1 : box.payload + 4], "big")
            if box.type == b"tfhd" and flags & 1 and box.size >= box.header + 16:
                at = box.payload + 8
                old = struct.unpack_from(">Q", moof, at)[0]
                struct.pack_into(">Q", moof, at, mapping.one(old))
    view.release()


def _fix_tfra(mfra: bytearray, mapping: _Mapping) -> None:
    """``tfra`` entries hold the absolute offset of their ``moof``."""
    view = memoryview(mfra)
    for box in children(view, 8, len(mfra)):
        if box.type != b"tfra" or box.size < box.header + 16:
            continue
        version = view[box.payload]
        sizes = struct.unpack_from(">I", view, box.payload + 8)[0]
        count = struct.unpack_from(">I", view, box.payload + 12)[0]
        wide = 8 if version == 1 else 4
        entry = 2 * wide + ((sizes >> 4) & 3) + ((sizes >> 2) & 3) + (sizes & 3) + 3
        at = box.payload + 16
        for _ in range(count):
            if at + entry > box.end:
                break
            code = ">Q" if wide == 8 else ">I"
            old = struct.unpack_from(code, mfra, at + wide)[0]
            struct.pack_into(code, mfra, at + wide, mapping.one(old))
            at += entry
    view.release()


def _header(kind: bytes, payload_size: int) -> bytes:
    if payload_size + 8 <= 0xFFFFFFFF:
        return struct.pack(">I4s", payload_size + 8, kind)
    return struct.pack(">I4sQ", 1, kind, payload_size + 16)
