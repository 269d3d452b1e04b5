"""Text-format maker notes (Ricoh's ``Rev0106;Rg80;...`` and JVC's ``VER:0100QTY:FINE``).

Some older Ricoh and JVC/Victor cameras write their maker note as text rather than
an IFD. ExifTool reads them with ``Ricoh::ProcessRicohText`` (``Name`` + hex digits +
``;`` records, after a ``Rev``/``Rv`` version) and ``JVC::ProcessJVCText`` (``NAME:``
+ 3 or 4 characters, after ``VER:``); the names map to tags through the generated
``Ricoh::Text`` and ``JVC::Text`` tables. Records the tables do not name are skipped,
as ExifTool skips unknown tags.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .tabletypes import Table

if TYPE_CHECKING:
    from .exif import DirInfo, ExifReader

_RICOH_RECORD = re.compile(rb"([A-Z][a-z]{1,2})([0-9A-F]+);", re.S)
_JVC_RECORD = re.compile(rb"([A-Z]+):(.{3,4})", re.S)


def _text(info: DirInfo) -> bytes:
    start = info.dir_start
    length = info.dir_len or len(info.data) - start
    return info.data[start : start + length]


def _records(reader: ExifReader, info: DirInfo, table: Table, records) -> None:
    for match in records:
        tag = reader.choose(table, match.group(1).decode("latin-1"))
        if tag is not None:
            value = match.group(2).decode("latin-1")
            reader.found(tag, table, value, tag.group1 or table.group1 or info.dir_name)


def process_ricoh_text(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    """``Ricoh::ProcessRicohText``."""
    data = _text(info)
    if data.startswith(b"\x00"):
        return True  # blank Ricoh maker notes
    if not data.startswith((b"Rev", b"Rv")):
        reader.store.warn("Bad Ricoh maker notes")
        return False
    _records(reader, info, table, _RICOH_RECORD.finditer(data))
    return True


def process_jvc_text(reader: ExifReader, info: DirInfo, table: Table) -> bool:
    """``JVC::ProcessJVCText``."""
    data = _text(info)
    if not data.startswith(b"VER:"):
        reader.store.warn("Bad JVC text maker notes")
        return False
    _records(reader, info, table, _JVC_RECORD.finditer(data))
    return True


PROCESSORS = {
    "Ricoh::ProcessRicohText": process_ricoh_text,
    "JVC::ProcessJVCText": process_jvc_text,
}
