"""A reduced decode of one page of an image, for the pixel facts that need no full resolution.

Faces, the Cloudinary-style palette, the histogram and ``metadata.colors`` all read
this copy: a JPEG decodes at a DCT scale (Pillow's ``draft``: 1/2, 1/4 or 1/8, the
strongest that still covers :data:`MAX_SIDE`, stronger if the decode would exceed
``approx_pixels``, the ``APPROX_PIXELS_MAX`` setting); other formats decode whole, are reduced
by a whole factor at once (``Image.reduce``, before any mode conversion, so no second
full-size copy exists), then with a box filter. The copy keeps the stored frame: the
EXIF orientation is *not* applied here (``orientation`` says what it is; :mod:`.faces` applies it).

``page`` is 1-based, as Cloudinary's ``pg_N``: the page of a multi-page TIFF,
the image of a HEIF collection, the frame of an animation.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from common.errors import BadRequest, CorruptImage

from .decode import (
    DECODE_ERRORS,
    DEFAULT_APPROX_PIXELS,
    DEFAULT_MAX_PIXELS,
    load_pixels,
    open_image,
)
from .reasons import reason, undecodable

MAX_SIDE = 640
ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class Reduced:
    image: Image.Image  # RGB or RGBA, long side at most MAX_SIDE, stored frame
    width: int  # the page's stored size
    height: int
    orientation: int  # EXIF orientation 1..8 (1 when absent or invalid)
    page: int
    pages: int


def _pages(image: Image.Image) -> int:
    try:
        return max(1, int(getattr(image, "n_frames", 1) or 1))
    except DECODE_ERRORS:
        return 1


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _seek(image: Image.Image, page: int, pages: int) -> None:
    if page > pages:
        raise BadRequest(f"page {page} asked for, the image has {pages}")
    if page > 1:
        try:
            image.seek(page - 1)
        except DECODE_ERRORS as exc:
            raise CorruptImage(f"cannot read page {page}: {reason(exc)}") from None


def _visible(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency (16-bit and float scaled to 8 bits)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    elif image.mode == "F":
        image = image.point(lambda v: v * 255).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def reduced_decode(
    data: bytes,
    *,
    page: int = 1,
    max_side: int = MAX_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    approx_pixels: int = DEFAULT_APPROX_PIXELS,
) -> Reduced:
    """Decode ``page`` of ``data`` at about ``max_side`` pixels on its long side, decoding at
    most about ``approx_pixels`` where the format allows (JPEG's DCT scaling)."""
    image, _ = open_image(data, max_pixels=max_pixels)
    pages = _pages(image)
    _seek(image, page, pages)
    width, height = image.size
    orientation = _orientation(image)
    if image.format in ("JPEG", "MPO"):
        image.draft("RGB", _draft_size(width, height, max_side, approx_pixels))
    frame = load_pixels(image)
    try:
        copy = _visible(_shrunk(frame, max_side))
        copy.thumbnail((max_side, max_side), Image.Resampling.BOX)
    except DECODE_ERRORS as exc:
        raise undecodable(exc) from None
    return Reduced(copy, width, height, orientation, page, pages)


def _draft_size(width: int, height: int, max_side: int, approx_pixels: int) -> tuple[int, int]:
    """The size to ask ``draft`` for. libjpeg scales by 1/2, 1/4 or 1/8 and Pillow picks the
    strongest that keeps the asked size: the strongest that still covers ``max_side``, made
    stronger while the decode would exceed ``approx_pixels`` (1/8 at most)."""
    scale = 1
    while scale < 8 and max(width, height) // (2 * scale) >= max_side:
        scale *= 2
    while scale < 8 and -(-width // scale) * -(-height // scale) > approx_pixels:
        scale *= 2
    return max(1, width // scale), max(1, height // scale)


def _shrunk(frame: Image.Image, max_side: int) -> Image.Image:
    """A whole-size decode reduced by a whole factor (box average) before any conversion,
    so no second full-size copy is made; modes Pillow cannot reduce are left as they are."""
    factor = max(1, max(frame.size) // (2 * max_side))
    if factor == 1 or frame.mode in ("1", "P", "PA") or frame.mode.startswith("I;16"):
        return frame
    try:
        return frame.reduce(factor)
    except (ValueError, NotImplementedError):
        return frame
