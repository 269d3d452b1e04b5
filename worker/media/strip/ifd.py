"""Write TIFF image file directories (IFDs): the entries strip builds and their serialisation.

Reading them is the strict TIFF walk of :mod:`worker.media.containers.tiff`.
"""

from __future__ import annotations

import struct

from worker.media.containers.tiff import ASCII, SHORT, Entry, Layout


def short_entry(tag: int, value: int, order: str) -> Entry:
    """A one-value SHORT entry."""
    return Entry(tag, SHORT, 1, struct.pack(order + "H", value))


def ascii_entry(tag: int, text: bytes) -> Entry:
    """An ASCII entry holding ``text`` and its terminating NUL."""
    return Entry(tag, ASCII, len(text) + 1, text + b"\x00")


def pack_ifd(layout: Layout, order: str, entries: list[Entry], at: int) -> tuple[bytes, int]:
    """Serialise an IFD to sit at file offset ``at`` (even), with the values that don't fit inline.

    Entries are written in ascending tag order (TIFF 6.0 §2) and each
    out-of-line value starts on a word boundary. Returns the bytes and the
    position, relative to ``at``, of the next-IFD offset (written as 0) so the
    caller can link a following IFD.
    """
    rows = sorted(entries, key=lambda e: e.tag)
    head = struct.pack(order + layout.count_code, len(rows))
    next_field = len(head) + len(rows) * layout.entry
    values = bytearray()
    table = bytearray(head)
    for entry in rows:
        if len(entry.value) <= layout.word:
            slot = entry.value.ljust(layout.word, b"\0")
        else:
            slot = struct.pack(
                order + layout.word_code, at + next_field + layout.word + len(values)
            )
            values += entry.value
            values += b"\0" * (len(values) % 2)
        table += struct.pack(order + "HH" + layout.word_code, entry.tag, entry.type, entry.count)
        table += slot
    return bytes(table) + bytes(layout.word) + bytes(values), next_field
