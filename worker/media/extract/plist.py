"""Apple's maker notes: binary property lists (Apple's ``bplist00``), read as ExifTool reads them.

``plistlib`` parses the list; :func:`plist_value` gives values ExifTool's way
(booleans as ``True``/``False`` text, data as binary, dates as ``YYYY:mm:dd HH:MM:SS``);
:func:`process_binary_plist` stores each top-level key as a tag of the Apple table
(unknown keys get ExifTool's generated names).
"""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING

from . import perl as P
from .tabletypes import Table

if TYPE_CHECKING:
    from .dirinfo import DirInfo
    from .exif import ExifReader


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


def process_binary_plist(reader: ExifReader, info: DirInfo, table: Table) -> bool:
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
