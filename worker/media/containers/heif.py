"""HEIC, HEIF and AVIF (ISO/IEC 23008-12, AV1 Image File Format): the metadata of a ``meta`` box.

Metadata are items: an ``infe`` entry in ``iinf`` names each (type ``Exif``, or
``mime`` with an XML content type for XMP) and ``iloc`` says where its bytes
are. The primary item's properties (``iprp``/``ipco``, associated by ``ipma``)
give the stored size (``ispe``), the colour profile (``colr``), the transforms
(``irot``, ``imir``) and the bit depth (``pixi``). The walk is lenient: a box
or table that does not fit is skipped and ``truncated`` is set.
"""

from __future__ import annotations

import struct

from common.errors import CorruptImage

from .blocks import Blocks
from .bmff import Box, Cursor, ItemLocations, associations, boxes, item_infos, property_index
from .limits import MAX_ITEMS


def read(data: bytes) -> Blocks:
    """The metadata of an ISO BMFF image (lenient)."""
    blocks = Blocks()
    for box in boxes(data, 0, len(data), strict=False):
        blocks.truncated |= box.truncated
        if box.type == b"ftyp" and box.end - box.body >= 4:
            blocks.info["brand"] = bytes(data[box.body : box.body + 4])
        elif box.type == b"meta":
            _meta(data, box, blocks)
    return blocks


def _meta(data: bytes, meta: Box, blocks: Blocks) -> None:
    items: list[tuple[int, bytes, bytes]] = []
    locations: dict[int, list[tuple[int, int]]] = {}
    props: list[Box] = []
    assoc: dict[int, list[int]] = {}
    primary = None
    for box in boxes(data, meta.body + 4, meta.end, strict=False):
        blocks.truncated |= box.truncated
        try:
            if box.type == b"pitm":
                read = Cursor(data, box.body, box.end)
                primary = read.uint(2 if read.uint(4) >> 24 == 0 else 4)
            elif box.type == b"iinf":
                items = item_infos(data, box, strict=False)
            elif box.type == b"iloc":
                locations = _locations(data, box)
            elif box.type == b"iprp":
                props, assoc = _properties(data, box)
        except CorruptImage:
            blocks.truncated = True
    blocks.info["primary_item"] = primary
    _items(data, items, locations, blocks)
    for index in assoc.get(primary, []) if primary is not None else []:
        if 0 < index <= len(props):
            _property(data, props[index - 1], blocks.info, blocks)


def _locations(data: bytes, iloc: Box) -> dict[int, list[tuple[int, int]]]:
    """Item id -> its file ranges ``(offset, length)``, for items stored by file offset."""
    found = {}
    for loc in ItemLocations.parse(data, iloc).locations:
        if loc.method == 0:
            found[loc.item_id] = [(loc.base + off, length) for _, off, length in loc.extents]
    return found


def _properties(data: bytes, iprp: Box) -> tuple[list[Box], dict[int, list[int]]]:
    props: list[Box] = []
    assoc: dict[int, list[int]] = {}
    for box in boxes(data, iprp.body, iprp.end, strict=False):
        if box.type == b"ipco":
            props = boxes(data, box.body, box.end, strict=False)
        elif box.type == b"ipma":
            _, flags, entries = associations(data, box)
            assoc = {item: [property_index(v, flags) for v in values] for item, values in entries}
    return props, assoc


def _items(
    data: bytes,
    items: list[tuple[int, bytes, bytes]],
    locations: dict[int, list[tuple[int, int]]],
    blocks: Blocks,
) -> None:
    budget = MAX_ITEMS
    for item_id, item_type, content_type in items:
        extents = locations.get(item_id)
        xmp = item_type == b"mime" and b"xml" in content_type
        if not extents or not (item_type == b"Exif" or xmp) or budget == 0:
            continue
        budget -= 1
        body = b"".join(
            data[o : o + length if length else len(data)]
            for o, length in extents
            if o + length <= len(data)
        )
        if xmp:
            blocks.xmp.append(body)
        elif len(body) > 4:
            (skip,) = struct.unpack(">I", body[:4])
            tiff = body[4 + skip :]
            if tiff[:6] == b"Exif\x00\x00":
                tiff = tiff[6:]
            blocks.exif.append((tiff, extents[0][0] + 4 + skip))


def _property(data: bytes, prop: Box, info: dict, blocks: Blocks) -> None:
    s, e = prop.body, prop.end
    if prop.type == b"ispe" and e - s >= 12:
        info["width"], info["height"] = struct.unpack(">II", data[s + 4 : s + 12])
    elif prop.type == b"colr" and e - s >= 4:
        ctype = data[s : s + 4]
        if ctype in (b"prof", b"rICC"):
            blocks.icc = data[s + 4 : e]
        elif ctype == b"nclx":
            info["nclx"] = True
    elif prop.type == b"irot" and e > s:
        info["irot"] = data[s] & 3
    elif prop.type == b"imir" and e > s:
        info["imir"] = data[s] & 1
    elif prop.type == b"pixi" and e - s >= 5:
        channels = data[s + 4]
        info["pixi"] = list(data[s + 5 : s + 5 + channels])
