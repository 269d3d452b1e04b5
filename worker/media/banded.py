"""imagehash's first step, ``image.convert("L").resize(size, LANCZOS)``, bit for bit, in bands.

Pillow resizes in two passes, horizontal then vertical, each rounding to 8 bits, and a
row of the horizontal pass depends on that row of the source alone. So the grey copy
never needs to exist whole: each band of source rows is converted to grey and resized
across (:func:`Image.resize` to ``(width, rows)`` runs the horizontal pass only), the
narrow bands are stacked, and one vertical pass (``resize`` of the stack to the target
height) gives exactly what the one-call resize of the whole grey image gives.

A baseline RGB JPEG is also *decoded* in bands: Pillow's own JPEG decoder writes into
an image mapped on anonymous memory, fed a few kilobytes of the file at a time; after
each feed the rows it finished are taken (Pillow's RGB rows carry 255 in their fourth
byte, fresh pages read 0) and their pages handed back to the system (``madvise``). The
rows are the ones a whole decode gives, so the hashes stay exact while a 100 MP photo
costs tens of megabytes instead of 400 (RGB) + 100 (grey). Other images are decoded
whole once and only the grey copy is banded.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Sequence
from functools import cache

from PIL import Image

from common.errors import CorruptImage, UnsupportedFormat

from .decode import DECODE_ERRORS, load_pixels
from .reasons import undecodable

LANCZOS = Image.Resampling.LANCZOS
BAND_ROWS = 256  # source rows resized at a time (at least)
FEED_BYTES = 65_536  # compressed bytes given to the streaming decoder at a time
_PAGE = mmap.PAGESIZE


def grey_resized(image: Image.Image, data: bytes, sizes: Sequence[tuple[int, int]]) -> list:
    """``[image.convert("L").resize(size, LANCZOS) for size in sizes]`` for ``image`` opened
    (not yet loaded) from ``data``, holding at most one full-resolution copy (none for a
    baseline RGB JPEG). Modes Pillow cannot turn into grey directly go through RGB."""
    width, height = image.size
    widths = sorted({w for w, h in sizes if not _vertical_first(width, height, w, h)})
    whole = len(widths) < len(set(sizes))  # a very tall image: Pillow resizes down first
    stacks: dict[int, list[Image.Image]] = {w: [] for w in widths}
    grey_whole = Image.new("L", (width, height)) if whole else None
    top = 0
    for band in _regrouped(_grey_bands(image, data), width):
        for w in widths:
            stacks[w].append(band.resize((w, band.height), LANCZOS))
        if grey_whole is not None:
            grey_whole.paste(band, (0, top))
        top += band.height
    out = []
    for w, h in sizes:
        if w in stacks and not _vertical_first(width, height, w, h):
            out.append(_stack(stacks[w], w).resize((w, h), LANCZOS))
        else:
            out.append(grey_whole.resize((w, h), LANCZOS))
    return out


def _regrouped(bands: Iterator[Image.Image], width: int) -> Iterator[Image.Image]:
    """The same rows in bands of at least :data:`BAND_ROWS` (each ``resize`` call computes
    its filter anew: a few rows at a time would cost more than the resize itself)."""
    held: list[Image.Image] = []
    rows = 0
    for band in bands:
        held.append(band)
        rows += band.height
        if rows >= BAND_ROWS:
            yield held[0] if len(held) == 1 else _stack(held, width)
            held, rows = [], 0
    if held:
        yield held[0] if len(held) == 1 else _stack(held, width)


def _stack(bands: list[Image.Image], width: int) -> Image.Image:
    height = sum(band.height for band in bands)
    return Image.frombytes("L", (width, height), b"".join(band.tobytes() for band in bands))


def _vertical_first(width: int, height: int, w: int, h: int) -> bool:
    """Whether Pillow runs the vertical pass first for this resize: since Pillow 11, when
    the height shrinks by more than twice what the width does (``Resample.c``); earlier
    Pillows always go horizontally first (:func:`_pillow_may_go_vertical_first`)."""
    return height - h > 0 and height - h > 2 * (width - w) and _pillow_may_go_vertical_first()


@cache
def _pillow_may_go_vertical_first() -> bool:
    """Ask the installed Pillow: does a tall image's resize differ from horizontal-first?"""
    probe = Image.frombytes("L", (37, 100), bytes(i * 7919 % 251 for i in range(3700)))
    direct = probe.resize((8, 8), LANCZOS).tobytes()
    return direct != probe.resize((8, 100), LANCZOS).resize((8, 8), LANCZOS).tobytes()


def _grey_bands(image: Image.Image, data: bytes) -> Iterator[Image.Image]:
    if _streamable(image):
        yield from _streamed_bands(image, data)
        return
    frame = load_pixels(image)
    for top in range(0, frame.height, BAND_ROWS):
        box = (0, top, frame.width, min(top + BAND_ROWS, frame.height))
        yield grey(frame.crop(box))


def grey(image: Image.Image) -> Image.Image:
    """``image.convert("L")``, through RGB for the few modes Pillow can't convert directly."""
    if image.mode == "L":
        return image
    try:
        return image.convert("L")
    except ValueError:
        pass
    try:
        return image.convert("RGB").convert("L")
    except ValueError as exc:
        raise UnsupportedFormat(f"cannot read pixels of mode {image.mode}: {exc}") from None


def _streamable(image: Image.Image) -> bool:
    """A JPEG that Pillow decodes as RGB in one tile (not yet loaded), on a system with
    ``madvise``: the rows can be taken as the decoder writes them."""
    tile = getattr(image, "tile", None)
    return (
        hasattr(mmap, "MADV_DONTNEED")
        and image.format in ("JPEG", "MPO")
        and image.mode == "RGB"
        and tile is not None
        and len(tile) == 1
        and tile[0][0] == "jpeg"
        and tile[0][1] == (0, 0, *image.size)
        and tile[0][3][0] == "RGB"
    )


def _streamed_bands(image: Image.Image, data: bytes) -> Iterator[Image.Image]:
    """Grey bands of a JPEG as Pillow's decoder produces its rows (see the module's text)."""
    width, height = image.size
    stride = 4 * width
    _, extents, offset, args = image.tile[0]
    memory = mmap.mmap(-1, stride * height)
    try:
        yield from _decode_into(memory, image, memoryview(data)[offset:], args, extents)
    finally:
        try:
            memory.close()
        except BufferError:  # an error's traceback still holds the decoder: free the pages
            memory.madvise(mmap.MADV_DONTNEED)  # now, the mapping when it is collected


def _decode_into(memory: mmap.mmap, image: Image.Image, data: bytes, args, extents):
    width, height = image.size
    stride = 4 * width
    target = Image.frombuffer("RGBX", image.size, memory, "raw", "RGBX", 0, 1)
    decoder = Image._getdecoder("RGB", "jpeg", args, image.decoderconfig)
    done = released = 0
    try:
        decoder.setimage(target.im, extents)
        for ready in _feed(decoder, data, memory, stride, height):
            while done < ready:  # a progressive JPEG gives every row at once: a band at a time
                end = min(ready, done + BAND_ROWS)
                yield _grey_rows(memory, width, done, end)
                released = _release(memory, released, end * stride)
                done = end
    except DECODE_ERRORS as exc:
        raise undecodable(exc) from None
    finally:
        decoder.cleanup()
        del decoder, target  # they hold the mapping: free it before it is closed
    if done < height:
        raise CorruptImage("cannot decode image data: image file is truncated")


def _grey_rows(memory: mmap.mmap, width: int, start: int, end: int) -> Image.Image:
    """Rows ``start:end`` of the mapped RGBX image, in grey (read in place, not copied)."""
    stride = 4 * width
    with memoryview(memory)[start * stride : end * stride] as rows:
        band = Image.frombuffer("RGBX", (width, end - start), rows, "raw", "RGBX", 0, 1)
        out = grey(band)
        del band  # the view must be free before it is released
    return out


def _feed(decoder, data: memoryview, memory: mmap.mmap, stride: int, height: int):
    """Feed ``data`` to ``decoder`` a little at a time; after each feed, how many rows are
    finished (yielded); raises ``CorruptImage`` on a decoder error."""
    rows = 0
    pending = b""
    position = 0
    while position < len(data) and rows < height:
        pending += data[position : position + FEED_BYTES]
        position += FEED_BYTES
        consumed, error = decoder.decode(pending)
        while rows < height and memory[rows * stride + 3] == 255:
            rows += 1
        yield rows
        if consumed < 0:
            if error < 0 and rows < height:
                raise CorruptImage(f"cannot decode image data (decoder error {error})")
            return
        pending = pending[consumed:]


def _release(memory: mmap.mmap, start: int, end: int) -> int:
    """Give the pages from ``start`` (page-aligned) up to the last whole one before ``end``
    back to the system (they read as 0 again); where the next release starts."""
    last = end // _PAGE * _PAGE
    if last > start:
        memory.madvise(mmap.MADV_DONTNEED, start, last - start)
        return last
    return start
