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

import struct
from dataclasses import replace
from typing import TYPE_CHECKING

from . import perl as P
from .plist import process_binary_plist
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
# fmt: off
_NIKON_XLAT = (
    bytes.fromhex(
        "c1bf6d0d59c5139d83616b4fc77f3d3d5359e3c7e92f95a7951fdf7f2b29c70d"
        "df07ef71893d133d3b13fb0d89c1651fb30d6b29e3fbefa36b477f9535a7474f"
        "c7f1599535112961f13db32b0d4389c19d9d8965f1e9dfbf3d7f5397e5e99517"
        "1d3d8bfbc7e367a707f171a753b52989e52ba71729e94fc5656d6bef0d89492f"
        "b34353651d49a3138959ef6bef651d0b5913e34f9db329432b071d95595947fb"
        "e5e961472f357f177fef7f959571d3a30b71a3ad0b3bb5fba3bf4f831dade92f"
        "7165a3e507353d0db5e9e5473b9def35a3bfb3df53d397534971073561712f43"
        "2f11df1797fb953b7f6bd325bfadc7c5c5b58bef2fd3076b25499525496d71c7"
    ),
    bytes.fromhex(
        "a7bcc9ad91df85e5d478d517467c294c4d03e925681186b3bdf76f6122a22634"
        "2abe1e4614689d4418c240f47e5f1bad0b94b667b40be1ea959c66dce75d6c05"
        "dad5df7aeff6db1f824cc06847a1bdee3950564adddfa5f8c6daca90ca01429d"
        "8b0c7343750594de24b38034e52cdc9b3fca3345d0db5ff552c321dae222726b"
        "3ed05ba8878c065d0fdd091993d0b9fc8b0f8460331c9b45f1f0a3943a127733"
        "4d4478283c9efd655716946bfb59d0c82236dbd2639843a1048786f7a626bbd6"
        "594dbf6a2eaa2befe678b64ee02fdc7cbe5719327e2ad0b8ba29003c527da849"
        "3b2deb2549faa3aa39a7c5a7501136fbc6674af5a512657eb0dfaf4eb3617f2f"
    ),
)
# fmt: on


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
        start = sub.decrypt_start if isinstance(sub.decrypt_start, int) else 0
        if sub.decrypt_len is not None and isinstance(sub.decrypt_len, int):
            length = sub.decrypt_len
        if isinstance(sub.dir_offset, int):
            offset = sub.dir_offset + start  # DirOffset counts from the encrypted part
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


PROCESSORS = {
    "Canon::ProcessSerialData": _process_serial_data,
    "PLIST::ProcessBinaryPLIST": process_binary_plist,
    "MakerNotes::ProcessCanon": _process_exif,
    "MakerNotes::ProcessUnknown": _process_unknown,
    "MakerNotes::ProcessUnknownOrPreview": _process_unknown_or_preview,
    "Nikon::ProcessNikon": _process_nikon,
    "Nikon::ProcessNikonEncrypted": _process_nikon_encrypted,
    "Sony::ProcessEnciphered": _process_enciphered,
}
