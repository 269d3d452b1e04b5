"""How many pixels an image may declare: the defaults and the check made before decoding
(no Pillow here: a metadata-only extract checks a JPEG's size without importing it)."""

from __future__ import annotations

from common.errors import CorruptImage, DecompressionBomb

DEFAULT_MAX_PIXELS = 100_000_000
DEFAULT_APPROX_PIXELS = 4_000_000  # the APPROX_PIXELS_MAX setting's default


def check_pixel_count(width: int, height: int, max_pixels: int) -> None:
    """Refuse an image whose declared size is beyond ``max_pixels``, before any pixel is decoded."""
    if width <= 0 or height <= 0:
        raise CorruptImage(f"invalid image size {width}x{height}")
    if width * height > max_pixels:
        raise DecompressionBomb(
            f"image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}"
        )
