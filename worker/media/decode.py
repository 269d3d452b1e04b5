"""Open images with Pillow safely: type checked first, pixel bombs refused, errors named."""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

from PIL import Image, UnidentifiedImageError

from common.errors import CorruptImage, DecompressionBomb

from .containers import png
from .formats import Format, require_format
from .pixel_limits import DEFAULT_APPROX_PIXELS, DEFAULT_MAX_PIXELS, check_pixel_count
from .reasons import reason, undecodable

__all__ = [
    "DECODE_ERRORS",
    "DEFAULT_APPROX_PIXELS",
    "DEFAULT_MAX_PIXELS",
    "check_pixel_count",
    "load_pixels",
    "open_image",
]

# The Pillow plugins each sniffed format may open with (JPEG files with an MPF
# index open as MPO).
_PLUGINS: dict[str, tuple[str, ...]] = {
    "jpg": ("JPEG", "MPO"),
    "png": ("PNG",),
    "gif": ("GIF",),
    "webp": ("WEBP",),
    "tiff": ("TIFF",),
    "heic": ("HEIF",),
    "heif": ("HEIF",),
    "avif": ("AVIF", "HEIF"),
    "bmp": ("BMP",),
}

# What Pillow and its decoders raise on malformed input.
DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
    RuntimeError,  # Pillow's AVIF plugin: "Failed to decode image: Missing or empty image item"
)


HEIF_FORMATS = ("heic", "heif", "avif")


@cache
def _no_global_limit() -> None:
    """Switch off Pillow's global bomb limit (we check our own, per call)."""
    Image.MAX_IMAGE_PIXELS = None


@cache
def _configure_pillow() -> None:
    """Register HEIF/AVIF support (pillow-heif: only when such a file is opened, it costs a
    start-up ~10 ms) and switch off Pillow's global bomb limit."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    _no_global_limit()


def open_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[Image.Image, Format]:
    """Open ``data`` lazily (header only) and return the image and its sniffed format.

    Raises ``UnsupportedFormat`` when the bytes are no image we handle,
    ``DecompressionBomb`` when width × height exceeds ``max_pixels`` and
    ``CorruptImage`` when Pillow cannot read the header.
    """
    fmt = require_format(data)
    if fmt.name in HEIF_FORMATS:
        _configure_pillow()
    else:
        _no_global_limit()
    if fmt.name == "png":  # zlib bombs are ours to name; chunks Pillow's text limit refuses go
        from PIL import PngImagePlugin

        data = png.for_pillow(data, PngImagePlugin.MAX_TEXT_CHUNK, PngImagePlugin.MAX_TEXT_MEMORY)
    try:
        image = Image.open(io.BytesIO(data), formats=_PLUGINS[fmt.name])
    except Image.DecompressionBombError as exc:
        raise DecompressionBomb(str(exc)) from None
    except DECODE_ERRORS as exc:
        raise CorruptImage(f"cannot read {fmt.name} image: {reason(exc)}") from None
    check_pixel_count(image.width, image.height, max_pixels)
    return image, fmt


def load_pixels(image: Image.Image) -> Image.Image:
    """Decode the current frame; truncation and corruption become ``CorruptImage``."""
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise DecompressionBomb(str(exc)) from None
    except DECODE_ERRORS as exc:
        raise undecodable(exc) from None
    return image
