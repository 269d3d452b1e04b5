"""HEIC, HEIF and AVIF: remove the Exif and XMP items without re-encoding anything.

In a HEIF file (ISO/IEC 23008-12 §9-10) metadata are items like the coded
images: an ``infe`` entry in ``iinf`` names the item (type ``Exif``, or
``mime`` with content type ``application/rdf+xml`` for XMP), ``iloc`` says
where its bytes are (in ``mdat`` or ``idat``), ``iref`` ties it to the image
it describes (``cdsc``) and ``ipma`` may give it properties. Removing one
means dropping it from those four tables and cutting its bytes out of
``mdat``/``idat``; every other item's ``iloc`` offsets are then moved by the
bytes cut before them and ``mdat``'s size shrinks. The coded image data is
copied untouched. When ``icc`` is not kept the ``colr`` ICC property goes
too (``ipma`` indices renumbered). The ``irot``/``imir`` transforms are how
HEIF states orientation (readers ignore the EXIF tag), so they always stay;
Artist/Copyright are not carried over in HEIF. Top-level boxes other than
``ftyp``, ``etyp``, ``meta`` and ``mdat`` (Samsung's ``sefd`` trailer, which
carries a timestamp and the mobile country code, ``uuid`` blocks, padding) are
removed and listed. Like libheif, every item's
data is taken to be in this file, whatever its ``data_reference_index`` says
(a self-contained ``dref`` entry, in practice). Image sequences (a ``moov``
track with its own chunk offsets) are refused with ``unsupported_format``.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from common.errors import CorruptImage, UnsupportedFormat
from worker.media.containers.bmff import (
    Box,
    Cursor,
    ItemLocations,
    Location,
    associations,
    box_bytes,
    box_name,
    boxes,
    iinf_entries,
    item_infos,
    property_index,
)

from .exif import Retained, read_exif
from .report import Report

# The top-level boxes a HEIF reader needs (``moov`` sequences are refused); the rest go.
NEEDED = frozenset({b"ftyp", b"etyp", b"meta", b"mdat"})
PADDING = frozenset({b"free", b"skip"})
ICC_COLOURS = (b"prof", b"rICC")

Cut = tuple[int, int, bytes]  # replace data[start:end] with bytes


@dataclass
class _Meta:
    """The parsed parts of the top-level ``meta`` box that removal touches."""

    box: Box
    children: list[Box]
    locations: ItemLocations
    removed: dict[int, str] = field(default_factory=dict)  # item id -> its kind ("Exif", "XMP")
    dropped_properties: set[int] = field(default_factory=set)  # 1-based ipco indices

    def child(self, kind: bytes) -> Box | None:
        return next((box for box in self.children if box.type == kind), None)


def strip(data: bytes, keep: frozenset[str], report: Report) -> bytes:
    """The HEIF file without Exif/XMP items (and the ICC property unless kept)."""
    top = boxes(data, 0, len(data))
    if any(box.type == b"moov" for box in top):
        raise UnsupportedFormat("HEIF image sequences (with a moov track) cannot be stripped")
    metas = [box for box in top if box.type == b"meta"]
    if len(metas) != 1:
        raise CorruptImage(f"HEIF file has {len(metas)} top-level meta boxes, expected 1")
    meta = _parse_meta(data, metas[0])
    vendor = _vendor_boxes(top, meta, report)
    if meta is None:
        return _apply(memoryview(data), [(b.start, b.end, b"") for b in vendor])
    for item_id, kind in meta.removed.items():
        _report_item(data, meta, item_id, kind, report)
    _find_icc(data, meta, keep, report)
    if not meta.removed and not meta.dropped_properties and not vendor:
        return data
    return _rewrite(data, top, meta, [(b.start, b.end, b"") for b in vendor])


def _vendor_boxes(top: list[Box], meta: _Meta | None, report: Report) -> list[Box]:
    """The top-level boxes decoding does not need (Samsung's ``sefd`` trailer with its time
    and place, ``uuid`` blocks, padding), recorded as removed; one that an item's data lies
    in stays."""
    spans = _spans(meta.locations.locations, 0) if meta else []
    found = []
    for box in top:
        if box.type in NEEDED or any(s < box.end and box.start < e for s, e in spans):
            continue
        groups = () if box.type in PADDING else ("vendor",)
        report.remove(f"box {box_name(box.type)}", box.end - box.start, *groups)
        found.append(box)
    return found


def _parse_meta(data: bytes, box: Box) -> _Meta | None:
    """The meta box's tables, or ``None`` when it has no items at all."""
    children = boxes(data, box.body + 4, box.end)
    kinds = [child.type for child in children]
    if kinds.count(b"iinf") > 1 or kinds.count(b"iloc") > 1:
        raise CorruptImage("HEIF meta box has more than one iinf or iloc box")
    if b"iinf" not in kinds:
        return None
    if b"iloc" not in kinds:
        raise CorruptImage("HEIF meta box lists items but has no iloc box")
    iloc = next(child for child in children if child.type == b"iloc")
    meta = _Meta(box, children, ItemLocations.parse(data, iloc))
    infos = item_infos(data, meta.child(b"iinf"))
    ids = [info[0] for info in infos]
    if len(set(ids)) != len(ids):
        raise CorruptImage("HEIF iinf lists the same item ID twice")
    for item_id, item_type, content_type in infos:
        if item_type == b"Exif":
            meta.removed[item_id] = "Exif"
        elif b"xml" in content_type.lower():  # XMP (``application/rdf+xml``), as extract reads
            meta.removed[item_id] = "XMP"
    return meta


def _report_item(data: bytes, meta: _Meta, item_id: int, kind: str, report: Report) -> None:
    """Record a removed item and the groups its bytes hold."""
    payload = b"".join(data[start:end] for start, end in _extents(data, meta, item_id))
    groups = {"xmp"}
    if kind == "Exif":
        skip = int.from_bytes(payload[:4], "big") if len(payload) >= 4 else len(payload)
        credits = Retained()
        groups = read_exif(payload[4 + skip :], credits) | {"exif"}
        if credits.artist or credits.copyright:
            groups.add("copyright")  # not carried over in HEIF
    report.remove(f"item {kind}", len(payload), *groups)


def _extents(data: bytes, meta: _Meta, item_id: int) -> list[tuple[int, int]]:
    """The file ranges holding an item's bytes (clipped to the file; method 2 has none)."""
    idat = meta.child(b"idat")
    ranges = []
    for loc in meta.locations.locations:
        if loc.item_id != item_id:
            continue
        origin = 0 if loc.method == 0 else idat.body if loc.method == 1 and idat else None
        limit = len(data) if loc.method == 0 else idat.end if origin is not None else 0
        for _index, offset, length in loc.extents if origin is not None else ():
            start = origin + loc.base + offset
            ranges.append((min(start, limit), min(start + length if length else limit, limit)))
    return ranges


def _find_icc(data: bytes, meta: _Meta, keep: frozenset[str], report: Report) -> None:
    """Note the ``colr`` ICC properties; mark them for removal unless ``icc`` is kept."""
    iprp = meta.child(b"iprp")
    ipco = (
        next((b for b in boxes(data, iprp.body, iprp.end) if b.type == b"ipco"), None)
        if iprp
        else None
    )
    for index, prop in enumerate(boxes(data, ipco.body, ipco.end) if ipco else (), start=1):
        if prop.type == b"colr" and data[prop.body : prop.body + 4] in ICC_COLOURS:
            if "icc" in keep:
                report.keep("icc")
            else:
                report.remove("property colr ICC", prop.end - prop.start, "icc")
                meta.dropped_properties.add(index)


def _rewrite(data: bytes, top: list[Box], meta: _Meta, box_cuts: list[Cut]) -> bytes:
    """Apply the removal: a new meta box, removed bytes cut from mdat, top-level boxes
    ``box_cuts`` cut, offsets moved."""
    kept = [loc for loc in meta.locations.locations if loc.item_id not in meta.removed]
    mdat_cuts = _mdat_cuts(data, top, meta, kept) + box_cuts
    idat_cuts = _idat_cuts(meta, kept)
    draft = _meta_bytes(data, meta, kept, lambda x: x, idat_cuts)
    cuts = sorted([*mdat_cuts, (meta.box.start, meta.box.end, draft)])
    moved = _mover(cuts)
    final = _meta_bytes(data, meta, kept, moved, idat_cuts)
    if len(final) != len(draft):
        raise CorruptImage("HEIF meta box changed size while relocating offsets")
    cuts = sorted([*mdat_cuts, (meta.box.start, meta.box.end, final)])
    return _apply(memoryview(data), cuts)


def _mdat_cuts(data: bytes, top: list[Box], meta: _Meta, kept: list[Location]) -> list[Cut]:
    """Cuts removing the removed items' bytes from top-level mdat boxes, with the sizes fixed."""
    mdats = [box for box in top if box.type == b"mdat"]
    removed: dict[Box, list[tuple[int, int]]] = {}
    for start, end in _removable(meta, kept, method=0):
        box = next((b for b in mdats if b.body <= start and end <= b.end), None)
        if box:
            removed.setdefault(box, []).append((start, end))
    cuts: list[Cut] = []
    for box, ranges in removed.items():
        merged = _merge(ranges)
        cuts += [(start, end, b"") for start, end in merged]
        size = box.end - box.start - sum(end - start for start, end in merged)
        if struct.unpack_from(">L", data, box.start)[0] != 0:  # size 0 ("to the end") needs no fix
            header = data[box.start : box.body]
            if box.body - box.start == 16:
                new_header = header[:8] + struct.pack(">Q", size)
            else:
                new_header = struct.pack(">L", size) + header[4:]
            cuts.append((box.start, box.body, new_header))
    return cuts


def _idat_cuts(meta: _Meta, kept: list[Location]) -> list[Cut]:
    """Cuts, in idat-payload coordinates, removing the removed items' bytes stored in idat."""
    return [(start, end, b"") for start, end in _merge(_removable(meta, kept, method=1))]


def _removable(meta: _Meta, kept: list[Location], method: int) -> list[tuple[int, int]]:
    """The spans of removed items stored with ``method`` that no kept item's span overlaps
    (an item running "to the end" stays where it is: only its table entries go)."""
    keep = _spans(kept, method)
    removed = [loc for loc in meta.locations.locations if loc.item_id in meta.removed]
    return [
        (start, end)
        for start, end in _spans(removed, method)
        if start < end < sys.maxsize and not any(s < end and start < e for s, e in keep)
    ]


def _spans(locations: list[Location], method: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each extent stored with ``method``; length 0 means "to the end"."""
    return [
        (loc.base + offset, loc.base + offset + length if length else sys.maxsize)
        for loc in locations
        if loc.method == method
        for _index, offset, length in loc.extents
    ]


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mover(cuts: list[Cut]) -> Callable[[int], int]:
    """Where an offset of the input lands in the output, given sorted, disjoint cuts."""

    def move(offset: int) -> int:
        shift = 0
        for start, end, new in cuts:
            if end <= offset:
                shift += len(new) - (end - start)
            elif start < offset:
                raise UnsupportedFormat("an item's data lies inside a HEIF box being rewritten")
        return offset + shift

    return move


def _apply(view: memoryview, cuts: list[Cut]) -> bytes:
    pieces: list[bytes | memoryview] = []
    pos = 0
    for start, end, new in cuts:
        pieces += [view[pos:start], new]
        pos = end
    pieces.append(view[pos:])
    return b"".join(pieces)


def _meta_bytes(
    data: bytes,
    meta: _Meta,
    kept: list[Location],
    move: Callable[[int], int],
    idat_cuts: list[Cut],
) -> bytes:
    """The new meta box: tables without the removed items, offsets moved by ``move``."""
    move_in_idat = _mover(idat_cuts)
    locations = [_relocate(loc, move, move_in_idat) for loc in kept]
    iloc = meta.locations
    parts = []
    for box in meta.children:
        if box.type == b"iloc":
            parts.append(ItemLocations(**{**iloc.__dict__, "locations": locations}).to_bytes())
        elif box.type == b"iinf":
            parts.append(_iinf(data, box, meta.removed))
        elif box.type == b"iref":
            parts.append(_iref(data, box, meta.removed))
        elif box.type == b"iprp":
            parts.append(_iprp(data, box, meta))
        elif box.type == b"idat":
            payload = _apply(memoryview(data)[box.body : box.end], idat_cuts)
            parts.append(box_bytes(b"idat", payload))
        else:
            parts.append(data[box.start : box.end])
    return box_bytes(b"meta", data[meta.box.body : meta.box.body + 4] + b"".join(parts))


def _relocate(loc: Location, move: Callable[[int], int], move_in_idat: Callable) -> Location:
    """The location with offsets moved (file offsets for method 0, idat offsets for method 1)."""
    if loc.method not in (0, 1):
        return loc
    mover = move if loc.method == 0 else move_in_idat
    base = mover(loc.base)
    extents = [
        (index, mover(loc.base + offset) - base, length) for index, offset, length in loc.extents
    ]
    return Location(loc.item_id, loc.method, loc.data_reference, base, extents)


def _iinf(data: bytes, box: Box, removed: dict[int, str]) -> bytes:
    header, entries = iinf_entries(data, box)
    infos = item_infos(data, box)
    kept = [
        data[e.start : e.end]
        for e, info in zip(entries, infos, strict=True)
        if info[0] not in removed
    ]
    count = len(kept).to_bytes(2 if header[0] == 0 else 4, "big")
    return box_bytes(b"iinf", header + count + b"".join(kept))


def _iref(data: bytes, box: Box, removed: dict[int, str]) -> bytes:
    """``iref`` without references from removed items or to them (§8.11.12)."""
    header = data[box.body : box.body + 4]
    width = 2 if header[0] == 0 else 4
    kept = []
    for ref in boxes(data, box.body + 4, box.end):
        read = Cursor(data, ref.body, ref.end)
        source = read.uint(width)
        targets = [read.uint(width) for _ in range(read.uint(2))]
        targets = [target for target in targets if target not in removed]
        if source in removed or not targets:
            continue
        payload = source.to_bytes(width, "big") + len(targets).to_bytes(2, "big")
        kept.append(
            box_bytes(ref.type, payload + b"".join(t.to_bytes(width, "big") for t in targets))
        )
    return box_bytes(b"iref", header + b"".join(kept))


def _iprp(data: bytes, box: Box, meta: _Meta) -> bytes:
    """``iprp`` without dropped properties and without associations of removed items."""
    parts = []
    for child in boxes(data, box.body, box.end):
        if child.type == b"ipco":
            props = boxes(data, child.body, child.end)
            parts.append(
                box_bytes(
                    b"ipco",
                    b"".join(
                        data[p.start : p.end]
                        for index, p in enumerate(props, start=1)
                        if index not in meta.dropped_properties
                    ),
                )
            )
        elif child.type == b"ipma":
            parts.append(_ipma(data, child, meta))
        else:
            parts.append(data[child.start : child.end])
    return box_bytes(b"iprp", b"".join(parts))


def _ipma(data: bytes, box: Box, meta: _Meta) -> bytes:
    """``ipma`` (§9.3.1 of 23008-12) without removed items, property indices renumbered."""
    version, flags, items = associations(data, box)
    id_width, index_width = (2 if version < 1 else 4), (2 if flags & 1 else 1)
    dropped = sorted(meta.dropped_properties)
    entries = []
    for item_id, values in items:
        if item_id in meta.removed:
            continue
        renumbered = []
        for value in values:
            index = property_index(value, flags)
            if index not in meta.dropped_properties:
                renumbered.append(value - sum(d < index for d in dropped))
        entries.append(
            item_id.to_bytes(id_width, "big")
            + bytes([len(renumbered)])
            + b"".join(value.to_bytes(index_width, "big") for value in renumbered)
        )
    header = data[box.body : box.body + 4] + len(entries).to_bytes(4, "big")
    return box_bytes(b"ipma", header + b"".join(entries))
