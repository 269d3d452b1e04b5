"""zlib inflation with one output budget per file: the one place a zlib bomb is caught.

PNG ``zTXt``, compressed ``iTXt`` and ``iCCP`` chunks are zlib streams. Whoever reads
them (extract, strip, the check before Pillow opens a PNG) inflates through an
:class:`Inflater`, so a file whose compressed metadata would expand beyond
:data:`MAX_INFLATE` bytes in all is :class:`~common.errors.DecompressionBomb`
everywhere, whether the chunk comes before ``IDAT`` or after it.
"""

from __future__ import annotations

import zlib

from common.errors import DecompressionBomb

MAX_INFLATE = 32 * 1024 * 1024  # the most compressed metadata one file may inflate to, in all


def inflate(data: bytes, what: str, limit: int = MAX_INFLATE) -> bytes:
    """``data`` inflated, at most ``limit`` bytes of it; more is a decompression bomb.

    A broken stream raises ``zlib.error`` (callers decide whether that matters).
    """
    stream = zlib.decompressobj()
    out = stream.decompress(data, max(limit, 0) + 1)
    if len(out) > limit or stream.unconsumed_tail:
        raise DecompressionBomb(
            f"the {what} metadata inflates beyond {MAX_INFLATE // (1024 * 1024)} MiB"
        )
    return out


def inflated_size(data: bytes, what: str, limit: int = MAX_INFLATE) -> int:
    """How many bytes ``data`` inflates to, counted a MiB at a time without keeping them;
    beyond ``limit`` is a decompression bomb. A broken stream raises ``zlib.error``."""
    stream, total, pending = zlib.decompressobj(), 0, data
    while True:
        total += len(stream.decompress(pending, 1 << 20))
        if total > limit:
            raise DecompressionBomb(
                f"the {what} metadata inflates beyond {MAX_INFLATE // (1024 * 1024)} MiB"
            )
        pending = stream.unconsumed_tail
        if not pending:
            return total + len(stream.flush())


class Inflater:
    """Inflates one file's compressed blocks, keeping their total within :data:`MAX_INFLATE`."""

    def __init__(self, limit: int = MAX_INFLATE) -> None:
        self.left = limit

    def __call__(self, data: bytes, what: str) -> bytes:
        out = inflate(data, what, self.left)
        self.left -= len(out)
        return out

    def measure(self, data: bytes, what: str) -> int:
        """Like calling it, but only the size is kept (memory stays at a MiB)."""
        size = inflated_size(data, what, self.left)
        self.left -= size
        return size
