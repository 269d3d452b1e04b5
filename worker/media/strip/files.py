"""File to file: the same output as ``strip_metadata``, without building the output in memory.

A large input is memory-mapped (no copy; the page cache is read in place);
one under ``MAP_FROM`` bytes is read, which costs less than mapping it (one
kernel copy of ~100 kB against page-table set-up and faults). A JPEG's
cleaned form is a short list of views of the input (the scans) and a few
rewritten segments, which ``os.writev`` writes in one call: from a mapped
input the entropy-coded data goes from the page cache to the output file in a
single kernel copy. Other formats are small or need their own layout: they go
through their ``strip(bytes)`` and are written the same way.

The output is written to a hidden temporary file beside ``dst`` and renamed
over it only when complete, so an error never leaves a partial file, and
``dst`` may be ``src`` itself (the map or the bytes read still hold the old
contents). A ``dst`` that is a symbolic link is replaced, not written through.
A file truncated by another process *while* it is mapped raises SIGBUS, as
with any mmap reader.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

from common.operations.remove import DEFAULT_KEEP

from ..replacing import replacing
from . import checked_keep, strip_pieces

IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024
MAP_FROM = 1 << 20  # bytes; below it reading is cheaper (bench/strip.py)


def strip_file(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, keep: frozenset[str] = DEFAULT_KEEP
) -> dict:
    """Write ``src`` without its metadata to ``dst``; return the report (as ``strip_metadata``).

    ``dst``'s bytes are exactly ``strip_metadata(src bytes).data``. Raises
    the same errors (``BadRequest``, ``UnsupportedFormat``, ``CorruptImage``,
    ``OSError``); then ``dst`` is left as it was.
    """
    keep = checked_keep(keep)
    with open(src, "rb", buffering=0) as source, _contents(source) as data:
        report, pieces = strip_pieces(data, keep)
        with replacing(os.fspath(dst)) as fd:
            written = _writev_all(fd, pieces)
        del pieces  # views of the map: released before it closes
        return report.to_dict(len(data), written)


@contextmanager
def _contents(file: BinaryIO) -> Iterator[mmap.mmap | bytes]:
    """The file's bytes: read when small, else mapped read-only."""
    size = os.fstat(file.fileno()).st_size
    if size == 0 or size < MAP_FROM:  # mmap refuses an empty file
        yield file.readall()
        return
    mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        yield mapped
    finally:
        with contextlib.suppress(BufferError):  # a traceback holds views: freed with them
            mapped.close()


def _writev_all(fd: int, pieces: Sequence[bytes | memoryview]) -> int:
    """Write every piece in order (``writev`` in batches of IOV_MAX, resuming short writes)."""
    total = 0
    pending = [memoryview(piece) for piece in pieces if len(piece)]
    while pending:
        batch = pending[:IOV_MAX]
        done = os.writev(fd, batch)
        total += done
        for index, piece in enumerate(batch):
            if done < len(piece):
                pending = [piece[done:], *batch[index + 1 :], *pending[len(batch) :]]
                break
            done -= len(piece)
        else:
            pending = pending[len(batch) :]
    return total
