"""Maker-note specifics: offset-base repair, IFD location and the makers' encodings.

Most maker notes are plain IFDs or binary blocks that :mod:`.exif` reads straight
from the generated tables (the makers' header signatures, start offsets and byte
orders are in ExifTool's ``MakerNotes::Main`` list, generated with the rest).
What needs code is here, following ExifTool's ``MakerNotes.pm``, ``Nikon.pm`` and
``Sony.pm``:

* :func:`fix_base` - Canon writes an 8-byte TIFF footer holding the maker note's
  original offset; when an editor moved the block, value offsets are re-based.
* :func:`locate_ifd` - maker notes whose IFD position must be searched for
  (a TIFF header or a plausible entry count in the first 32 bytes).
* Nikon ``ShotInfo``/``LensData``/... are XOR-encrypted with a key stream seeded by
  the camera serial number and shutter count (the two 256-byte tables below were
  published with Dave Coffin's dcraw and are used the same way by ExifTool and exiv2).
* Sony ``0x9xxx`` and ``0x2010`` blocks use a byte substitution cipher: each byte
  ``b < 249`` is stored as ``b**3 % 249``.
"""

from __future__ import annotations

import re
import struct
from dataclasses import replace
from typing import TYPE_CHECKING

from . import perl as P
from .tabletypes import Table

if TYPE_CHECKING:
    from .exif import DirInfo, ExifReader


# ------------------------------------------------------------------ base fix


def fix_base(reader: ExifReader, info: DirInfo) -> DirInfo:
    """ExifTool's ``FixBase`` for the Canon footer case (the only one it applies silently)."""
    if info.entry_based or not reader.state.get("Make", "").startswith("Canon"):
        return info
    if info.dir_len <= 8:
        return info
    footer_pos = info.dir_start + info.dir_len - 8
    footer = info.data[footer_pos : footer_pos + 8]
    if len(footer) < 8 or footer[:4] not in (b"II*\x00", b"MM\x00*"):
        return info
    if (footer[:2] == b"II") != (info.order == "<"):
        return info
    old_offset = struct.unpack_from(info.order + "I", footer, 4)[0]
    new_offset = info.dir_start + info.data_pos
    fix = new_offset - old_offset
    if not fix:
        return info
    # Picasa and ACDSee update the other offsets but not the footer: if the last
    # value already ends at the footer, the offsets are right and the footer is stale.
    max_end = _last_value_end(info)
    if max_end is not None:
        end_diff = info.dir_start + info.dir_len - (max_end - info.data_pos) - 8
        if end_diff in (0, 1):
            reader.store.warn("Canon maker note footer may be invalid (ignored)", minor=True)
            return info
    reader.store.warn(f"Adjusted MakerNotes base by {fix}", minor=True)
    return replace(info, base=info.base + fix, data_pos=info.data_pos - fix)


def _last_value_end(info: DirInfo) -> int | None:
    from .valueformats import FORMAT_SIZE, TYPE_NAMES

    data, order = info.data, info.order
    num = struct.unpack_from(order + "H", data, info.dir_start)[0]
    best = None
    for i in range(num):
        entry = info.dir_start + 2 + 12 * i
        if entry + 12 > len(data):
            break
        _, fmt_code, count = struct.unpack_from(order + "HHI", data, entry)
        fmt = TYPE_NAMES.get(fmt_code)
        if fmt is None:
            continue
        size = count * FORMAT_SIZE[fmt]
        if size <= 4:
            continue
        ptr = struct.unpack_from(order + "I", data, entry + 8)[0]
        end = ptr + size
        if best is None or end > best:
            best = end
    return best


# ------------------------------------------------------------------ unknown IFD location


def locate_ifd(reader: ExifReader, info: DirInfo) -> DirInfo | None:
    """ExifTool's ``LocateIFD``: find the IFD in the first 32 bytes of a maker note."""
    data = info.data
    size = len(data) - info.dir_start
    dir_len = info.dir_len
    for offset in range(0, 33, 2):
        if offset + 14 > dir_len:
            break
        pos = info.dir_start + offset
        head = data[pos : pos + 4]
        if head in (b"II*\x00", b"MM\x00*"):
            order = "<" if head[:2] == b"II" else ">"
            ptr = struct.unpack_from(order + "I", data, pos + 4)[0]
            if ptr >= 8 and ptr + offset + 14 <= dir_len:
                shift = info.data_pos + info.dir_start + offset
                return replace(
                    info,
                    dir_start=info.dir_start + ptr + offset,
                    dir_len=dir_len - ptr - offset,
                    base=info.base + shift,
                    data_pos=info.data_pos - shift,
                    order=order,
                )
        order = info.order
        num = struct.unpack_from(order + "H", data, pos)[0]
        if not num:
            continue
        if not num & 0xFF:
            order = ">" if order == "<" else "<"
            num >>= 8
        elif num & 0xFF00:
            continue
        from_end = size - (offset + 2 + 12 * num)
        if from_end < 4 and from_end not in (0, 2):
            continue
        if _plausible_entries(data, pos, num, order):
            return replace(info, dir_start=pos, dir_len=dir_len - offset, order=order)
    return None


def _plausible_entries(data: bytes, pos: int, num: int, order: str) -> bool:
    for i in range(num):
        entry = pos + 2 + 12 * i
        if entry + 12 > len(data):
            return False
        fmt, count = struct.unpack_from(order + "HI", data, entry + 2)
        if not fmt:
            if count or i == 0:
                return False
            continue
        if fmt > 13 or count & 0xFF000000:
            return False
    return True


def _process_unknown(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    located = locate_ifd(reader, info)
    if located is None:
        reader.store.warn(f"Unrecognized {info.dir_name}", minor=True)
        return False
    return reader.process_ifd(located, table)


def _process_unknown_or_preview(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    if info.data[info.dir_start : info.dir_start + 3] == b"\xff\xd8\xff":
        return False  # a bare JPEG preview, not tags
    return _process_unknown(reader, info, table)


def _process_exif(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    return reader.process_ifd(info, table)


# ------------------------------------------------------------------ Nikon

# Nikon decryption key tables (from dcraw; identical in ExifTool Nikon.pm and exiv2).
_NIKON_XLAT = (
    bytes(
        (
            0xC1,
            0xBF,
            0x6D,
            0x0D,
            0x59,
            0xC5,
            0x13,
            0x9D,
            0x83,
            0x61,
            0x6B,
            0x4F,
            0xC7,
            0x7F,
            0x3D,
            0x3D,
            0x53,
            0x59,
            0xE3,
            0xC7,
            0xE9,
            0x2F,
            0x95,
            0xA7,
            0x95,
            0x1F,
            0xDF,
            0x7F,
            0x2B,
            0x29,
            0xC7,
            0x0D,
            0xDF,
            0x07,
            0xEF,
            0x71,
            0x89,
            0x3D,
            0x13,
            0x3D,
            0x3B,
            0x13,
            0xFB,
            0x0D,
            0x89,
            0xC1,
            0x65,
            0x1F,
            0xB3,
            0x0D,
            0x6B,
            0x29,
            0xE3,
            0xFB,
            0xEF,
            0xA3,
            0x6B,
            0x47,
            0x7F,
            0x95,
            0x35,
            0xA7,
            0x47,
            0x4F,
            0xC7,
            0xF1,
            0x59,
            0x95,
            0x35,
            0x11,
            0x29,
            0x61,
            0xF1,
            0x3D,
            0xB3,
            0x2B,
            0x0D,
            0x43,
            0x89,
            0xC1,
            0x9D,
            0x9D,
            0x89,
            0x65,
            0xF1,
            0xE9,
            0xDF,
            0xBF,
            0x3D,
            0x7F,
            0x53,
            0x97,
            0xE5,
            0xE9,
            0x95,
            0x17,
            0x1D,
            0x3D,
            0x8B,
            0xFB,
            0xC7,
            0xE3,
            0x67,
            0xA7,
            0x07,
            0xF1,
            0x71,
            0xA7,
            0x53,
            0xB5,
            0x29,
            0x89,
            0xE5,
            0x2B,
            0xA7,
            0x17,
            0x29,
            0xE9,
            0x4F,
            0xC5,
            0x65,
            0x6D,
            0x6B,
            0xEF,
            0x0D,
            0x89,
            0x49,
            0x2F,
            0xB3,
            0x43,
            0x53,
            0x65,
            0x1D,
            0x49,
            0xA3,
            0x13,
            0x89,
            0x59,
            0xEF,
            0x6B,
            0xEF,
            0x65,
            0x1D,
            0x0B,
            0x59,
            0x13,
            0xE3,
            0x4F,
            0x9D,
            0xB3,
            0x29,
            0x43,
            0x2B,
            0x07,
            0x1D,
            0x95,
            0x59,
            0x59,
            0x47,
            0xFB,
            0xE5,
            0xE9,
            0x61,
            0x47,
            0x2F,
            0x35,
            0x7F,
            0x17,
            0x7F,
            0xEF,
            0x7F,
            0x95,
            0x95,
            0x71,
            0xD3,
            0xA3,
            0x0B,
            0x71,
            0xA3,
            0xAD,
            0x0B,
            0x3B,
            0xB5,
            0xFB,
            0xA3,
            0xBF,
            0x4F,
            0x83,
            0x1D,
            0xAD,
            0xE9,
            0x2F,
            0x71,
            0x65,
            0xA3,
            0xE5,
            0x07,
            0x35,
            0x3D,
            0x0D,
            0xB5,
            0xE9,
            0xE5,
            0x47,
            0x3B,
            0x9D,
            0xEF,
            0x35,
            0xA3,
            0xBF,
            0xB3,
            0xDF,
            0x53,
            0xD3,
            0x97,
            0x53,
            0x49,
            0x71,
            0x07,
            0x35,
            0x61,
            0x71,
            0x2F,
            0x43,
            0x2F,
            0x11,
            0xDF,
            0x17,
            0x97,
            0xFB,
            0x95,
            0x3B,
            0x7F,
            0x6B,
            0xD3,
            0x25,
            0xBF,
            0xAD,
            0xC7,
            0xC5,
            0xC5,
            0xB5,
            0x8B,
            0xEF,
            0x2F,
            0xD3,
            0x07,
            0x6B,
            0x25,
            0x49,
            0x95,
            0x25,
            0x49,
            0x6D,
            0x71,
            0xC7,
        )
    ),
    bytes(
        (
            0xA7,
            0xBC,
            0xC9,
            0xAD,
            0x91,
            0xDF,
            0x85,
            0xE5,
            0xD4,
            0x78,
            0xD5,
            0x17,
            0x46,
            0x7C,
            0x29,
            0x4C,
            0x4D,
            0x03,
            0xE9,
            0x25,
            0x68,
            0x11,
            0x86,
            0xB3,
            0xBD,
            0xF7,
            0x6F,
            0x61,
            0x22,
            0xA2,
            0x26,
            0x34,
            0x2A,
            0xBE,
            0x1E,
            0x46,
            0x14,
            0x68,
            0x9D,
            0x44,
            0x18,
            0xC2,
            0x40,
            0xF4,
            0x7E,
            0x5F,
            0x1B,
            0xAD,
            0x0B,
            0x94,
            0xB6,
            0x67,
            0xB4,
            0x0B,
            0xE1,
            0xEA,
            0x95,
            0x9C,
            0x66,
            0xDC,
            0xE7,
            0x5D,
            0x6C,
            0x05,
            0xDA,
            0xD5,
            0xDF,
            0x7A,
            0xEF,
            0xF6,
            0xDB,
            0x1F,
            0x82,
            0x4C,
            0xC0,
            0x68,
            0x47,
            0xA1,
            0xBD,
            0xEE,
            0x39,
            0x50,
            0x56,
            0x4A,
            0xDD,
            0xDF,
            0xA5,
            0xF8,
            0xC6,
            0xDA,
            0xCA,
            0x90,
            0xCA,
            0x01,
            0x42,
            0x9D,
            0x8B,
            0x0C,
            0x73,
            0x43,
            0x75,
            0x05,
            0x94,
            0xDE,
            0x24,
            0xB3,
            0x80,
            0x34,
            0xE5,
            0x2C,
            0xDC,
            0x9B,
            0x3F,
            0xCA,
            0x33,
            0x45,
            0xD0,
            0xDB,
            0x5F,
            0xF5,
            0x52,
            0xC3,
            0x21,
            0xDA,
            0xE2,
            0x22,
            0x72,
            0x6B,
            0x3E,
            0xD0,
            0x5B,
            0xA8,
            0x87,
            0x8C,
            0x06,
            0x5D,
            0x0F,
            0xDD,
            0x09,
            0x19,
            0x93,
            0xD0,
            0xB9,
            0xFC,
            0x8B,
            0x0F,
            0x84,
            0x60,
            0x33,
            0x1C,
            0x9B,
            0x45,
            0xF1,
            0xF0,
            0xA3,
            0x94,
            0x3A,
            0x12,
            0x77,
            0x33,
            0x4D,
            0x44,
            0x78,
            0x28,
            0x3C,
            0x9E,
            0xFD,
            0x65,
            0x57,
            0x16,
            0x94,
            0x6B,
            0xFB,
            0x59,
            0xD0,
            0xC8,
            0x22,
            0x36,
            0xDB,
            0xD2,
            0x63,
            0x98,
            0x43,
            0xA1,
            0x04,
            0x87,
            0x86,
            0xF7,
            0xA6,
            0x26,
            0xBB,
            0xD6,
            0x59,
            0x4D,
            0xBF,
            0x6A,
            0x2E,
            0xAA,
            0x2B,
            0xEF,
            0xE6,
            0x78,
            0xB6,
            0x4E,
            0xE0,
            0x2F,
            0xDC,
            0x7C,
            0xBE,
            0x57,
            0x19,
            0x32,
            0x7E,
            0x2A,
            0xD0,
            0xB8,
            0xBA,
            0x29,
            0x00,
            0x3C,
            0x52,
            0x7D,
            0xA8,
            0x49,
            0x3B,
            0x2D,
            0xEB,
            0x25,
            0x49,
            0xFA,
            0xA3,
            0xAA,
            0x39,
            0xA7,
            0xC5,
            0xA7,
            0x50,
            0x11,
            0x36,
            0xFB,
            0xC6,
            0x67,
            0x4A,
            0xF5,
            0xA5,
            0x12,
            0x65,
            0x7E,
            0xB0,
            0xDF,
            0xAF,
            0x4E,
            0xB3,
            0x61,
            0x7F,
            0x2F,
        )
    ),
)


def nikon_decrypt(data: bytes, start: int, length: int, serial: int, count: int) -> bytes:
    """XOR ``data[start:start+length]`` with Nikon's key stream (symmetric)."""
    key = 0
    for shift in (0, 8, 16, 24):
        key ^= (count >> shift) & 0xFF
    ci = _NIKON_XLAT[0][serial & 0xFF]
    cj = _NIKON_XLAT[1][key]
    ck = 0x60
    out = bytearray(data)
    end = min(len(data), start + max(0, length))
    for i in range(start, end):
        cj = (cj + ci * ck) & 0xFF
        ck = (ck + 1) & 0xFF
        out[i] ^= cj
    return bytes(out)


def _prescan(reader: ExifReader, info: DirInfo, wanted: tuple[int, ...]) -> dict[int, object]:
    """Read a few raw values of an IFD before processing it (ExifTool's ``PrescanExif``)."""
    from .valueformats import FORMAT_SIZE, TYPE_NAMES, read_value

    data, order = info.data, info.order
    found: dict[int, object] = {}
    if info.dir_start < 0 or info.dir_start + 2 > len(data):
        return found
    num = struct.unpack_from(order + "H", data, info.dir_start)[0]
    for i in range(num):
        entry = info.dir_start + 2 + 12 * i
        if entry + 12 > len(data):
            break
        tag_id, fmt_code, count = struct.unpack_from(order + "HHI", data, entry)
        if tag_id not in wanted:
            continue
        fmt = TYPE_NAMES.get(fmt_code)
        if fmt is None:
            continue
        size = count * FORMAT_SIZE[fmt]
        ptr = entry + 8
        if size > 4:
            ptr = struct.unpack_from(order + "I", data, ptr)[0] - info.data_pos
        found[tag_id] = read_value(data, ptr, fmt, count, order)
    return found


def _process_nikon(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    values = _prescan(reader, info, (0x001D, 0x00A7))
    serial = values.get(0x001D)
    serial_text = P.pstr(serial).strip() if serial is not None else None
    if serial_text is not None and not serial_text.isdigit():
        serial_text = "34" if reader.state.get("Model", "").endswith("D50") else "96"
    reader.state["NikonSerialKey"] = serial_text
    reader.state["NikonCountKey"] = values.get(0x00A7)
    try:
        return reader.process_ifd(info, table)
    finally:
        reader.state.pop("NikonSerialKey", None)
        reader.state.pop("NikonCountKey", None)


def _process_nikon_encrypted(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    serial = reader.state.get("NikonSerialKey")
    count = reader.state.get("NikonCountKey")
    if serial is None or count is None or not str(serial).isdigit() or not str(count).isdigit():
        if serial is not None or count is not None:
            reader.store.warn("Can't decrypt Nikon information")
        return False
    sub = info.subdir
    start = 0
    length = None
    offset = 0
    order = info.order
    if sub is not None:
        start = int(P.num(sub.decrypt_start)) if isinstance(sub.decrypt_start, int) else 0
        if sub.decrypt_len is not None and isinstance(sub.decrypt_len, int):
            length = sub.decrypt_len
        if sub.byte_order:
            order = "<" if sub.byte_order.lower().startswith("little") else ">"
    block = info.data[info.dir_start : info.dir_start + info.dir_len]
    max_len = len(block) - start
    if length is None or length > max_len:
        length = max_len
    plain = nikon_decrypt(block, start, length, int(serial), int(count))
    child = replace(
        info,
        data=plain,
        dir_start=offset,
        dir_len=len(plain) - offset,
        data_pos=info.data_pos + info.dir_start,
        order=order,
    )
    return reader.process_binary(child, table)


# ------------------------------------------------------------------ Sony


def _sony_decipher_table() -> bytes:
    table = list(range(256))
    seen = set()
    for b in range(2, 248):
        c = (b * b * b) % 249
        if c not in seen:
            table[c] = b
            seen.add(c)
    return bytes(table)


_SONY_DECIPHER = _sony_decipher_table()


def sony_decipher(data: bytes) -> bytes:
    return data.translate(_SONY_DECIPHER)


def _process_enciphered(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    block = info.data[info.dir_start : info.dir_start + info.dir_len]
    child = replace(
        info,
        data=sony_decipher(block),
        dir_start=0,
        dir_len=len(block),
        data_pos=info.data_pos + info.dir_start,
    )
    return reader.process_binary(child, table)


# ------------------------------------------------------------------ Canon serial data


def _process_serial_data(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    """ExifTool's ``Canon::ProcessSerialData``: consecutive fields whose counts depend on
    earlier ones (AFInfo2: the number of AF points sizes the arrays that follow)."""
    from .valueformats import FORMAT_SIZE, read_value

    data, size, start = info.data, info.dir_len, info.dir_start
    default = table.fmt or "int8u"
    values: dict[str, object] = {}
    pos = 0
    index = 0
    while index in table.tags and pos <= size:
        tag = reader.choose(table, index, include_unknown=True)
        if tag is None:
            break
        fmt = tag.fmt or default
        count = 1
        if tag.fmt_count is not None:
            count = reader.format_count(tag, size, values)
            if count is None:
                break
        elif tag.fmt == "string":
            count = max(0, size - pos)
        length = FORMAT_SIZE.get(fmt, 1) * count
        if count < 0 or pos + length > size:
            break
        value = read_value(data[: start + size], start + pos, fmt, count, info.order)
        if value is None:
            break
        values[str(index)] = value
        if not tag.unknown and count:
            reader.found(tag, table, value, tag.group1 or table.group1 or info.dir_name)
        pos += length
        index += 1
    return True


# ------------------------------------------------------------------ Apple binary PLIST


def plist_value(obj: object) -> object:
    """A ``plistlib`` value the way ExifTool's PLIST reader returns it."""
    import datetime

    if isinstance(obj, bool):
        return "True" if obj else "False"
    if isinstance(obj, dict):
        return {str(k): plist_value(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plist_value(v) for v in obj]
    if isinstance(obj, bytes):
        return P.Ref(obj.decode("latin-1"))
    if isinstance(obj, datetime.datetime):
        return obj.strftime("%Y:%m:%d %H:%M:%S")
    if isinstance(obj, str):
        return obj.encode("utf-8").decode("latin-1")
    return obj


def parse_binary_plist(raw: bytes) -> object:
    import plistlib

    try:
        return plistlib.loads(raw, fmt=plistlib.FMT_BINARY)
    except (
        plistlib.InvalidFileException,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        OverflowError,
        RecursionError,
        struct.error,
        MemoryError,
    ):
        return None


def _process_binary_plist(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    raw = info.data[info.dir_start : info.dir_start + info.dir_len]
    obj = parse_binary_plist(raw)
    if not isinstance(obj, dict):
        return False
    group = table.group1 or info.dir_name
    for key, value in obj.items():
        if isinstance(value, dict):
            continue
        tag = reader.choose(table, str(key))
        if tag is None:
            from .tabletypes import Tag

            name = re.sub(
                r"([^A-Za-z])([a-z])", lambda m: m.group(1) + m.group(2).upper(), str(key)
            )
            tag = Tag(re.sub(r"[^-_a-zA-Z0-9]", "", name[:1].upper() + name[1:]) or "Unknown")
        reader.found(tag, table, plist_value(value), group)
    return True


PROCESSORS = {
    "Canon::ProcessSerialData": _process_serial_data,
    "PLIST::ProcessBinaryPLIST": _process_binary_plist,
    "MakerNotes::ProcessCanon": _process_exif,
    "MakerNotes::ProcessUnknown": _process_unknown,
    "MakerNotes::ProcessUnknownOrPreview": _process_unknown_or_preview,
    "Nikon::ProcessNikon": _process_nikon,
    "Nikon::ProcessNikonEncrypted": _process_nikon_encrypted,
    "Sony::ProcessEnciphered": _process_enciphered,
}
