"""A reduced decode of one page of an image, for the pixel facts that need no full resolution.

Faces, the Cloudinary-style palette and the histogram all read this copy:
JPEG decodes at a DCT scale (Pillow's ``draft``: 1/2, 1/4 or 1/8, the smallest
that still covers :data:`MAX_SIDE`), other formats decode whole and are reduced
with a box filter. The copy keeps the stored frame: the EXIF orientation is
*not* applied here (``orientation`` says what it is; :mod:`.faces` applies it).

``page`` is 1-based, as Cloudinary's ``pg_N``: the page of a multi-page TIFF,
the image of a HEIF collection, the frame of an animation.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from common.errors import BadRequest, CorruptImage

from .decode import DECODE_ERRORS, DEFAULT_MAX_PIXELS, load_pixels, open_image
from .reasons import reason

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
    data: bytes, *, page: int = 1, max_side: int = MAX_SIDE, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Reduced:
    """Decode ``page`` of ``data`` at about ``max_side`` pixels on its long side."""
    image, _ = open_image(data, max_pixels=max_pixels)
    pages = _pages(image)
    _seek(image, page, pages)
    width, height = image.size
    orientation = _orientation(image)
    if image.format == "JPEG":
        image.draft("RGB", (max_side, max_side))
    frame = load_pixels(image)
    try:
        copy = _visible(frame)
        copy.thumbnail((max_side, max_side), Image.Resampling.BOX)
    except DECODE_ERRORS as exc:
        raise CorruptImage(f"cannot decode image data: {reason(exc)}") from None
    return Reduced(copy, width, height, orientation, page, pages)
